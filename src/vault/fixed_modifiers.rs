//! A store that builds every entry with the same keyring-core modifiers: how the iOS vault gives
//! every Keychain item one accessibility class (`access-policy`, an entry modifier of
//! `apple-native-keyring-store`), while [`super::Vault`] stays store-agnostic and builds its
//! entries without modifiers. Compiled for iOS, and for the unit tests on every platform.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::api::CredentialStoreApi;
use keyring_core::{CredentialPersistence, CredentialStore, Entry, Error, Result};

/// Wraps `inner`; every [`CredentialStoreApi::build`] adds `modifiers`. A caller's own modifier
/// with the same name and another value is refused (`Invalid`), never silently replaced.
pub(super) struct FixedModifiers {
    inner: Arc<CredentialStore>,
    modifiers: &'static [(&'static str, &'static str)],
}

impl FixedModifiers {
    pub(super) fn new(
        inner: Arc<CredentialStore>,
        modifiers: &'static [(&'static str, &'static str)],
    ) -> Self {
        Self { inner, modifiers }
    }
}

impl CredentialStoreApi for FixedModifiers {
    fn vendor(&self) -> String {
        self.inner.vendor()
    }

    fn id(&self) -> String {
        self.inner.id()
    }

    fn build(
        &self,
        service: &str,
        user: &str,
        modifiers: Option<&HashMap<&str, &str>>,
    ) -> Result<Entry> {
        let mut all = modifiers.cloned().unwrap_or_default();
        for &(key, value) in self.modifiers {
            if let Some(&theirs) = all.get(key) {
                if theirs != value {
                    return Err(Error::Invalid(
                        key.to_string(),
                        format!("this store fixes it to `{value}`"),
                    ));
                }
            }
            all.insert(key, value);
        }
        self.inner.build(service, user, Some(&all))
    }

    fn search(&self, spec: &HashMap<&str, &str>) -> Result<Vec<Entry>> {
        self.inner.search(spec)
    }

    fn as_any(&self) -> &dyn Any {
        self.inner.as_any()
    }

    fn persistence(&self) -> CredentialPersistence {
        self.inner.persistence()
    }

    fn debug_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.debug_fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::vault::{Vault, IOS_KEYCHAIN_MODIFIERS};

    /// keyring-core's in-memory mock (which allows no modifiers), recording the modifiers of
    /// every build.
    struct Recording {
        inner: Arc<CredentialStore>,
        seen: Mutex<Vec<Vec<(String, String)>>>,
    }

    impl Recording {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                inner: keyring_core::mock::Store::new().unwrap(),
                seen: Mutex::default(),
            })
        }
    }

    impl CredentialStoreApi for Recording {
        fn vendor(&self) -> String {
            "recording".into()
        }
        fn id(&self) -> String {
            "recording".into()
        }
        fn build(
            &self,
            service: &str,
            user: &str,
            modifiers: Option<&HashMap<&str, &str>>,
        ) -> Result<Entry> {
            let mut m: Vec<_> = modifiers
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            m.sort();
            self.seen.lock().unwrap().push(m);
            self.inner.build(service, user, None)
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn pairs(m: &[(&str, &str)]) -> Vec<(String, String)> {
        m.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_entry_of_the_ios_vault_is_built_after_first_unlock_this_device_only() {
        assert_eq!(
            IOS_KEYCHAIN_MODIFIERS,
            &[("access-policy", "after-first-unlock-this-device-only")],
            "apple-native-keyring-store's modifier for kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly"
        );
        let recording = Recording::new();
        let store = FixedModifiers::new(recording.clone(), IOS_KEYCHAIN_MODIFIERS);
        let vault = Vault::with_store(Arc::new(store), "svc").with_chunk_limit(Some(64));
        let big = vec![7u8; 200];
        vault.set("provider/account", &big).unwrap();
        assert_eq!(
            &vault.get("provider/account").unwrap().unwrap()[..],
            &big[..]
        );
        vault.delete("provider/account").unwrap();
        let seen = recording.seen.lock().unwrap();
        assert!(seen.len() > 3, "chunked writes build several entries");
        for m in seen.iter() {
            assert_eq!(m, &pairs(IOS_KEYCHAIN_MODIFIERS));
        }
    }

    #[test]
    fn a_callers_other_modifiers_pass_and_a_conflicting_one_is_refused() {
        let recording = Recording::new();
        let store = FixedModifiers::new(recording.clone(), IOS_KEYCHAIN_MODIFIERS);
        let other = HashMap::from([("label", "x")]);
        store.build("svc", "user", Some(&other)).unwrap();
        let same = HashMap::from([("access-policy", "after-first-unlock-this-device-only")]);
        store.build("svc", "user", Some(&same)).unwrap();
        assert_eq!(
            recording.seen.lock().unwrap().as_slice(),
            &[
                pairs(&[
                    ("access-policy", "after-first-unlock-this-device-only"),
                    ("label", "x")
                ]),
                pairs(IOS_KEYCHAIN_MODIFIERS),
            ]
        );
        let weaker = HashMap::from([("access-policy", "after-first-unlock")]);
        match store.build("svc", "user", Some(&weaker)) {
            Err(Error::Invalid(name, _)) => assert_eq!(name, "access-policy"),
            other => panic!("expected Invalid(access-policy), got {other:?}"),
        }
        assert_eq!(
            recording.seen.lock().unwrap().len(),
            2,
            "never reached the store"
        );
    }
}
