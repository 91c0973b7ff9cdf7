//! DPoP (RFC 9449): a key pair per session, proofs for every request that uses its tokens,
//! and the server nonces they must carry.
//!
//! A session's access and refresh tokens are bound to its key's thumbprint: a copy of them
//! is of no use without a proof signed by the key, and the key never leaves Rust (the
//! webview's `authFetch` signs here). The key is kept in the credential store in the same
//! record as the refresh token (the vault's `Record`).
//!
//! Where keys come from is a seam ([`DpopKeySource`]): [`SoftwareKeys`] (ring; every
//! platform) generates and loads PKCS#8 keys that the record holds. On macOS and iOS, with
//! `dpopHardwareKey`, the Secure Enclave source (`dpop/secure_enclave.rs`) keeps the private
//! key in the Secure Enclave and the record holds only its Keychain label. A TPM (Windows) or
//! Android KeyStore source would plug in the same way.
//!
//! Proofs are compact JWS assembled here rather than with `jsonwebtoken::encode`: its
//! `EncodingKey` holds key bytes, and a key of a hardware-backed source has none to give;
//! the signing itself is ring's (or the platform's), the header's `jwk` and the thumbprint
//! are `jsonwebtoken`'s types where they cover the key type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use sha2::{Digest, Sha256};
use url::Url;
use zeroize::Zeroizing;

use crate::config::DpopAlg;
use crate::error::{Error, Result};
use crate::secret::{AccessToken, DpopPrivateKey};

/// The header a DPoP proof travels in, and the one servers send nonces in.
pub(crate) const DPOP_HEADER: &str = "dpop";
/// RFC 9449 §8: the header a server sends a new nonce in.
pub(crate) const DPOP_NONCE_HEADER: &str = "dpop-nonce";

impl DpopAlg {
    /// The JWS `alg` name.
    pub(crate) fn jws_name(self) -> &'static str {
        match self {
            DpopAlg::Es256 => "ES256",
            DpopAlg::EdDsa => "EdDSA",
        }
    }

    /// The algorithm a JWS `alg` names, when it is one a DPoP key of this plugin uses.
    pub(crate) fn from_jws_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(DpopAlg::Es256),
            "EdDSA" => Some(DpopAlg::EdDsa),
            _ => None,
        }
    }
}

#[cfg(target_vendor = "apple")]
mod secure_enclave;

/// How a session's key is kept: what the record stores of it.
#[derive(Clone)]
pub(crate) enum StoredKey {
    /// The private key itself (base64url PKCS#8), in the record.
    Software(DpopPrivateKey),
    /// A reference to a key that never leaves the platform's hardware (its Keychain label).
    #[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
    Platform(String),
}

/// Makes and loads session keys: the seam a hardware-backed key store plugs into.
pub(crate) trait DpopKeySource: Send + Sync + std::fmt::Debug {
    /// A new key pair for one session.
    fn generate(&self, alg: DpopAlg) -> Result<DpopKey>;
    /// The key pair a record stored ([`DpopKey::stored`]).
    fn load(&self, alg: DpopAlg, stored: &StoredKey) -> Result<DpopKey>;
    /// Deletes what the source keeps of a key outside the record, once its session ended.
    fn forget(&self, _stored: &StoredKey) {}
}

/// Where a new session key comes from: the Secure Enclave on macOS and iOS when the provider
/// asks for a hardware key (`dpopHardwareKey`), software keys otherwise.
pub(crate) fn key_source(hardware: bool) -> &'static dyn DpopKeySource {
    #[cfg(target_vendor = "apple")]
    if hardware {
        return &secure_enclave::SecureEnclaveKeys;
    }
    let _ = hardware;
    &SoftwareKeys
}

/// The source that made a stored key: a reference is this platform's hardware's (another
/// platform's, or a newer build's, is `store_unsupported_version`, left intact).
fn source_of(stored: &StoredKey) -> Result<&'static dyn DpopKeySource> {
    match stored {
        StoredKey::Software(_) => Ok(&SoftwareKeys),
        #[cfg(target_vendor = "apple")]
        StoredKey::Platform(_) => Ok(&secure_enclave::SecureEnclaveKeys),
        #[cfg(not(target_vendor = "apple"))]
        StoredKey::Platform(_) => Err(Error::StoreUnsupportedVersion(
            "a DPoP key kept in another platform's hardware".into(),
        )),
    }
}

