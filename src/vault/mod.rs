//! The credential store: one versioned [`Record`] per (provider, account) in the OS store,
//! through `keyring-core` and its per-OS store crates. No Tauri imports.
//!
//! | target | store |
//! |---|---|
//! | Linux | Secret Service (`dbus-secret-service-keyring-store`, libdbus-1, encrypted session) |
//! | macOS | login Keychain (`apple-native-keyring-store`, `keychain`) |
//! | iOS | data-protection Keychain (`apple-native-keyring-store`, `protected`) |
//! | Windows | Credential Manager (`windows-native-keyring-store`), values split in chunks |
//! | Android | Keystore-encrypted SharedPreferences (`android-native-keyring-store`) |
//!
//! There is no fallback: when the store is missing or locked, every call fails with
//! `store_unavailable`. Nothing is ever written to disk in plaintext.

mod chunk;
#[cfg(any(test, target_os = "ios"))]
mod fixed_modifiers;
#[cfg(test)]
mod props;
mod record;
#[cfg(all(test, windows))]
mod windows_credential_manager_tests;

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

pub use chunk::WINDOWS_BLOB_LIMIT;
pub use record::{Record, StoredDpopKey, ACCESS_TOKEN_RECORD_VERSION, RECORD_VERSION};

use crate::error::{Error, Result};

/// Where a stored value's entries are.
struct Layout {
    exists: bool,
    /// Stored in chunks (either format).
    chunked: bool,
    generation: Option<u32>,
    /// Entries the header names (1 for a whole value).
    count: usize,
}

/// A handle on the OS credential store under one service name (cheap to clone).
///
/// All calls block (they talk to the OS store); async code runs them with
/// `tokio::task::spawn_blocking`.
#[derive(Clone)]
pub struct Vault {
    store: Arc<CredentialStore>,
    service: String,
    chunk_limit: Option<usize>,
    /// Test seam: makes the next write, read or delete fail like a store that went away.
    #[cfg(test)]
    faults: Arc<Faults>,
}

/// Which store operations fail next ([`Vault::fail_next_write`] and the like).
#[cfg(test)]
#[derive(Default)]
struct Faults {
    write: std::sync::atomic::AtomicBool,
    read: std::sync::atomic::AtomicBool,
    delete: std::sync::atomic::AtomicBool,
}

