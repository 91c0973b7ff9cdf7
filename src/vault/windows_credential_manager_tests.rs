//! The store conformance suite against the real Windows Credential Manager
//! (`windows-native-keyring-store`), and what happens at its 2560-byte blob limit.
//!
//! Run by scripts/check-desktop-platforms.sh under Wine (Wine's own implementation of the
//! Credential Manager API, in a fresh prefix); never run on a real Windows by this project.

use super::*;

/// A service name no earlier run used.
fn unique_service(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "tauri-plugin-token-vault.test.{tag}.{}.{nanos}",
        std::process::id()
    )
}

/// `len` bytes of a repeating pattern (so a truncation or a shifted part shows).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 + 1).collect()
}

#[test]
fn windows_credential_manager_conformance() {
    let v = Vault::platform(&unique_service("conformance")).expect("Credential Manager");
    assert_eq!(
        v.chunk_limit,
        Some(WINDOWS_BLOB_LIMIT),
        "the platform vault splits values on Windows"
    );
    conformance::run(&v);
}

#[test]
fn windows_credential_manager_at_the_blob_limit() {
    let service = unique_service("limit");
    let at = pattern(WINDOWS_BLOB_LIMIT);
    let over = pattern(WINDOWS_BLOB_LIMIT + 1);

    // The store crate itself, no chunking: 2560 bytes fit in one credential; 2561 are refused
    // (`windows-native-keyring-store` checks `CRED_MAX_CREDENTIAL_BLOB_SIZE` before it calls
    // `CredWriteW`) and nothing is written.
    let whole = Vault::platform(&service).unwrap().with_chunk_limit(None);
    whole.set("whole", &at).unwrap();
    assert_eq!(&whole.get("whole").unwrap().unwrap()[..], &at[..]);
    let err = whole.set("over", &over).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(whole.get("over").unwrap().is_none(), "nothing half-written");
    whole.delete("whole").unwrap();

    // The vault at the Windows limit: 2560 bytes are one entry, 2561 are split in two entries
    // that each fit, and read back whole.
    let v = Vault::platform(&service).unwrap();
    v.set("at", &at).unwrap();
    assert_eq!(
        &v.get_one("at").unwrap().unwrap()[..],
        &at[..],
        "stored whole"
    );
    assert!(v
        .get_one(&chunk::part_key("at", Some(1), 1))
        .unwrap()
        .is_none());
    v.set("over", &over).unwrap();
    let first = v.get_one("over").unwrap().unwrap();
    let second = v
        .get_one(&chunk::part_key("over", Some(1), 1))
        .unwrap()
        .unwrap();
    assert!(first.len() <= WINDOWS_BLOB_LIMIT && second.len() <= WINDOWS_BLOB_LIMIT);
    assert!(v
        .get_one(&chunk::part_key("over", Some(1), 2))
        .unwrap()
        .is_none());
    assert_eq!(&v.get("over").unwrap().unwrap()[..], &over[..]);
    v.delete("at").unwrap();
    v.delete("over").unwrap();

    // `CredWriteW` itself, under the store crate's check.
    let target = format!("{service}.raw");
    assert_eq!(raw::write_and_read(&target, &at), Ok(at.clone()));
    let result = raw::write_and_read(&target, &over);
    eprintln!(
        "CredWriteW with a {}-byte blob under {}: {:?}",
        over.len(),
        if raw::is_wine() { "Wine" } else { "Windows" },
        result.as_ref().map(|v| v.len())
    );
    if raw::is_wine() {
        // Wine 8 does not enforce the limit: it stores and returns the 2561 bytes (a probe with
        // 1 MB did the same). So under Wine only the store crate's own check and the vault's
        // split (unit-tested in chunk.rs) keep entries within it; Windows' own refusal is
        // documented, never observed here. Either way the vault never hands it more than 2560.
        assert_eq!(result, Ok(over.clone()));
    } else {
        assert!(result.is_err(), "Windows refuses a blob over 2560 bytes");
    }
}

/// Just enough of the Credential Manager API to see what it does with a blob over the limit,
/// below `windows-native-keyring-store`'s own check.
mod raw {
    use std::ffi::c_void;

    #[repr(C)]
    struct Credential {
        flags: u32,
        kind: u32,
        target_name: *mut u16,
        comment: *mut u16,
        last_written: [u32; 2],
        blob_size: u32,
        blob: *mut u8,
        persist: u32,
        attribute_count: u32,
        attributes: *mut c_void,
        target_alias: *mut u16,
        user_name: *mut u16,
    }

    const CRED_TYPE_GENERIC: u32 = 1;
    const CRED_PERSIST_LOCAL_MACHINE: u32 = 2;

    #[link(name = "advapi32")]
    extern "system" {
        fn CredWriteW(credential: *const Credential, flags: u32) -> i32;
        fn CredReadW(target: *const u16, kind: u32, flags: u32, out: *mut *mut Credential) -> i32;
        fn CredDeleteW(target: *const u16, kind: u32, flags: u32) -> i32;
        fn CredFree(buffer: *mut c_void);
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleA(name: *const u8) -> *mut c_void;
        fn GetProcAddress(module: *mut c_void, name: *const u8) -> *mut c_void;
    }

    /// Whether this process runs under Wine (its ntdll exports `wine_get_version`).
    pub fn is_wine() -> bool {
        // SAFETY: NUL-terminated names; ntdll is always loaded.
        unsafe {
            let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
            !ntdll.is_null()
                && !GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_null()
        }
    }

    /// Writes `blob` as a generic credential, reads it back and deletes it; the OS error of
    /// whichever call failed.
    pub fn write_and_read(target: &str, blob: &[u8]) -> Result<Vec<u8>, i32> {
        let mut name: Vec<u16> = target.encode_utf16().chain([0]).collect();
        let mut user: Vec<u16> = "probe".encode_utf16().chain([0]).collect();
        let mut blob = blob.to_vec();
        let cred = Credential {
            flags: 0,
            kind: CRED_TYPE_GENERIC,
            target_name: name.as_mut_ptr(),
            comment: std::ptr::null_mut(),
            last_written: [0; 2],
            blob_size: blob.len() as u32,
            blob: blob.as_mut_ptr(),
            persist: CRED_PERSIST_LOCAL_MACHINE,
            attribute_count: 0,
            attributes: std::ptr::null_mut(),
            target_alias: std::ptr::null_mut(),
            user_name: user.as_mut_ptr(),
        };
        let last_error = || std::io::Error::last_os_error().raw_os_error().unwrap_or(-1);
        // SAFETY: every pointer in `cred` is valid for the call; CredReadW's result is freed
        // with CredFree after its blob is copied out.
        unsafe {
            if CredWriteW(&cred, 0) == 0 {
                return Err(last_error());
            }
            let mut out: *mut Credential = std::ptr::null_mut();
            if CredReadW(name.as_ptr(), CRED_TYPE_GENERIC, 0, &mut out) == 0 {
                return Err(last_error());
            }
            let read = &*out;
            let back = std::slice::from_raw_parts(read.blob, read.blob_size as usize).to_vec();
            CredFree(out.cast());
            if CredDeleteW(name.as_ptr(), CRED_TYPE_GENERIC, 0) == 0 {
                return Err(last_error());
            }
            Ok(back)
        }
    }
}