/// The key a record stored: `alg` its JWS name (one this build does not sign with is a newer
/// build's: `store_unsupported_version`).
pub(crate) fn load_stored(alg: &str, stored: &StoredKey) -> Result<DpopKey> {
    let alg = DpopAlg::from_jws_name(alg).ok_or_else(|| {
        Error::StoreUnsupportedVersion(format!("a DPoP key of algorithm `{alg}`"))
    })?;
    source_of(stored)?.load(alg, stored)
}

/// Deletes what is kept of a stored key outside its record (a hardware key), best effort: the
/// session ended, and the key is useless without its tokens.
pub(crate) fn forget(stored: &StoredKey) {
    if let Ok(source) = source_of(stored) {
        source.forget(stored);
    }
}

/// Software keys (ring): the PKCS#8 document is what the credential store keeps.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SoftwareKeys;

impl DpopKeySource for SoftwareKeys {
    fn generate(&self, alg: DpopAlg) -> Result<DpopKey> {
        let rng = SystemRandom::new();
        let unavailable = |_| Error::Internal("DPoP: no key could be generated".into());
        let pkcs8 = match alg {
            DpopAlg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(unavailable)?,
            DpopAlg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng).map_err(unavailable)?,
        };
        let stored =
            StoredKey::Software(DpopPrivateKey::new(URL_SAFE_NO_PAD.encode(pkcs8.as_ref())));
        self.load(alg, &stored)
    }

    fn load(&self, alg: DpopAlg, stored: &StoredKey) -> Result<DpopKey> {
        // The stored value is never quoted: it is the private key.
        let corrupted = || {
            Error::StoreCorrupted(format!(
                "the stored {} DPoP key does not load",
                alg.jws_name()
            ))
        };
        let StoredKey::Software(private) = stored else {
            return Err(corrupted());
        };
        let der = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(private.secret())
                .map_err(|_| corrupted())?,
        );
        let (signer, jwk): (Box<dyn Signer>, serde_json::Value) = match alg {
            DpopAlg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &SystemRandom::new(),
                )
                .map_err(|_| corrupted())?;
                let jwk = p256_jwk(pair.public_key().as_ref()).ok_or_else(corrupted)?;
                (Box::new(EcdsaSigner(pair)), jwk)
            }
            DpopAlg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|_| corrupted())?;
                let jwk = serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
                });
                (Box::new(Ed25519Signer(pair)), jwk)
            }
        };
        DpopKey::new(alg, jwk, signer, stored.clone())
    }
}

/// Signs with a session's private key: JWS signature bytes (ECDSA: `r ‖ s`, RFC 7518 §3.4).
trait Signer: Send + Sync {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

struct EcdsaSigner(EcdsaKeyPair);

impl Signer for EcdsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        // ring's FIXED encoding is JWS's: r ‖ s, 32 bytes each (RFC 7518 §3.4).
        self.0
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Internal("DPoP: the proof could not be signed".into()))
    }
}

struct Ed25519Signer(Ed25519KeyPair);

impl Signer for Ed25519Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        Ok(self.0.sign(message).as_ref().to_vec())
    }
}

/// The public JWK of an uncompressed P-256 point (`0x04 ‖ x ‖ y`); `None` for anything else.
fn p256_jwk(point: &[u8]) -> Option<serde_json::Value> {
    if point.len() != 65 || point[0] != 4 {
        return None;
    }
    Some(serde_json::json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..]),
    }))
}

