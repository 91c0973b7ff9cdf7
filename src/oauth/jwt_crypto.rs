//! `jsonwebtoken`'s cryptography on `ring`: the [`CryptoProvider`] that signs and verifies every
//! JWT of the crate (ID tokens, DPoP proofs), installed by [`ensure_installed`].
//!
//! Hand-written: `jsonwebtoken` 11 ships a RustCrypto backend (`rsa`, `p256`, `p384`,
//! `ed25519-dalek`: a second crypto stack in the app, ~0.5 MiB of code) and an aws-lc one (a C
//! library), but no `ring` one, while `ring` is already in every build through rustls and is a
//! direct dependency of the crate. The provider is small: each algorithm maps to one `ring`
//! primitive.
//!
//! # Contracts
//!
//! 1. Verifies RS256/384/512, PS256/384/512 (RSA keys of 2048 to 8192 bits, `ring`'s bounds),
//!    ES256, ES384 and EdDSA (Ed25519), with keys from a JWK (`DecodingKey::from_jwk`), from
//!    components or from DER/PEM; HS256/384/512 too, for an app's own use of `jsonwebtoken`
//!    (the ID-token checks refuse `HS*` before any key is looked at).
//! 2. Signs ES256 and EdDSA with `EncodingKey::from_ec_der` / `from_ed_der` given the PKCS#8
//!    DER of `ring`'s `EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ..)` /
//!    `Ed25519KeyPair::generate_pkcs8` (DPoP proofs); also ES384, EdDSA from a PKCS#8 v1
//!    key (OpenSSL's), RS*/PS* with an RSA key from PEM (PKCS#1 or PKCS#8) or DER, and HS*.
//! 3. A key of the wrong family for the algorithm is refused (`InvalidKeyFormat`), and so is a
//!    signature that does not verify; nothing about a key or a token is logged or printed.
//! 4. `key_utils` (what `Jwk::from_encoding_key`, `Jwk::from_decoding_key` and thumbprints use)
//!    works for RSA, EC and Ed25519 keys.
//! 5. [`ensure_installed`] makes it `jsonwebtoken`'s process-wide provider unless one was
//!    chosen before (by the app, or by an earlier use of `jsonwebtoken` in a build with a backend
//!    feature): then that one stays, and is used. It is called before every use of
//!    `jsonwebtoken`'s cryptography in the crate; without a backend feature there is no other.
//!
//! The provider is process-wide (`jsonwebtoken`'s design): an app that uses `jsonwebtoken`
//! itself, without installing a provider first, gets this one once the plugin has verified an
//! ID token. It covers every algorithm `jsonwebtoken` has; the one difference from RustCrypto
//! is `ring`'s refusal of RSA keys under 2048 bits.

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature as sig;
use ring::{digest, hmac};

/// The provider (contract 1–4).
pub(crate) static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key,
        rsa_pub_components_from_public_key,
        ec_pub_components_from_private_key,
        ed_pub_components_from_private_key,
        compute_digest,
    },
};

/// Makes [`PROVIDER`] `jsonwebtoken`'s default, once per process; "already installed" (by the
/// app, or by `jsonwebtoken` itself on an earlier use in a build with a backend feature) is
/// not an error: that provider stays (contract 5). Cheap after the first call.
pub(crate) fn ensure_installed() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if PROVIDER.install_default().is_err() {
            log::debug!(
                "jsonwebtoken's crypto provider was chosen before the plugin's (ring): \
                 JWTs are signed and verified with that one"
            );
        }
    });
}

/// The unit-test binary installs the provider before `main`, so that no test can make
/// `jsonwebtoken` pick RustCrypto (which the dev-dependency's `rust_crypto` feature enables in
/// test builds of this library) by signing a token before any code path has called
/// [`ensure_installed`]: the tests then run on this provider, as the library does in an app.
#[cfg(test)]
#[used]
#[cfg_attr(
    any(target_os = "linux", target_os = "android"),
    link_section = ".init_array"
)]
#[cfg_attr(target_os = "windows", link_section = ".CRT$XCU")]
#[cfg_attr(target_vendor = "apple", link_section = "__DATA,__mod_init_func")]
static INSTALL_BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn install() {
        ensure_installed();
    }
    install
};

fn opaque(_: ring::error::Unspecified) -> signature::Error {
    signature::Error::new()
}