/// Takes a fault flag: whether this operation is the one to fail.
#[cfg(test)]
fn injected(flag: &std::sync::atomic::AtomicBool, op: &str) -> Result<()> {
    if flag.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::StoreUnavailable(format!("{op}: injected failure")));
    }
    Ok(())
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("service", &self.service)
            .field("chunk_limit", &self.chunk_limit)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// The platform's credential store, entries under `service` (usually the app identifier).
    #[cfg_attr(not(any(test, feature = "test-util")), allow(dead_code))]
    pub fn platform(service: &str) -> Result<Self> {
        Self::platform_in_access_group(service, None)
    }

    /// [`Vault::platform`]; on iOS with the Keychain items in `access_group` (one the app shares
    /// with its extensions, from its `keychain-access-groups` entitlement), `None` being the
    /// app's default group. Other platforms have no access groups and ignore it.
    pub fn platform_in_access_group(service: &str, access_group: Option<&str>) -> Result<Self> {
        #[cfg(target_os = "ios")]
        let store = ios_store(access_group)?;
        #[cfg(not(target_os = "ios"))]
        let store = {
            let _ = access_group;
            platform_store()?
        };
        let chunk_limit = cfg!(target_os = "windows").then_some(WINDOWS_BLOB_LIMIT);
        Ok(Self::with_store(store, service).with_chunk_limit(chunk_limit))
    }

    /// A vault over any keyring-core store (tests use keyring-core's in-memory mock).
    pub fn with_store(store: Arc<CredentialStore>, service: &str) -> Self {
        Self {
            store,
            service: service.to_string(),
            chunk_limit: None,
            #[cfg(test)]
            faults: Arc::default(),
        }
    }

    /// Test seam: the next write (of any entry) fails with `store_unavailable`.
    #[cfg(test)]
    pub(crate) fn fail_next_write(&self) {
        (self.faults.write).store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Test seam: the next read (of any entry) fails with `store_unavailable`.
    #[cfg(test)]
    pub(crate) fn fail_next_read(&self) {
        (self.faults.read).store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Test seam: the next delete (of any entry) fails with `store_unavailable`.
    #[cfg(test)]
    pub(crate) fn fail_next_delete(&self) {
        (self.faults.delete).store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Splits values bigger than `limit` bytes across several entries (Windows caps a
    /// credential at 2560 bytes). `None` stores every value whole.
    pub fn with_chunk_limit(mut self, limit: Option<usize>) -> Self {
        self.chunk_limit = limit;
        self
    }

    /// The service name entries are stored under.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, user: &str) -> Result<Entry> {
        self.store
            .build(&self.service, user, None)
            .map_err(|e| store_error(e, "open entry"))
    }

    fn get_one(&self, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        #[cfg(test)]
        injected(&self.faults.read, "read")?;
        match self.entry(user)?.get_secret() {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(store_error(e, "read")),
        }
    }

    fn set_one(&self, user: &str, value: &[u8]) -> Result<()> {
        #[cfg(test)]
        injected(&self.faults.write, "write")?;
        self.entry(user)?
            .set_secret(value)
            .map_err(|e| store_error(e, "write"))
    }

    fn delete_one(&self, user: &str) -> Result<()> {
        #[cfg(test)]
        injected(&self.faults.delete, "delete")?;
        match self.entry(user)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e, "delete")),
        }
    }

    /// Reads the value stored under `key` (reassembling chunks); `None` when there is none.
    ///
    /// A part missing while another process rewrites the value (it switched the header and
    /// deleted the old generation between this read's header and parts) is read again from the
    /// new header; a part missing under an unchanged header is `store_corrupted`.
    pub fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let mut attempts = 0;
        loop {
            let Some(first) = self.get_one(key)? else {
                return Ok(None);
            };
            let Some(header) = chunk::parse_header(&first)? else {
                return Ok(Some(first));
            };
            let mut parts = vec![Zeroizing::new(first[header.body_offset..].to_vec())];
            let mut missing = None;
            for i in 1..header.count {
                match self.get_one(&chunk::part_key(key, header.generation, i))? {
                    Some(p) => parts.push(p),
                    None => {
                        missing = Some(i);
                        break;
                    }
                }
            }
            let Some(i) = missing else {
                return chunk::join(&header, &parts).map(Some);
            };
            attempts += 1;
            let now = self.get_one(key)?;
            if attempts >= 3 || now.as_deref().map(|n| &n[..]) == Some(&first[..]) {
                return Err(Error::StoreCorrupted(format!(
                    "part {i} of `{key}` is missing"
                )));
            }
        }
    }

    /// Stores `value` under `key`, replacing what was there. With a chunk limit the parts are
    /// written under the next generation (never over the parts the current header names), the
    /// first entry with the new header last, and the old generation's parts deleted after it:
    /// a write that fails at any step leaves the old value (or, after the switch, the new
    /// one) readable.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        let old = self.layout(key)?;
        let generation = old.generation.map_or(1, |g| g.wrapping_add(1).max(1));
        let entries = chunk::split(value, self.chunk_limit, generation);
        if entries.len() > chunk::MAX_PARTS {
            return Err(Error::StoreUnavailable(format!(
                "a value of {} bytes is too large for this credential store",
                value.len()
            )));
        }
        // Without a chunk limit nothing is ever split: no part to write, clean or probe.
        let parts_possible = self.chunk_limit.is_some() || old.chunked;
        for (i, part) in entries.iter().enumerate().skip(1) {
            self.set_one(&chunk::part_key(key, Some(generation), i), part)?;
        }
        if parts_possible {
            // A failed earlier write of this generation may have left parts beyond this one's.
            self.delete_parts_from(key, Some(generation), entries.len())?;
        }
        self.set_one(key, &entries[0])?;
        if parts_possible && old.generation != Some(generation) {
            self.delete_parts(key, &old)?;
        }
        Ok(())
    }

    /// Deletes every part `layout`'s header names (a missing one is skipped, so a delete that
    /// failed part-way can be repeated), then any further ones up to the first missing.
    fn delete_parts(&self, key: &str, layout: &Layout) -> Result<()> {
        for i in 1..layout.count {
            self.delete_one(&chunk::part_key(key, layout.generation, i))?;
        }
        self.delete_parts_from(key, layout.generation, layout.count.max(1))
    }

    /// Deletes the parts `from`, `from + 1`… of `generation` until one is missing.
    fn delete_parts_from(&self, key: &str, generation: Option<u32>, from: usize) -> Result<()> {
        for i in from.max(1)..=chunk::MAX_PARTS {
            let part = chunk::part_key(key, generation, i);
            if self.get_one(&part)?.is_none() {
                break;
            }
            self.delete_one(&part)?;
        }
        Ok(())
    }

    /// What `key` occupies now: its generation (`None`: a whole value, nothing stored, or the
    /// first chunk format) and whether the first entry exists. An entry that cannot be read
    /// back still counts, so it can be replaced.
    fn layout(&self, key: &str) -> Result<Layout> {
        match self.get_one(key) {
            Ok(Some(first)) => {
                let header = chunk::parse_header(&first).ok().flatten();
                Ok(Layout {
                    exists: true,
                    chunked: header.is_some(),
                    generation: header.as_ref().and_then(|h| h.generation),
                    count: header.map_or(1, |h| h.count),
                })
            }
            Ok(None) => Ok(Layout {
                exists: false,
                chunked: false,
                generation: None,
                count: 0,
            }),
            Err(Error::StoreCorrupted(_)) => Ok(Layout {
                exists: true,
                chunked: false,
                generation: None,
                count: 1,
            }),
            Err(e) => Err(e),
        }
    }

    /// Deletes `key` and its parts; deleting a missing key is not an error. The parts go
    /// first and the first entry last, so a delete that fails part-way can be retried and
    /// never leaves a fragment that no header names.
    pub fn delete(&self, key: &str) -> Result<()> {
        let layout = self.layout(key)?;
        if self.chunk_limit.is_some() || layout.chunked {
            self.delete_parts(key, &layout)?;
            if layout.generation.is_some() {
                // A leftover of the first format (`<key>#<i>`).
                self.delete_parts_from(key, None, 1)?;
            }
        }
        if layout.exists {
            self.delete_one(key)?;
        }
        Ok(())
    }

    /// The key of the record of `(provider, account)`.
    pub fn record_key(provider: &str, account: &str) -> String {
        format!("{provider}/{account}")
    }

    /// Loads the record of `(provider, account)`. A record that does not parse is
    /// `store_corrupted` (callers treat it as signed out).
    pub fn load_record(&self, provider: &str, account: &str) -> Result<Option<Record>> {
        match self.get(&Self::record_key(provider, account))? {
            Some(bytes) => Record::from_bytes(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Saves the record of `(provider, account)`.
    pub fn save_record(&self, provider: &str, account: &str, record: &Record) -> Result<()> {
        self.set(&Self::record_key(provider, account), &record.to_bytes()?)
    }

    /// Deletes the record of `(provider, account)`.
    pub fn delete_record(&self, provider: &str, account: &str) -> Result<()> {
        self.delete(&Self::record_key(provider, account))
    }
}

/// Maps a keyring error without ever formatting stored bytes (`BadEncoding` and
/// `BadDataFormat` carry them).
fn store_error(e: keyring_core::Error, what: &str) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(cause) => Error::StoreUnavailable(format!(
            "{what}: no access to the credential store (locked?): {cause}"
        )),
        K::PlatformFailure(cause) => Error::StoreUnavailable(format!("{what}: {cause}")),
        K::NoDefaultStore => Error::StoreUnavailable(format!("{what}: no credential store")),
        K::BadEncoding(_) | K::BadDataFormat(..) => {
            Error::StoreCorrupted(format!("{what}: stored data is malformed"))
        }
        K::BadStoreFormat(reason) => {
            Error::StoreUnavailable(format!("{what}: store is malformed: {reason}"))
        }
        K::TooLong(name, limit) => Error::StoreUnavailable(format!(
            "{what}: `{name}` exceeds the store's limit of {limit}"
        )),
        K::Invalid(name, reason) => {
            Error::StoreUnavailable(format!("{what}: invalid `{name}`: {reason}"))
        }
        K::Ambiguous(items) => Error::StoreUnavailable(format!(
            "{what}: {} credentials match one entry",
            items.len()
        )),
        K::NotSupportedByStore(m) => Error::StoreUnavailable(format!("{what}: {m}")),
        other => Error::StoreUnavailable(format!("{what}: {other}")),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = dbus_secret_service_keyring_store::Store::new()
        .map_err(|e| store_error(e, "connect to the Secret Service"))?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| store_error(e, "open the Keychain"))?;
    Ok(store)
}