/// An X9.62 (DER) P-256 ECDSA signature, `SEQUENCE { INTEGER r, INTEGER s }`, as JWS wants it:
/// `r ‖ s`, 32 bytes each (RFC 7518 §3.4). `None` for anything that is not exactly that.
/// Hand-written: platform signers (the Secure Enclave) answer DER, and the crates kept here
/// convert only their own signature types.
#[cfg_attr(not(any(target_vendor = "apple", test)), allow(dead_code))]
fn ecdsa_der_to_jws(der: &[u8]) -> Option<[u8; 64]> {
    /// One DER element with tag `tag` (short or one-byte long length): its content, the rest.
    fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&t, rest) = input.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let (len, rest) = match len {
            0..=0x7f => (usize::from(len), rest),
            0x81 => {
                let (&l, rest) = rest.split_first()?;
                (usize::from(l), rest)
            }
            _ => return None,
        };
        (t == tag && rest.len() >= len).then(|| rest.split_at(len))
    }
    /// A positive INTEGER's magnitude in 32 big-endian bytes.
    fn scalar(int: &[u8], out: &mut [u8]) -> Option<()> {
        let trimmed = match int {
            [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
            [b, ..] if b & 0x80 != 0 => return None,
            other => other,
        };
        let start = out.len().checked_sub(trimmed.len())?;
        out[start..].copy_from_slice(trimmed);
        Some(())
    }
    let (sequence, rest) = element(der, 0x30)?;
    let (r, sequence) = element(sequence, 0x02)?;
    let (s, sequence) = element(sequence, 0x02)?;
    if !rest.is_empty() || !sequence.is_empty() || r.is_empty() || s.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    scalar(r, &mut out[..32])?;
    scalar(s, &mut out[32..])?;
    Some(out)
}

/// RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: the `jkt` tokens are bound to.
fn thumbprint(jwk: &serde_json::Value) -> Result<String> {
    // jsonwebtoken hashes through its crypto provider: the plugin's (ring), installed here
    // too, since a stored key may be loaded before any client exists.
    super::jwt_crypto::ensure_installed();
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
        .map_err(|e| Error::Internal(format!("DPoP public key: {e}")))?;
    parsed
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|e| Error::Internal(format!("DPoP thumbprint: {e}")))
}

