//! DPoP keys in the Secure Enclave (macOS, iOS; `dpopHardwareKey`): P-256 keys generated
//! inside it, whose private half cannot be read out by anyone, this app included. The
//! record keeps the key's Keychain label; the key itself stays in the data-protection
//! Keychain (after first unlock, this device only), and is deleted when its session ends.
//!
//! Compiled for `aarch64-apple-darwin` and `aarch64-apple-ios` by the cross checks; never run
//! (no Apple hardware in this project's CI). Where the Secure Enclave refuses (a Mac without
//! one, an app without the Keychain entitlement), the session gets a software key and a
//! warning is logged.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use security_framework::access_control::{ProtectionMode, SecAccessControl};
use security_framework::item::{ItemClass, ItemSearchOptions, Location, Reference, SearchResult};
use security_framework::key::{Algorithm, GenerateKeyOptions, KeyType, SecKey, Token};

use super::{ecdsa_der_to_jws, p256_jwk, DpopKey, DpopKeySource, Signer, SoftwareKeys, StoredKey};
use crate::config::DpopAlg;
use crate::error::{Error, Result};

/// The Secure Enclave as a [`DpopKeySource`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecureEnclaveKeys;

/// Labels of this plugin's keys start with this (a random part follows).
const LABEL_PREFIX: &str = "tauri-plugin-token-vault DPoP ";

/// `kSecAccessControlPrivateKeyUsage`: the key may sign (a Secure Enclave key needs it).
const PRIVATE_KEY_USAGE: usize = 1 << 30;

impl DpopKeySource for SecureEnclaveKeys {
    fn generate(&self, alg: DpopAlg) -> Result<DpopKey> {
        if alg != DpopAlg::Es256 {
            log::warn!(
                "DPoP: the Secure Enclave has no {} keys; using a software key",
                alg.jws_name()
            );
            return SoftwareKeys.generate(alg);
        }
        let mut random = [0u8; 16];
        SystemRandom::new()
            .fill(&mut random)
            .map_err(|_| Error::Internal("DPoP: no randomness for a key label".into()))?;
        let label = format!("{LABEL_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        let access = SecAccessControl::create_with_protection(
            Some(ProtectionMode::AccessibleAfterFirstUnlockThisDeviceOnly),
            PRIVATE_KEY_USAGE as _,
        )
        .map_err(|e| Error::Internal(format!("DPoP: Secure Enclave access control: {e}")))?;
        let mut options = GenerateKeyOptions::default();
        options
            .set_key_type(KeyType::ec_sec_prime_random())
            .set_size_in_bits(256)
            .set_label(label.clone())
            .set_token(Token::SecureEnclave)
            .set_location(Location::DataProtectionKeychain)
            .set_access_control(access);
        match SecKey::new(&options) {
            Ok(key) => wrap(key, label),
            Err(e) => {
                log::warn!(
                    "DPoP: the Secure Enclave made no key (error {}); using a software key",
                    e.code()
                );
                SoftwareKeys.generate(alg)
            }
        }
    }

    fn load(&self, alg: DpopAlg, stored: &StoredKey) -> Result<DpopKey> {
        let StoredKey::Platform(label) = stored else {
            return SoftwareKeys.load(alg, stored);
        };
        // Gone (another device, a wiped Keychain): the session cannot go on.
        let missing = || Error::StoreCorrupted("the DPoP key is not in the Secure Enclave".into());
        if alg != DpopAlg::Es256 || !label.starts_with(LABEL_PREFIX) {
            return Err(missing());
        }
        let found = search(label).search().map_err(|_| missing())?;
        let key = found
            .into_iter()
            .find_map(|r| match r {
                SearchResult::Ref(Reference::Key(k)) => Some(k),
                _ => None,
            })
            .ok_or_else(missing)?;
        wrap(key, label.clone())
    }

    fn forget(&self, stored: &StoredKey) {
        if let StoredKey::Platform(label) = stored {
            if let Err(e) = search(label).delete() {
                log::debug!(
                    "DPoP: the Secure Enclave key was not deleted (error {})",
                    e.code()
                );
            }
        }
    }
}

/// The query for this plugin's key with `label`.
fn search(label: &str) -> ItemSearchOptions {
    let mut query = ItemSearchOptions::new();
    query
        .class(ItemClass::key())
        .label(label)
        .load_refs(true)
        .limit(1);
    #[cfg(target_os = "macos")]
    query.ignore_legacy_keychains();
    query
}

/// A Secure Enclave key as a [`DpopKey`]: its public key read out, signing done inside.
fn wrap(key: SecKey, label: String) -> Result<DpopKey> {
    let broken = || Error::StoreCorrupted("the Secure Enclave key has no usable public key".into());
    let public = key
        .public_key()
        .and_then(|p| p.external_representation())
        .ok_or_else(broken)?;
    let jwk = p256_jwk(public.bytes()).ok_or_else(broken)?;
    DpopKey::new(
        DpopAlg::Es256,
        jwk,
        Box::new(EnclaveSigner(key)),
        StoredKey::Platform(label),
    )
}

struct EnclaveSigner(SecKey);

impl Signer for EnclaveSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        // The Secure Enclave answers X9.62 (DER); JWS wants `r ‖ s`.
        let der = self
            .0
            .create_signature(Algorithm::ECDSASignatureMessageX962SHA256, message)
            .map_err(|e| {
                Error::Internal(format!(
                    "DPoP: the Secure Enclave did not sign (error {})",
                    e.code()
                ))
            })?;
        ecdsa_der_to_jws(&der).map(|s| s.to_vec()).ok_or_else(|| {
            Error::Internal("DPoP: the Secure Enclave's signature does not parse".into())
        })
    }
}