/// The accessibility of every iOS Keychain item (`apple-native-keyring-store`'s `access-policy`
/// entry modifier, `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`): readable from the first
/// unlock after a boot on, so a refresh while the screen is locked (a background task) still
/// finds the session, which the crate's default (when unlocked) would not; never synced by iCloud
/// Keychain nor restored from a backup onto another device. Apple fixes the class when an item is
/// created: later writes update the data only.
#[cfg(any(test, target_os = "ios"))]
const IOS_KEYCHAIN_MODIFIERS: &[(&str, &str)] =
    &[("access-policy", "after-first-unlock-this-device-only")];

/// iOS: the data-protection Keychain, in the app's default access group or in `access_group`.
#[cfg(target_os = "ios")]
fn ios_store(access_group: Option<&str>) -> Result<Arc<CredentialStore>> {
    use apple_native_keyring_store::protected::Store;
    let store = match access_group {
        Some(group) => Store::new_with_configuration(&std::collections::HashMap::from([(
            "access-group",
            group,
        )])),
        None => Store::new(),
    }
    .map_err(|e| store_error(e, "open the Keychain"))?;
    Ok(Arc::new(fixed_modifiers::FixedModifiers::new(
        store,
        IOS_KEYCHAIN_MODIFIERS,
    )))
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = windows_native_keyring_store::Store::new()
        .map_err(|e| store_error(e, "open the Credential Manager"))?;
    Ok(store)
}