/// One session's DPoP key pair. `Debug` shows the algorithm and the public thumbprint only.
pub struct DpopKey {
    alg: DpopAlg,
    jwk: serde_json::Value,
    thumbprint: String,
    signer: Box<dyn Signer>,
    stored: StoredKey,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.alg.jws_name())
            .field("jkt", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A key of any source: its public JWK, its signer, what the record keeps of it.
    fn new(
        alg: DpopAlg,
        jwk: serde_json::Value,
        signer: Box<dyn Signer>,
        stored: StoredKey,
    ) -> Result<Self> {
        Ok(DpopKey {
            alg,
            thumbprint: thumbprint(&jwk)?,
            jwk,
            signer,
            stored,
        })
    }

    /// The signing algorithm.
    pub(crate) fn alg(&self) -> DpopAlg {
        self.alg
    }

    /// The RFC 7638 thumbprint of the public key: the `cnf.jkt` the provider binds tokens to.
    pub(crate) fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// What the credential store keeps of the key.
    pub(crate) fn stored(&self) -> &StoredKey {
        &self.stored
    }

    /// A proof (RFC 9449 §4.2) for one request: `htm` the method, `htu` the URL without query
    /// and fragment, a fresh `jti`, `iat`, the server's `nonce` when there is one, and `ath`
    /// (the access token's SHA-256) for a resource request.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&AccessToken>,
        nonce: Option<&str>,
        now: SystemTime,
    ) -> Result<String> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut jti = [0u8; 16];
        SystemRandom::new()
            .fill(&mut jti)
            .map_err(|_| Error::Internal("DPoP: no randomness for a proof".into()))?;
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": self.alg.jws_name(),
            "jwk": self.jwk,
        });
        let mut claims = serde_json::json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu.as_str(),
            "iat": iat,
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD
                .encode(Sha256::digest(token.secret().as_bytes()))
                .into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        let encode = |v: &serde_json::Value| {
            serde_json::to_vec(v)
                .map(|b| URL_SAFE_NO_PAD.encode(b))
                .map_err(|e| Error::Internal(format!("DPoP proof: {e}")))
        };
        let signing_input = format!("{}.{}", encode(&header)?, encode(&claims)?);
        let signature = self.signer.sign(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The most origins whose nonces are remembered (a resource server per origin; more is a
/// misbehaving page, and forgetting costs one extra round trip).
const MAX_NONCE_ORIGINS: usize = 64;

/// Server nonces (RFC 9449 §8, §9), per origin: the latest `DPoP-Nonce` each server sent.
#[derive(Debug, Default)]
pub(crate) struct DpopNonces(Mutex<HashMap<String, String>>);

impl DpopNonces {
    /// The nonce to put in a proof for `url`.
    pub(crate) fn get(&self, url: &Url) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&url.origin().ascii_serialization()).cloned()
    }

    /// Keeps the `DPoP-Nonce` of a response from `url`; returns whether it was a new value.
    /// A value that is not RFC 9449's `1*NQCHAR` is ignored.
    pub(crate) fn remember(&self, url: &Url, headers: &oauth2::http::HeaderMap) -> bool {
        let Some(value) = headers
            .get(DPOP_NONCE_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_nonce(v))
        else {
            return false;
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let origin = url.origin().ascii_serialization();
        if map.get(&origin).map(String::as_str) == Some(value) {
            return false;
        }
        if map.len() >= MAX_NONCE_ORIGINS && !map.contains_key(&origin) {
            map.clear();
        }
        map.insert(origin, value.to_string());
        true
    }
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E.
fn is_nonce(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 1024
        && v.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// Whether a token endpoint error body is RFC 9449 §8's `use_dpop_nonce`.
pub(crate) fn is_nonce_error_body(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    serde_json::from_slice::<ErrorBody>(body).is_ok_and(|b| b.error == "use_dpop_nonce")
}

/// Whether a resource server's `WWW-Authenticate` is RFC 9449 §9's `use_dpop_nonce`
/// challenge. A match on the one parameter that matters, not an RFC 9110 challenge parser
/// (no crate the plugin keeps has one).
pub(crate) fn is_nonce_challenge(headers: &oauth2::http::HeaderMap) -> bool {
    headers
        .get_all(oauth2::http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            let v = v.to_ascii_lowercase();
            v.trim_start().starts_with("dpop")
                && (v.contains("error=\"use_dpop_nonce\"") || v.contains("error=use_dpop_nonce"))
        })
}

/// A session's key with the nonces of the servers it talks to: what a request needs to carry
/// a proof.
#[derive(Debug, Clone)]
pub struct DpopBinding {
    pub(crate) key: Arc<DpopKey>,
    pub(crate) nonces: Arc<DpopNonces>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(proof: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>) {
        let mut it = proof.split('.');
        let mut json = || -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap()
        };
        let header = json();
        let claims = json();
        let sig = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
        (header, claims, sig)
    }

    /// A proof verifies with the public key in its own header (checked with jsonwebtoken,
    /// independently of how it was made), and carries exactly the RFC 9449 claims.
    #[test]
    fn proofs_verify_with_their_jwk_and_carry_the_claims() {
        for alg in [DpopAlg::Es256, DpopAlg::EdDsa] {
            let key = SoftwareKeys.generate(alg).unwrap();
            let url = Url::parse("https://api.example.com:8443/v1/me?x=1#frag").unwrap();
            let token = AccessToken::new("the-access-token");
            let now = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
            let proof = key
                .proof("GET", &url, Some(&token), Some("n-1"), now)
                .unwrap();
            let (header, claims, _) = parts(&proof);
            assert_eq!(header["typ"], "dpop+jwt");
            assert_eq!(header["alg"], alg.jws_name());
            assert!(header["jwk"].get("d").is_none(), "no private part");
            assert_eq!(claims["htm"], "GET");
            assert_eq!(claims["htu"], "https://api.example.com:8443/v1/me");
            assert_eq!(claims["iat"], 1_700_000_000u64);
            assert_eq!(claims["nonce"], "n-1");
            assert_eq!(
                claims["ath"],
                URL_SAFE_NO_PAD.encode(Sha256::digest(b"the-access-token"))
            );
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(header["jwk"].clone()).unwrap();
            let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
            let jws_alg = match alg {
                DpopAlg::Es256 => jsonwebtoken::Algorithm::ES256,
                DpopAlg::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            };
            let (input, sig) = proof.rsplit_once('.').unwrap();
            assert!(
                jsonwebtoken::crypto::verify(sig, input.as_bytes(), &decoding, jws_alg).unwrap()
            );
            // A changed claim no longer verifies.
            let forged = input.replacen('.', ".e", 1);
            assert!(
                !jsonwebtoken::crypto::verify(sig, forged.as_bytes(), &decoding, jws_alg)
                    .unwrap_or(false)
            );
            // Without a token or nonce: neither claim.
            let (_, bare, _) = parts(&key.proof("POST", &url, None, None, now).unwrap());
            assert!(bare.get("ath").is_none() && bare.get("nonce").is_none());
        }
    }

    #[test]
    fn every_proof_has_a_fresh_jti() {
        let key = SoftwareKeys.generate(DpopAlg::Es256).unwrap();
        let url = Url::parse("https://a.example/").unwrap();
        let jtis: std::collections::HashSet<String> = (0..50)
            .map(|_| {
                let (_, c, _) = parts(
                    &key.proof("GET", &url, None, None, SystemTime::now())
                        .unwrap(),
                );
                c["jti"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(jtis.len(), 50);
    }

    /// A stored key loads back to the same public key; a damaged one is `store_corrupted`
    /// without quoting it; `Debug` shows no private bytes.
    #[test]
    fn stored_keys_load_back_and_damaged_ones_are_refused() {
        for alg in [DpopAlg::Es256, DpopAlg::EdDsa] {
            let key = SoftwareKeys.generate(alg).unwrap();
            let again = SoftwareKeys.load(alg, key.stored()).unwrap();
            assert_eq!(key.thumbprint(), again.thumbprint());
            assert_eq!(key.jwk, again.jwk);
            let printed = format!("{key:?}");
            let StoredKey::Software(private) = key.stored() else {
                panic!("a software key")
            };
            assert!(!printed.contains(private.secret()), "{printed}");
            assert!(printed.contains(key.thumbprint()));
            for bad in ["", "!!", "AAAA", &private.secret()[..40]] {
                let e = SoftwareKeys
                    .load(alg, &StoredKey::Software(DpopPrivateKey::new(bad)))
                    .unwrap_err();
                assert_eq!(e.code(), "store_corrupted");
            }
            // A reference is not a software key.
            let e = SoftwareKeys
                .load(alg, &StoredKey::Platform("label".into()))
                .unwrap_err();
            assert_eq!(e.code(), "store_corrupted");
            // The other algorithm's key does not load as this one.
            let other = match alg {
                DpopAlg::Es256 => DpopAlg::EdDsa,
                DpopAlg::EdDsa => DpopAlg::Es256,
            };
            assert!(SoftwareKeys.load(other, key.stored()).is_err());
        }
    }

    /// RFC 7638 §3.1's example key has the thumbprint the RFC gives; the EC path agrees with
    /// a hand-computed canonical form; RFC 8037 §A.3 gives the Ed25519 one.
    #[test]
    fn thumbprints_match_the_rfcs() {
        let rsa = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
        });
        assert_eq!(
            thumbprint(&rsa).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        let ed = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        });
        assert_eq!(
            thumbprint(&ed).unwrap(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    /// DER signatures (as the Secure Enclave answers) become JWS `r ‖ s` that verify; 200
    /// signatures cover the zero-padded case, a crafted one the short case; malformed DER is
    /// refused.
    #[test]
    fn der_signatures_convert_to_jws_form() {
        use ring::signature::{
            UnparsedPublicKey, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED,
        };
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref());
        let mut padded = 0;
        for i in 0..200u32 {
            let message = i.to_be_bytes();
            let der = pair.sign(&rng, &message).unwrap();
            let der = der.as_ref();
            padded += usize::from(der.len() > 70);
            let jws = ecdsa_der_to_jws(der).expect("a DER signature converts");
            public
                .verify(&message, &jws)
                .expect("and verifies as r ‖ s");
            // Damaged: cut, extended, wrong tags, a negative integer.
            assert_eq!(ecdsa_der_to_jws(&der[..der.len() - 1]), None);
            assert_eq!(ecdsa_der_to_jws(&[der, &[0]].concat()), None);
            let mut wrong = der.to_vec();
            wrong[0] = 0x31;
            assert_eq!(ecdsa_der_to_jws(&wrong), None);
        }
        assert!(padded > 0, "some signatures had a zero-padded r or s");
        // A short r (31 bytes: its top byte was zero) is left-padded.
        let short = [
            &[0x30, 0x43, 0x02, 0x1f][..],
            &[0x11; 31],
            &[0x02, 0x20],
            &[0x22; 32],
        ]
        .concat();
        let jws = ecdsa_der_to_jws(&short).unwrap();
        assert_eq!(
            (jws[0], jws[1], jws[31], jws[32], jws[63]),
            (0, 0x11, 0x11, 0x22, 0x22)
        );
        assert_eq!(
            ecdsa_der_to_jws(&[0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01]),
            None
        );
        assert_eq!(ecdsa_der_to_jws(&[]), None);
        let too_long = [
            &[0x30, 0x46, 0x02, 0x21, 0x01][..],
            &[1; 32],
            &[0x02, 0x21, 0x01],
            &[1; 32],
        ]
        .concat();
        assert_eq!(ecdsa_der_to_jws(&too_long), None);
    }

    /// Off Apple platforms a hardware key is asked for in vain: a software key; a record's
    /// hardware reference is another platform's, left intact (`store_unsupported_version`).
    #[cfg(not(target_vendor = "apple"))]
    #[test]
    fn without_hardware_keys_are_software_and_references_are_not_read() {
        let key = key_source(true).generate(DpopAlg::Es256).unwrap();
        assert!(matches!(key.stored(), StoredKey::Software(_)));
        let e = load_stored("ES256", &StoredKey::Platform("label".into())).unwrap_err();
        assert_eq!(e.code(), "store_unsupported_version");
        let e = load_stored("ES512", key.stored()).unwrap_err();
        assert_eq!(e.code(), "store_unsupported_version");
        assert_eq!(
            load_stored("ES256", key.stored()).unwrap().thumbprint(),
            key.thumbprint()
        );
        forget(&StoredKey::Platform("label".into()));
    }

    #[test]
    fn nonces_are_kept_per_origin_and_malformed_ones_ignored() {
        let nonces = DpopNonces::default();
        let a = Url::parse("https://a.example/x").unwrap();
        let a2 = Url::parse("https://a.example/other?q").unwrap();
        let b = Url::parse("https://b.example/").unwrap();
        let headers = |v: &str| {
            let mut h = oauth2::http::HeaderMap::new();
            h.insert(DPOP_NONCE_HEADER, v.parse().unwrap());
            h
        };
        assert!(nonces.remember(&a, &headers("n1")));
        assert!(!nonces.remember(&a, &headers("n1")), "same value: not new");
        assert_eq!(nonces.get(&a2).as_deref(), Some("n1"));
        assert_eq!(nonces.get(&b), None);
        for bad in ["with space", "quote\"", "back\\slash"] {
            assert!(!nonces.remember(&b, &headers(bad)), "{bad}");
        }
        assert_eq!(nonces.get(&b), None);
        assert!(!nonces.remember(&b, &oauth2::http::HeaderMap::new()));
    }

    #[test]
    fn nonce_challenges_are_recognised() {
        let with = |v: &str| {
            let mut h = oauth2::http::HeaderMap::new();
            h.insert(oauth2::http::header::WWW_AUTHENTICATE, v.parse().unwrap());
            h
        };
        assert!(is_nonce_challenge(&with(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
        )));
        assert!(!is_nonce_challenge(&with(r#"DPoP error="invalid_token""#)));
        assert!(!is_nonce_challenge(&with(
            r#"Bearer error="use_dpop_nonce""#
        )));
        assert!(!is_nonce_challenge(&oauth2::http::HeaderMap::new()));
        assert!(is_nonce_error_body(
            br#"{"error":"use_dpop_nonce","error_description":"x"}"#
        ));
        assert!(!is_nonce_error_body(br#"{"error":"invalid_grant"}"#));
        assert!(!is_nonce_error_body(b"use_dpop_nonce"));
    }
}
