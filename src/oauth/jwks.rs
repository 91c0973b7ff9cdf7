//! The provider's signing keys (JWKS) for ID-token checks: fetched lazily, cached, and
//! refetched once when a token names an unknown `kid` (the provider may have rotated its keys).
//! Claim checks live in [`super::id_token`].

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::Algorithm;
use tokio::sync::{Mutex, RwLock};
use url::Url;

use crate::error::{Error, Result};
use crate::http::HttpClient;

/// Where the verifier gets its keys.
#[derive(Debug)]
pub(crate) enum KeySource {
    /// A JWKS URI, fetched lazily and cached.
    Remote {
        /// The HTTP client.
        http: HttpClient,
        /// The provider's `jwks_uri`.
        uri: Url,
    },
    /// A fixed set of keys (no refetch).
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    Fixed,
}

/// The key cache of one provider.
#[derive(Debug)]
pub(crate) struct JwksCache {
    source: KeySource,
    keys: RwLock<Vec<Jwk>>,
    fetched: RwLock<bool>,
    refetch: Mutex<()>,
}

impl JwksCache {
    /// A cache over `source`, starting with `keys` (fetched already when the source is fixed).
    pub(crate) fn new(source: KeySource, keys: Vec<Jwk>) -> Self {
        let fetched = matches!(source, KeySource::Fixed);
        Self {
            source,
            keys: RwLock::new(keys),
            fetched: RwLock::new(fetched),
            refetch: Mutex::new(()),
        }
    }

    pub(crate) async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk> {
        if !*self.fetched.read().await {
            self.refresh_keys(false).await?;
        }
        if let Some(k) = select_key(&self.keys.read().await, kid, alg)? {
            return Ok(k);
        }
        // Unknown kid: the provider may have rotated its keys. Refetch once.
        if self.refresh_keys(true).await? {
            if let Some(k) = select_key(&self.keys.read().await, kid, alg)? {
                return Ok(k);
            }
        }
        Err(Error::IdTokenInvalid(match kid {
            Some(k) => format!("no key with kid `{k}` in the provider's JWKS"),
            None => format!("no {alg:?} key in the provider's JWKS"),
        }))
    }

    /// Fetches the JWKS. With `force`, fetches even if cached. Returns whether it fetched.
    async fn refresh_keys(&self, force: bool) -> Result<bool> {
        let KeySource::Remote { http, uri } = &self.source else {
            return Ok(false);
        };
        let _one_at_a_time = self.refetch.lock().await;
        if !force && *self.fetched.read().await {
            return Ok(false);
        }
        let doc = match http.get_json::<serde_json::Value>(uri).await? {
            Ok(doc) => doc,
            Err(status) => {
                return Err(Error::InvalidResponse(format!(
                    "JWKS {uri} answered HTTP {status}"
                )))
            }
        };
        *self.keys.write().await = parse_jwks(&doc)?;
        *self.fetched.write().await = true;
        Ok(true)
    }
}

/// Parses a JWKS, skipping keys this library cannot use rather than failing on them.
pub(crate) fn parse_jwks(doc: &serde_json::Value) -> Result<Vec<Jwk>> {
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or_else(|| Error::InvalidResponse("JWKS has no `keys` array".into()))?;
    Ok(keys
        .iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
        // Asymmetric keys only: a symmetric (`oct`) key in a public JWKS is never trusted.
        .filter(|k| {
            matches!(
                k.algorithm,
                AlgorithmParameters::RSA(_)
                    | AlgorithmParameters::EllipticCurve(_)
                    | AlgorithmParameters::OctetKeyPair(_)
            )
        })
        .collect())
}

fn select_key(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Result<Option<Jwk>> {
    let fits = |k: &&Jwk| key_fits(k, alg);
    let found = match kid {
        Some(kid) => {
            let Some(k) = keys
                .iter()
                .find(|k| k.common.key_id.as_deref() == Some(kid))
            else {
                return Ok(None);
            };
            if !key_fits(k, alg) {
                return Err(Error::IdTokenInvalid(format!(
                    "key `{kid}` cannot verify {alg:?} signatures"
                )));
            }
            Some(k)
        }
        None => {
            let mut candidates = keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(k), None) => Some(k),
                (Some(_), Some(_)) => {
                    return Err(Error::IdTokenInvalid(
                        "token has no `kid` and several keys could match".into(),
                    ))
                }
                _ => None,
            }
        }
    };
    Ok(found.cloned())
}

/// Whether the JWK's type (and declared `alg`, if any) fits the token's algorithm.
fn key_fits(k: &Jwk, alg: Algorithm) -> bool {
    let family_ok = matches!(
        (&k.algorithm, alg),
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512,
        ) | (
            AlgorithmParameters::EllipticCurve(_),
            Algorithm::ES256 | Algorithm::ES384
        ) | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
    );
    let declared_ok = match k.common.key_algorithm {
        None => true,
        Some(ka) => key_algorithm_matches(ka, alg),
    };
    family_ok && declared_ok
}

fn key_algorithm_matches(ka: KeyAlgorithm, alg: Algorithm) -> bool {
    matches!(
        (ka, alg),
        (KeyAlgorithm::RS256, Algorithm::RS256)
            | (KeyAlgorithm::RS384, Algorithm::RS384)
            | (KeyAlgorithm::RS512, Algorithm::RS512)
            | (KeyAlgorithm::PS256, Algorithm::PS256)
            | (KeyAlgorithm::PS384, Algorithm::PS384)
            | (KeyAlgorithm::PS512, Algorithm::PS512)
            | (KeyAlgorithm::ES256, Algorithm::ES256)
            | (KeyAlgorithm::ES384, Algorithm::ES384)
            | (KeyAlgorithm::EdDSA, Algorithm::EdDSA)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/fixtures/unrelated-rsa-key.pem");

    fn jwk(kid: &str) -> serde_json::Value {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    #[test]
    fn unusable_keys_in_a_jwks_are_skipped_not_fatal() {
        let doc = serde_json::json!({ "keys": [
            {"kty": "weird", "kid": "x"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            jwk("a"),
        ]});
        let keys = parse_jwks(&doc).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].common.key_id.as_deref(), Some("a"));
        assert_eq!(
            parse_jwks(&serde_json::json!({})).unwrap_err().code(),
            "invalid_response"
        );
    }
}