fn hmac_alg(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// An RSA algorithm's signing padding and verification parameters.
fn rsa_alg(alg: Algorithm) -> Option<(&'static dyn sig::RsaEncoding, &'static sig::RsaParameters)> {
    Some(match alg {
        Algorithm::RS256 => (&sig::RSA_PKCS1_SHA256, &sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => (&sig::RSA_PKCS1_SHA384, &sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => (&sig::RSA_PKCS1_SHA512, &sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => (&sig::RSA_PSS_SHA256, &sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => (&sig::RSA_PSS_SHA384, &sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => (&sig::RSA_PSS_SHA512, &sig::RSA_PSS_2048_8192_SHA512),
        _ => return None,
    })
}

fn ecdsa_signing(alg: Algorithm) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match alg {
        Algorithm::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        _ => None,
    }
}

/// An RSA private key as `jsonwebtoken` holds it: PKCS#1 `RSAPrivateKey` (what `from_rsa_pem`
/// extracts from both PEM forms), or PKCS#8 (given to `from_rsa_der` as is).
fn rsa_key_pair(der: &[u8]) -> std::result::Result<sig::RsaKeyPair, ring::error::KeyRejected> {
    sig::RsaKeyPair::from_der(der).or_else(|_| sig::RsaKeyPair::from_pkcs8(der))
}

/// A private key parsed for one algorithm.
enum SigningKey {
    Hmac(hmac::Key),
    Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

struct RingSigner {
    alg: Algorithm,
    key: SigningKey,
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        match &self.key {
            SigningKey::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SigningKey::Rsa(pair, padding) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(*padding, &SystemRandom::new(), msg, &mut out)
                    .map_err(opaque)?;
                Ok(out)
            }
            SigningKey::Ecdsa(pair) => Ok(pair
                .sign(&SystemRandom::new(), msg)
                .map_err(opaque)?
                .as_ref()
                .to_vec()),
            SigningKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    let alg = *alg;
    if key.family() != alg.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    let der = key.as_bytes();
    let key = if let Some(h) = hmac_alg(alg) {
        SigningKey::Hmac(hmac::Key::new(h, der))
    } else if let Some((padding, _)) = rsa_alg(alg) {
        let pair = rsa_key_pair(der).map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
        SigningKey::Rsa(pair, padding)
    } else if let Some(ec) = ecdsa_signing(alg) {
        let pair = sig::EcdsaKeyPair::from_pkcs8(ec, der, &SystemRandom::new())
            .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
        SigningKey::Ecdsa(pair)
    } else {
        // EdDSA: PKCS#8 v2 (ring's, with the public key) or v1 (OpenSSL's).
        let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| ErrorKind::InvalidEddsaKey)?;
        SigningKey::Ed25519(pair)
    };
    Ok(Box::new(RingSigner { alg, key }))
}

struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let bytes = || {
            self.key
                .try_get_as_bytes()
                .map_err(|_| signature::Error::new())
        };
        if let Some(h) = hmac_alg(self.alg) {
            return hmac::verify(&hmac::Key::new(h, bytes()?), msg, signature).map_err(opaque);
        }
        if let Some((_, params)) = rsa_alg(self.alg) {
            return match self.key.kind() {
                DecodingKeyKind::SecretOrDer(der) => {
                    sig::UnparsedPublicKey::new(params, der).verify(msg, signature)
                }
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    sig::RsaPublicKeyComponents { n, e }.verify(params, msg, signature)
                }
            }
            .map_err(opaque);
        }
        let alg: &'static dyn sig::VerificationAlgorithm = match self.alg {
            Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
            _ => &sig::ED25519,
        };
        sig::UnparsedPublicKey::new(alg, bytes()?)
            .verify(msg, signature)
            .map_err(opaque)
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if key.family() != alg.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: key.clone(),
    }))
}

fn rsa_pub_components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let pair = rsa_key_pair(der).map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
    let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((public.n, public.e))
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (DER), which
/// `ring` verifies with but does not take apart.
fn rsa_pub_components_from_public_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let invalid = || ErrorKind::InvalidRsaKey("not a DER RSAPublicKey".into());
    let (body, rest) = der_take(der, 0x30).ok_or_else(invalid)?;
    let (n, body) = der_take(body, 0x02).ok_or_else(invalid)?;
    let (e, body) = der_take(body, 0x02).ok_or_else(invalid)?;
    if !rest.is_empty() || !body.is_empty() {
        return Err(invalid().into());
    }
    let unsigned = |i: &[u8]| i.strip_prefix(&[0]).unwrap_or(i).to_vec();
    Ok((unsigned(n), unsigned(e)))
}

/// One DER element with `tag` at the start of `input`: its contents and what follows.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    if t != tag {
        return None;
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || input.len() < count {
            return None;
        }
        let (len_bytes, rest) = input.split_at(count);
        input = rest;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    (input.len() >= len).then(|| input.split_at(len))
}