/// Android: a named store of `android-native-keyring-store`, i.e. the SharedPreferences file
/// `keyring-token-vault` (its values encrypted with the AndroidKeyStore key of the same alias),
/// rather than the crate's process-wide `default` store that other Rust code in the app may
/// also use. The file is excluded from Auto Backup and device transfer by the plugin's Android
/// manifest (`android/src/main/res/xml/`): a restored copy without its device-bound key is
/// unreadable. `tests/android_manifest.rs` checks that those rules name this store's file.
///
/// The crate reaches the app through ndk-context, which Tauri (tao's `onCreate`) initialises
/// before any plugin is set up; it must not be initialised a second time here.
#[cfg(target_os = "android")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    const STORE_NAME: &str = "token-vault";
    let config = std::collections::HashMap::from([("name", STORE_NAME)]);
    let store = android_native_keyring_store::Store::new_with_configuration(&config)
        .map_err(|e| store_error(e, "open the Android Keystore store"))?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows",
    target_os = "android"
)))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    Err(Error::StoreUnavailable(
        "no credential store is supported on this platform".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock() -> Vault {
        Vault::with_store(keyring_core::mock::Store::new().unwrap(), "svc")
    }

    #[test]
    fn conformance_with_the_in_memory_mock_store() {
        for limit in [None, Some(512)] {
            crate::vault::conformance::run(&mock().with_chunk_limit(limit));
        }
    }

    /// Makes the next store operation on `user` fail (keyring-core's mock keeps one credential
    /// per service and user, so the vault's own entry for `user` gets the error).
    fn fail_next(v: &Vault, user: &str) {
        let e = v.entry(user).unwrap();
        e.as_any()
            .downcast_ref::<keyring_core::mock::Cred>()
            .expect("a mock credential")
            .set_error(keyring_core::Error::PlatformFailure(Box::new(
                std::io::Error::other("injected failure"),
            )));
    }

    /// Consumes an injected error the operation did not reach.
    fn clear_pending(v: &Vault, user: &str) {
        let _ = v.entry(user).unwrap().get_secret();
    }

    /// Every entry name a chunked `p/a` can use, in either part naming.
    fn candidate_users() -> Vec<String> {
        let mut users = vec!["p/a".to_string()];
        for i in 1..=12 {
            users.push(format!("p/a#{i}"));
            for g in 1..=3 {
                users.push(format!("p/a#{g}.{i}"));
            }
        }
        users
    }

    fn value(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn a_chunked_write_that_fails_at_any_step_leaves_the_old_or_the_new_value() {
        let (old, new) = (value(3000, 1), value(4000, 2));
        let mut failed_writes = 0;
        for user in candidate_users() {
            let v = mock().with_chunk_limit(Some(512));
            v.set("p/a", &old).unwrap();
            fail_next(&v, &user);
            let outcome = v.set("p/a", &new);
            clear_pending(&v, &user);
            let read = v.get("p/a");
            let read = match read {
                Ok(Some(r)) => r,
                other => panic!(
                    "failing at `{user}`: read back {:?}",
                    other.map(|o| o.map(|b| b.len()))
                ),
            };
            match outcome {
                Ok(()) => assert!(read[..] == new[..], "failing at `{user}` (not reached)"),
                Err(_) => {
                    failed_writes += 1;
                    assert!(
                        read[..] == old[..] || read[..] == new[..],
                        "failing at `{user}`: neither the old nor the new value"
                    );
                }
            }
            // The next write succeeds and reads back, whatever was left behind.
            v.set("p/a", &old).unwrap();
            assert!(
                v.get("p/a").unwrap().unwrap()[..] == old[..],
                "`{user}`: rewrite"
            );
        }
        assert!(
            failed_writes >= 8,
            "the injected failures hit the write: {failed_writes}"
        );
    }

    #[test]
    fn a_chunked_delete_that_fails_at_any_step_can_be_retried_and_leaves_no_fragment() {
        let old = value(3000, 1);
        let mut failed_deletes = 0;
        for user in candidate_users() {
            let v = mock().with_chunk_limit(Some(512));
            v.set("p/a", &old).unwrap();
            fail_next(&v, &user);
            let outcome = v.delete("p/a");
            clear_pending(&v, &user);
            if outcome.is_err() {
                failed_deletes += 1;
                // Either nothing is gone, or the value no longer reads: never a wrong value.
                if let Ok(Some(r)) = v.get("p/a") {
                    assert!(r[..] == old[..], "failing at `{user}`");
                }
            }
            v.delete("p/a").unwrap();
            let left: Vec<_> = candidate_users()
                .into_iter()
                .filter(|u| v.get_one(u).unwrap().is_some())
                .collect();
            assert!(
                left.is_empty(),
                "failing at `{user}`: fragments left {left:?}"
            );
        }
        assert!(
            failed_deletes >= 6,
            "the injected failures hit the delete: {failed_deletes}"
        );
    }

    #[test]
    fn records_round_trip_and_oversized_values_are_refused() {
        let v = mock().with_chunk_limit(Some(WINDOWS_BLOB_LIMIT));
        assert!(v.load_record("p", "a").unwrap().is_none());
        v.set("p/a", b"{not json").unwrap();
        assert_eq!(
            v.load_record("p", "a").unwrap_err().code(),
            "store_corrupted"
        );
        let huge = vec![b'x'; WINDOWS_BLOB_LIMIT * 70];
        assert_eq!(v.set("k", &huge).unwrap_err().code(), "store_unavailable");
        assert!(v.get("k").unwrap().is_none(), "nothing half-written");
    }
}

#[cfg(any(test, feature = "test-util"))]
pub mod conformance {
    //! The store conformance suite, run against every store (in-memory mock in unit tests,
    //! the real Secret Service in `tests/vault_store.rs`).
    use super::*;

    /// Runs every check; panics with the failing one.
    pub fn run(v: &Vault) {
        let key = "conformance/default";
        v.delete(key).unwrap();
        assert!(v.get(key).unwrap().is_none(), "missing entry reads as None");
        v.delete(key).expect("deleting a missing entry is fine");

        v.set(key, b"first").unwrap();
        assert_eq!(&v.get(key).unwrap().unwrap()[..], b"first", "round trip");
        v.set(key, b"second").unwrap();
        assert_eq!(&v.get(key).unwrap().unwrap()[..], b"second", "update");

        let unicode = "Grüße, 世界 — ключ 🔑".as_bytes();
        v.set(key, unicode).unwrap();
        assert_eq!(&v.get(key).unwrap().unwrap()[..], unicode, "unicode");

        let long: Vec<u8> = (0..10_000u32)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[(i % 36) as usize])
            .collect();
        v.set(key, &long).unwrap();
        assert_eq!(
            &v.get(key).unwrap().unwrap()[..],
            &long[..],
            "value over 2560 bytes"
        );
        let parts = stored_parts(v, key);
        match v.chunk_limit {
            Some(limit) => {
                let want = 1 + (long.len() - (limit - chunk::MAX_HEADER)).div_ceil(limit);
                assert_eq!(
                    parts.len(),
                    want,
                    "the long value is split in {want} entries"
                );
                for (i, p) in parts.iter().enumerate() {
                    assert!(
                        p.len() <= limit,
                        "entry {i} holds {} bytes, over the limit of {limit}",
                        p.len()
                    );
                }
            }
            None => assert_eq!(parts.len(), 1, "without a limit the value is stored whole"),
        }
        v.set(key, b"short again").unwrap();
        assert_eq!(
            &v.get(key).unwrap().unwrap()[..],
            b"short again",
            "long then short"
        );
        assert_eq!(
            stored_parts(v, key).len(),
            1,
            "stale parts are removed (the {} parts of the long value)",
            parts.len()
        );

        let other = "conformance/other account";
        v.set(other, b"B").unwrap();
        assert_eq!(
            &v.get(key).unwrap().unwrap()[..],
            b"short again",
            "keys are independent"
        );

        v.delete(key).unwrap();
        assert!(v.get(key).unwrap().is_none(), "delete");
        assert_eq!(
            &v.get(other).unwrap().unwrap()[..],
            b"B",
            "delete touches one key only"
        );
        v.set(key, &long).unwrap();
        assert_eq!(stored_parts(v, key).len(), parts.len(), "written again");
        let generation = chunk::parse_header(&v.get_one(key).unwrap().unwrap())
            .unwrap()
            .and_then(|h| h.generation);
        v.delete(key).unwrap();
        assert!(v.get(key).unwrap().is_none(), "delete of a chunked value");
        for i in 1..parts.len().max(2) {
            assert!(
                v.get_one(&chunk::part_key(key, generation, i))
                    .unwrap()
                    .is_none(),
                "part {i} is deleted too"
            );
        }
        v.delete(other).unwrap();
    }

    /// The raw entries `key` occupies in the store, read one by one (the first entry, then the
    /// parts of the generation its header names until one is missing), not through `get`.
    pub fn stored_parts(v: &Vault, key: &str) -> Vec<Zeroizing<Vec<u8>>> {
        let mut out = Vec::new();
        let Some(first) = v.get_one(key).unwrap() else {
            return out;
        };
        let generation = chunk::parse_header(&first)
            .ok()
            .flatten()
            .and_then(|h| h.generation);
        out.push(first);
        for i in 1..=chunk::MAX_PARTS {
            match v.get_one(&chunk::part_key(key, generation, i)).unwrap() {
                Some(p) => out.push(p),
                None => break,
            }
        }
        out
    }
}
