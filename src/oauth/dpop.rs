//! DPoP (RFC 9449): a key pair per session, proofs for every request that uses its tokens,
//! and the server nonces they must carry.
//!
//! A session's access and refresh tokens are bound to its key's thumbprint: a copy of them
//! is of no use without a proof signed by the key, and the key never leaves Rust (the
//! webview's `authFetch` signs here). The key is kept in the credential store in the same
//! record as the refresh token (the vault's `Record`).
//!
//! Where keys come from is a seam ([`DpopKeySource`]): [`SoftwareKeys`] (ring; every
//! platform) generates and loads PKCS#8 keys that the record holds. A hardware-backed source
//! (Secure Enclave, TPM, Android KeyStore) would keep the private half in hardware and store a
//! reference instead.
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

/// Makes and loads session keys: the seam a hardware-backed key store plugs into.
pub(crate) trait DpopKeySource: Send + Sync + std::fmt::Debug {
    /// A new key pair for one session.
    fn generate(&self, alg: DpopAlg) -> Result<DpopKey>;
    /// The key pair a record stored ([`DpopKey::private_key`]).
    fn load(&self, alg: DpopAlg, stored: &DpopPrivateKey) -> Result<DpopKey>;
}

/// This platform's key source: where session keys are made and loaded. Software keys
/// everywhere for now; a hardware-backed source replaces it per platform here.
pub(crate) fn key_source() -> &'static dyn DpopKeySource {
    &SoftwareKeys
}

/// The key a record stored: `alg` its JWS name (one this build does not sign with is a newer
/// build's: `store_unsupported_version`), `key` what [`DpopKey::private_key`] gave.
pub(crate) fn load_stored(alg: &str, key: &DpopPrivateKey) -> Result<DpopKey> {
    let alg = DpopAlg::from_jws_name(alg).ok_or_else(|| {
        Error::StoreUnsupportedVersion(format!("a DPoP key of algorithm `{alg}`"))
    })?;
    key_source().load(alg, key)
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
        let stored = DpopPrivateKey::new(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()));
        self.load(alg, &stored)
    }

    fn load(&self, alg: DpopAlg, stored: &DpopPrivateKey) -> Result<DpopKey> {
        // The stored value is never quoted: it is the private key.
        let corrupted = || {
            Error::StoreCorrupted(format!(
                "the stored {} DPoP key does not load",
                alg.jws_name()
            ))
        };
        let der = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(stored.secret())
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
                // An uncompressed P-256 point: 0x04 ‖ x ‖ y.
                let point = pair.public_key().as_ref();
                if point.len() != 65 || point[0] != 4 {
                    return Err(corrupted());
                }
                let jwk = serde_json::json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..]),
                });
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
        let thumbprint = thumbprint(&jwk)?;
        Ok(DpopKey {
            alg,
            jwk,
            thumbprint,
            signer,
            stored: stored.clone(),
        })
    }
}

/// Signs with a session's private key.
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

/// RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: the `jkt` tokens are bound to.
/// EC keys through `jsonwebtoken`; it refuses OKP (Ed25519) keys, whose canonical form
/// (`crv`, `kty`, `x` in that order) is written here.
fn thumbprint(jwk: &serde_json::Value) -> Result<String> {
    let text = |k: &str| jwk[k].as_str().unwrap_or_default().to_string();
    if text("kty") == "OKP" {
        let canonical = serde_json::json!({ "crv": text("crv"), "kty": "OKP", "x": text("x") });
        // serde_json's map is ordered by key (no `preserve_order`): crv, kty, x.
        let bytes = serde_json::to_vec(&canonical)
            .map_err(|e| Error::Internal(format!("DPoP thumbprint: {e}")))?;
        return Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(bytes)));
    }
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
    stored: DpopPrivateKey,
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
    /// The signing algorithm.
    pub(crate) fn alg(&self) -> DpopAlg {
        self.alg
    }

    /// The RFC 7638 thumbprint of the public key: the `cnf.jkt` the provider binds tokens to.
    pub(crate) fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// What the credential store keeps of the key.
    pub(crate) fn private_key(&self) -> &DpopPrivateKey {
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
            let again = SoftwareKeys.load(alg, key.private_key()).unwrap();
            assert_eq!(key.thumbprint(), again.thumbprint());
            assert_eq!(key.jwk, again.jwk);
            let printed = format!("{key:?}");
            assert!(!printed.contains(key.private_key().secret()), "{printed}");
            assert!(printed.contains(key.thumbprint()));
            for bad in ["", "!!", "AAAA", &key.private_key().secret()[..40]] {
                let e = SoftwareKeys
                    .load(alg, &DpopPrivateKey::new(bad))
                    .unwrap_err();
                assert_eq!(e.code(), "store_corrupted");
            }
            // The other algorithm's key does not load as this one.
            let other = match alg {
                DpopAlg::Es256 => DpopAlg::EdDsa,
                DpopAlg::EdDsa => DpopAlg::Es256,
            };
            assert!(SoftwareKeys.load(other, key.private_key()).is_err());
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