fn ec_pub_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let (curve, coordinate_len) = match alg {
        Algorithm::ES256 => (EllipticCurve::P256, 32),
        Algorithm::ES384 => (EllipticCurve::P384, 48),
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    let signing = ecdsa_signing(alg).ok_or(ErrorKind::InvalidEcdsaKey)?;
    let pair = sig::EcdsaKeyPair::from_pkcs8(signing, der, &SystemRandom::new())
        .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    use sig::KeyPair;
    match pair.public_key().as_ref().split_first() {
        Some((4, xy)) if xy.len() == 2 * coordinate_len => {
            let (x, y) = xy.split_at(coordinate_len);
            Ok((curve, x.to_vec(), y.to_vec()))
        }
        _ => Err(ErrorKind::InvalidEcdsaKey.into()),
    }
}

fn ed_pub_components_from_private_key(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    use sig::KeyPair;
    let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(pair.public_key().as_ref().to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER as RUST_CRYPTO;
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{decode, encode, Header, Validation};
    use ring::signature::KeyPair;
    use serde_json::{json, Value};

    use super::*;

    const RSA_PEM: &str = include_str!("../../tests/fixtures/unrelated-rsa-key.pem");

    /// A test key pair: the private key for signing, the public key for verifying.
    struct Pair {
        private: EncodingKey,
        public: DecodingKey,
    }

    fn rsa() -> Pair {
        let private = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
        // The public half by RustCrypto, not by the code under test.
        let (n, e) =
            (RUST_CRYPTO.key_utils.rsa_pub_components_from_private_key)(private.as_bytes())
                .unwrap();
        Pair {
            private,
            public: DecodingKey::from_rsa_raw_components(&n, &e),
        }
    }

    fn ec(alg: &'static sig::EcdsaSigningAlgorithm) -> Pair {
        let rng = SystemRandom::new();
        let pkcs8 = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        Pair {
            private: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public: DecodingKey::from_ec_der(pair.public_key().as_ref()),
        }
    }

    fn ed25519() -> Pair {
        let pkcs8 = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = sig::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        Pair {
            private: EncodingKey::from_ed_der(pkcs8.as_ref()),
            public: DecodingKey::from_ed_der(pair.public_key().as_ref()),
        }
    }

    fn pair_for(alg: Algorithm) -> Pair {
        match alg {
            Algorithm::ES256 => ec(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            Algorithm::ES384 => ec(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
            Algorithm::EdDSA => ed25519(),
            _ => rsa(),
        }
    }

    /// Every algorithm the ID-token checks accept.
    const ASYMMETRIC: &[Algorithm] = crate::oauth::id_token::ALLOWED_ALGS;

    fn claims() -> Value {
        json!({ "sub": "alice", "exp": jsonwebtoken::get_current_timestamp() + 600 })
    }

    /// A JWT signed by RustCrypto's provider, called directly (not installed).
    fn signed_by_rust_crypto(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Header::new(alg)).unwrap());
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let message = format!("{header}.{payload}");
        let signature = (RUST_CRYPTO.signer_factory)(&alg, key)
            .unwrap()
            .try_sign(message.as_bytes())
            .unwrap();
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Verifies `token` with RustCrypto's provider, called directly.
    fn verified_by_rust_crypto(alg: Algorithm, key: &DecodingKey, token: &str) -> bool {
        let (message, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        (RUST_CRYPTO.verifier_factory)(&alg, key)
            .unwrap()
            .verify(message.as_bytes(), &signature)
            .is_ok()
    }

    fn check(
        alg: Algorithm,
        key: &DecodingKey,
        token: &str,
    ) -> std::result::Result<Value, ErrorKind> {
        ensure_installed();
        decode::<Value>(token, key, &Validation::new(alg))
            .map(|d| d.claims)
            .map_err(|e| e.into_kind())
    }

    /// Flips one bit of the signature part's first byte.
    fn tampered_signature(token: &str) -> String {
        let (message, signature) = token.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
        bytes[0] ^= 1;
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn the_provider_in_use_is_ring_not_rust_crypto() {
        // RustCrypto's ECDSA is deterministic (RFC 6979): one key and one message give one
        // signature. ring's is randomised. Test builds have both (the dev-dependency enables
        // `rust_crypto`); two different ES256 signatures through `jsonwebtoken::encode` show
        // that the installed provider, the one the library's tests run on, is this one.
        ensure_installed();
        let key = ec(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).private;
        let header = Header::new(Algorithm::ES256);
        let claims = json!({ "sub": "alice" });
        let by_rust_crypto = [0, 1].map(|_| signed_by_rust_crypto(Algorithm::ES256, &key, &claims));
        assert_eq!(
            by_rust_crypto[0], by_rust_crypto[1],
            "RustCrypto's ECDSA is deterministic"
        );
        let installed = [0, 1].map(|_| encode(&header, &claims, &key).unwrap());
        assert_ne!(
            installed[0], installed[1],
            "the installed provider is not RustCrypto"
        );
    }

    #[test]
    fn every_accepted_algorithm_verifies_a_token_signed_by_rust_crypto() {
        for &alg in ASYMMETRIC {
            let pair = pair_for(alg);
            let token = signed_by_rust_crypto(alg, &pair.private, &claims());
            let got = check(alg, &pair.public, &token);
            assert_eq!(got.map(|c| c["sub"].clone()), Ok(json!("alice")), "{alg:?}");
        }
    }

    #[test]
    fn every_algorithm_signs_tokens_that_rust_crypto_verifies() {
        ensure_installed();
        for &alg in ASYMMETRIC {
            let pair = pair_for(alg);
            let token = encode(&Header::new(alg), &claims(), &pair.private).unwrap();
            assert!(
                verified_by_rust_crypto(alg, &pair.public, &token),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn hmac_tokens_verify_both_ways_for_an_apps_own_use() {
        ensure_installed();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let private = EncodingKey::from_secret(b"an unrelated test secret");
            let public = DecodingKey::from_secret(b"an unrelated test secret");
            let theirs = signed_by_rust_crypto(alg, &private, &claims());
            assert!(check(alg, &public, &theirs).is_ok(), "{alg:?}");
            let ours = encode(&Header::new(alg), &claims(), &private).unwrap();
            assert!(verified_by_rust_crypto(alg, &public, &ours), "{alg:?}");
            let wrong = DecodingKey::from_secret(b"another secret");
            assert_eq!(check(alg, &wrong, &ours), Err(ErrorKind::InvalidSignature));
        }
    }

    #[test]
    fn a_tampered_signature_or_payload_does_not_verify() {
        for &alg in ASYMMETRIC {
            let pair = pair_for(alg);
            let token = signed_by_rust_crypto(alg, &pair.private, &claims());
            assert_eq!(
                check(alg, &pair.public, &tampered_signature(&token)),
                Err(ErrorKind::InvalidSignature),
                "{alg:?}: signature"
            );
            let mut parts: Vec<&str> = token.split('.').collect();
            let other = URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&json!({ "sub": "mallory", "exp": 4_000_000_000u64 })).unwrap(),
            );
            parts[1] = &other;
            assert_eq!(
                check(alg, &pair.public, &parts.join(".")),
                Err(ErrorKind::InvalidSignature),
                "{alg:?}: payload"
            );
        }
    }

    #[test]
    fn another_key_of_the_same_type_does_not_verify() {
        for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA] {
            let token = signed_by_rust_crypto(alg, &pair_for(alg).private, &claims());
            let stranger = pair_for(alg).public;
            assert_eq!(
                check(alg, &stranger, &token),
                Err(ErrorKind::InvalidSignature),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn a_key_of_the_wrong_type_or_curve_is_refused() {
        ensure_installed();
        let rsa = rsa();
        let p256 = pair_for(Algorithm::ES256);
        let p384 = pair_for(Algorithm::ES384);
        let ed = pair_for(Algorithm::EdDSA);
        // The factories refuse a key of another family, for verifying and for signing.
        for (alg, public, private) in [
            (Algorithm::ES256, &rsa.public, &rsa.private),
            (Algorithm::RS256, &p256.public, &p256.private),
            (Algorithm::EdDSA, &p256.public, &p256.private),
            (Algorithm::ES256, &ed.public, &ed.private),
            (Algorithm::HS256, &rsa.public, &rsa.private),
        ] {
            assert!(new_verifier(&alg, public).is_err(), "{alg:?} verifier");
            assert!(new_signer(&alg, private).is_err(), "{alg:?} signer");
        }
        // The same family, the wrong curve or hash.
        let es256 = signed_by_rust_crypto(Algorithm::ES256, &p256.private, &claims());
        assert_eq!(
            check(Algorithm::ES256, &p384.public, &es256),
            Err(ErrorKind::InvalidSignature)
        );
        assert!(new_signer(&Algorithm::ES384, &p256.private).is_err());
        // An RS256 signature relabelled PS256 (same key) does not verify.
        let rs256 = signed_by_rust_crypto(Algorithm::RS256, &rsa.private, &claims());
        let ps_header =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Header::new(Algorithm::PS256)).unwrap());
        let relabelled = format!("{ps_header}.{}", rs256.split_once('.').unwrap().1);
        assert_eq!(
            check(Algorithm::PS256, &rsa.public, &relabelled),
            Err(ErrorKind::InvalidSignature)
        );
    }

    #[test]
    fn es256_and_eddsa_round_trip_with_ring_generated_pkcs8_keys() {
        // The DPoP contract: `EncodingKey::from_ec_der` / `from_ed_der` with the PKCS#8 that
        // ring's `generate_pkcs8` produces, signed with `jsonwebtoken::encode`, verified with
        // the public key and with the JWK a proof carries (`Jwk::from_decoding_key` of it),
        // and by RustCrypto.
        ensure_installed();
        for alg in [Algorithm::ES256, Algorithm::EdDSA] {
            let pair = pair_for(alg);
            let mut header = Header::new(alg);
            header.jwk = Some(Jwk::from_decoding_key(&pair.public, Some(alg)).unwrap());
            let token = encode(&header, &claims(), &pair.private).unwrap();
            let from_header = DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
            assert!(
                check(alg, &from_header, &token).is_ok(),
                "{alg:?} via the JWK"
            );
            assert!(
                check(alg, &pair.public, &token).is_ok(),
                "{alg:?} via the public key"
            );
            assert!(
                verified_by_rust_crypto(alg, &pair.public, &token),
                "{alg:?}"
            );
            assert_eq!(
                check(alg, &pair.public, &tampered_signature(&token)),
                Err(ErrorKind::InvalidSignature)
            );
        }
        // `Jwk::from_encoding_key` works for the P-256 key; for Ed25519 jsonwebtoken itself
        // (any provider) takes only a 48-byte PKCS#8 v1 key, and ring's is v2 (83 bytes, with
        // the public key): a DPoP proof's JWK comes from the public key, as above.
        let p256 = pair_for(Algorithm::ES256);
        assert_eq!(
            Jwk::from_encoding_key(&p256.private, Algorithm::ES256).unwrap(),
            Jwk::from_decoding_key(&p256.public, Some(Algorithm::ES256)).unwrap()
        );
        let ed = pair_for(Algorithm::EdDSA);
        assert_eq!(ed.private.as_bytes().len(), 83);
        assert!(Jwk::from_encoding_key(&ed.private, Algorithm::EdDSA).is_err());
    }

    #[test]
    fn key_utils_agree_with_rust_crypto() {
        let ours = &PROVIDER.key_utils;
        let theirs = &RUST_CRYPTO.key_utils;
        let rsa = rsa();
        assert_eq!(
            (ours.rsa_pub_components_from_private_key)(rsa.private.as_bytes()).unwrap(),
            (theirs.rsa_pub_components_from_private_key)(rsa.private.as_bytes()).unwrap()
        );
        let pair = rsa_key_pair(rsa.private.as_bytes()).unwrap();
        let public_der = pair.public().as_ref();
        assert_eq!(
            (ours.rsa_pub_components_from_public_key)(public_der).unwrap(),
            (theirs.rsa_pub_components_from_public_key)(public_der).unwrap()
        );
        for bad in [
            &b""[..],
            &[0x30, 0x05, 0x02, 0x01, 0x01][..],
            &public_der[..20],
        ] {
            assert!((ours.rsa_pub_components_from_public_key)(bad).is_err());
        }
        for alg in [Algorithm::ES256, Algorithm::ES384] {
            let der = pair_for(alg).private;
            assert_eq!(
                (ours.ec_pub_components_from_private_key)(der.as_bytes(), alg).unwrap(),
                (theirs.ec_pub_components_from_private_key)(der.as_bytes(), alg).unwrap(),
                "{alg:?}"
            );
        }
        let ed = ed25519().private;
        assert_eq!(
            (ours.ed_pub_components_from_private_key)(ed.as_bytes(), &EllipticCurve::Ed25519)
                .unwrap(),
            (theirs.ed_pub_components_from_private_key)(ed.as_bytes(), &EllipticCurve::Ed25519)
                .unwrap()
        );
        for hash in [
            ThumbprintHash::SHA256,
            ThumbprintHash::SHA384,
            ThumbprintHash::SHA512,
        ] {
            assert_eq!(
                (ours.compute_digest)(b"thumbprint input", hash.clone()).unwrap(),
                (theirs.compute_digest)(b"thumbprint input", hash).unwrap()
            );
        }
    }

    #[test]
    fn ensure_installed_tolerates_being_called_again_and_an_installed_provider() {
        ensure_installed();
        ensure_installed();
        // Installing again (as an app or a second library would) fails without harm.
        assert!(PROVIDER.install_default().is_err());
        assert!(RUST_CRYPTO.install_default().is_err());
    }
}
