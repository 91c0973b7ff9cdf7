//! The provider's signing keys (JWKS) for ID-token checks: fetched lazily and cached for a
//! time-to-live (the response's `Cache-Control: max-age`, within bounds), and refetched early
//! when a token names an unknown `kid` (the provider may have rotated its keys) — at most once
//! per [`MIN_REFETCH_INTERVAL`], so a stream of forged tokens cannot make the app hammer the
//! provider. Claim checks live in [`super::id_token`].
//!
//! Hand-written: `jsonwebtoken` verifies against a key set it is given but does not fetch or
//! cache one, and no kept crate does this caching for a reqwest client we configure ourselves.

use std::time::{Duration, SystemTime};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::Algorithm;
use tokio::sync::{Mutex, RwLock};
use url::Url;

use super::clock::Clock;
use super::disk_cache::{DiskCache, Kind};
use crate::error::{Error, Result};
use crate::http::HttpClient;

/// How long fetched keys are used when the response names no `max-age`.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// The shortest and longest `max-age` honoured (a provider's `no-cache` or `max-age=0` would
/// otherwise mean a JWKS request per ID token; a year-long one would miss key rotations).
pub(crate) const MIN_TTL: Duration = Duration::from_secs(300);
/// See [`MIN_TTL`].
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// An unknown `kid` triggers a refetch at most this often.
pub(crate) const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

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

/// What the cache holds.
#[derive(Debug, Default)]
struct Cached {
    keys: Vec<Jwk>,
    /// When the keys were fetched (`None`: never; fixed keys never expire).
    fetched_at: Option<SystemTime>,
    /// How long they are used.
    ttl: Duration,
    /// Read from the warm-start cache, not fetched by this process (an unknown `kid` then
    /// refetches whatever their age).
    from_disk: bool,
}

/// The key cache of one provider.
#[derive(Debug)]
pub(crate) struct JwksCache {
    source: KeySource,
    cached: RwLock<Cached>,
    /// One fetch at a time; later callers then find the fresh keys. Holds whether the
    /// warm-start cache was looked at (once, before the first fetch).
    fetching: Mutex<bool>,
    clock: Clock,
    /// The warm-start cache the keys are read from at first and written to after each fetch.
    disk: Option<DiskCache>,
}

/// Why [`JwksCache::fetch`] is called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Nothing cached yet, or the keys outlived their TTL.
    Stale,
    /// A token names a `kid` the cached keys lack.
    UnknownKid,
}

impl JwksCache {
    /// A cache over `source`, starting with `keys` (fetched already when the source is fixed).
    pub(crate) fn new(source: KeySource, keys: Vec<Jwk>) -> Self {
        Self {
            source,
            cached: RwLock::new(Cached {
                keys,
                fetched_at: None,
                ttl: DEFAULT_TTL,
                from_disk: false,
            }),
            fetching: Mutex::new(false),
            clock: Clock::system(),
            disk: None,
        }
    }

    /// Reads the keys from `disk` before the first fetch (while fresh there), and writes each
    /// fetched JWKS to it.
    pub(crate) fn set_disk_cache(&mut self, disk: DiskCache) {
        self.disk = Some(disk);
    }

    /// Measures the TTL and the refetch interval with `clock`.
    pub(crate) fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub(crate) async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk> {
        if self.is_stale(&*self.cached.read().await) {
            self.fetch(Why::Stale).await?;
        }
        if let Some(k) = select_key(&self.cached.read().await.keys, kid, alg)? {
            return Ok(k);
        }
        // Unknown kid: the provider may have rotated its keys. Refetch, rate-limited.
        if self.fetch(Why::UnknownKid).await? {
            if let Some(k) = select_key(&self.cached.read().await.keys, kid, alg)? {
                return Ok(k);
            }
        }
        Err(Error::IdTokenInvalid(match kid {
            Some(k) => format!("no key with kid `{k}` in the provider's JWKS"),
            None => format!("no {alg:?} key in the provider's JWKS"),
        }))
    }

    fn is_stale(&self, c: &Cached) -> bool {
        if matches!(self.source, KeySource::Fixed) {
            return false;
        }
        match c.fetched_at {
            None => true,
            Some(at) => age(&self.clock, at) >= c.ttl,
        }
    }

    /// Fetches the JWKS if `why` still calls for it once this caller holds the fetch lock.
    /// Returns whether new keys arrived. A failed fetch with keys still cached keeps using
    /// them (the provider being down is no reason to refuse tokens it signed with them).
    async fn fetch(&self, why: Why) -> Result<bool> {
        let KeySource::Remote { http, uri } = &self.source else {
            return Ok(false);
        };
        let mut seen = self.cached.read().await.fetched_at;
        let mut looked_at_disk = self.fetching.lock().await;
        if !*looked_at_disk {
            *looked_at_disk = true;
            if let (Some(disk), None) = (&self.disk, seen) {
                if let Some(hit) = disk.load(Kind::Jwks, uri).await {
                    if let Ok(keys) = parse_jwks(&hit.doc) {
                        let mut c = self.cached.write().await;
                        c.keys = keys;
                        c.fetched_at = Some(hit.fetched_at);
                        c.ttl = hit.max_age;
                        c.from_disk = true;
                        drop(c);
                        if why == Why::Stale {
                            return Ok(true);
                        }
                        // An unknown kid: the cached keys lack it too; fetched below.
                        seen = Some(hit.fetched_at);
                    }
                }
            }
        }
        {
            let c = self.cached.read().await;
            if c.fetched_at != seen {
                // Another caller fetched while this one waited.
                return Ok(true);
            }
            let too_soon = !c.from_disk
                && c.fetched_at
                    .is_some_and(|at| age(&self.clock, at) < MIN_REFETCH_INTERVAL);
            if why == Why::UnknownKid && too_soon {
                return Ok(false);
            }
        }
        let fetched = match http.get_json_with_max_age::<serde_json::Value>(uri).await {
            Ok(Ok((doc, max_age))) => {
                let keys = parse_jwks(&doc);
                if let (Ok(_), Some(disk)) = (&keys, &self.disk) {
                    disk.store(Kind::Jwks, uri, &doc, DiskCache::lifetime(max_age))
                        .await;
                }
                keys.map(|keys| (keys, max_age))
            }
            Ok(Err(status)) => Err(Error::InvalidResponse(format!(
                "JWKS {uri} answered HTTP {status}"
            ))),
            Err(e) => Err(e),
        };
        let mut c = self.cached.write().await;
        match fetched {
            Ok((keys, max_age)) => {
                c.from_disk = false;
                c.keys = keys;
                c.ttl = max_age.unwrap_or(DEFAULT_TTL).clamp(MIN_TTL, MAX_TTL);
                c.fetched_at = Some(self.clock.now());
                Ok(true)
            }
            Err(e) if c.keys.is_empty() => Err(e),
            Err(e) => {
                log::warn!("JWKS refetch failed, using the cached keys: {e}");
                c.from_disk = false;
                // Not again before the refetch interval: a provider that is down is not
                // asked once per token.
                c.fetched_at = Some(self.clock.now());
                c.ttl = MIN_REFETCH_INTERVAL;
                Ok(false)
            }
        }
    }
}

/// How long ago `at` was (zero when the clock went backwards).
fn age(clock: &Clock, at: SystemTime) -> Duration {
    clock.now().duration_since(at).unwrap_or(Duration::ZERO)
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
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::http::{ReadBody, Request, Transport, TransportError, TransportFuture};

    const KEY: &str = include_str!("../../tests/fixtures/unrelated-rsa-key.pem");

    fn jwk(kid: &str) -> serde_json::Value {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    /// A JWKS endpoint serving keys with the given kids, counting requests.
    #[derive(Debug, Default)]
    struct Endpoint {
        kids: std::sync::Mutex<Vec<String>>,
        cache_control: Option<&'static str>,
        down: std::sync::atomic::AtomicBool,
        gets: AtomicUsize,
    }

    impl Transport for Endpoint {
        fn send(&self, _request: Request, _read: ReadBody) -> TransportFuture<'_> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            let answer = if self.down.load(Ordering::SeqCst) {
                Err(TransportError::Failed("connection failed".into()))
            } else {
                let keys: Vec<_> = self.kids.lock().unwrap().iter().map(|k| jwk(k)).collect();
                let mut r = oauth2::http::Response::builder().status(200);
                if let Some(cc) = self.cache_control {
                    r = r.header("cache-control", cc);
                }
                Ok(
                    r.body(serde_json::json!({ "keys": keys }).to_string().into_bytes())
                        .unwrap(),
                )
            };
            Box::pin(std::future::ready(answer))
        }
    }

    /// A cache over `endpoint` and a clock the test moves by hand (seconds past a fixed time).
    fn cache(endpoint: &Arc<Endpoint>) -> (JwksCache, Arc<AtomicU64>) {
        let offset = Arc::new(AtomicU64::new(0));
        let at = offset.clone();
        let clock = Clock::from_fn(move || {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000 + at.load(Ordering::SeqCst))
        });
        let http = HttpClient::new(Duration::from_secs(5), &[])
            .unwrap()
            .with_transport(endpoint.clone());
        let uri = "https://idp.test/jwks".parse().unwrap();
        let mut c = JwksCache::new(KeySource::Remote { http, uri }, Vec::new());
        c.set_clock(clock);
        (c, offset)
    }

    fn endpoint(kids: &[&str], cache_control: Option<&'static str>) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            kids: std::sync::Mutex::new(kids.iter().map(|k| k.to_string()).collect()),
            cache_control,
            ..Default::default()
        })
    }

    /// A stream of tokens naming unknown kids (forgeries) costs one JWKS request per
    /// refetch interval, not one per token; after the interval one more is allowed.
    #[tokio::test]
    async fn unknown_kids_refetch_at_most_once_per_interval() {
        let e = endpoint(&["a"], None);
        let (c, now) = cache(&e);
        c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
        assert_eq!(e.gets.load(Ordering::SeqCst), 1);
        // Within the interval after the first fetch: no refetch at all.
        for i in 0..100 {
            let err = c
                .key_for(Some(&format!("forged-{i}")), Algorithm::RS256)
                .await
                .unwrap_err();
            assert_eq!(err.code(), "id_token_invalid");
        }
        assert_eq!(e.gets.load(Ordering::SeqCst), 1);
        // Past the interval: one refetch for the next unknown kid, then quiet again.
        now.store(MIN_REFETCH_INTERVAL.as_secs(), Ordering::SeqCst);
        for i in 0..100 {
            let _ = c
                .key_for(Some(&format!("forged-{i}")), Algorithm::RS256)
                .await;
        }
        assert_eq!(e.gets.load(Ordering::SeqCst), 2);
        // A key the provider really rotated in is found by that one refetch.
        e.kids.lock().unwrap().push("b".into());
        now.store(2 * MIN_REFETCH_INTERVAL.as_secs(), Ordering::SeqCst);
        c.key_for(Some("b"), Algorithm::RS256).await.unwrap();
        assert_eq!(e.gets.load(Ordering::SeqCst), 3);
    }

    /// Keys are refetched once their time-to-live is over: `max-age` within
    /// [`MIN_TTL`]..=[`MAX_TTL`], [`DEFAULT_TTL`] without one.
    #[tokio::test]
    async fn keys_expire_after_their_ttl() {
        for (cache_control, ttl) in [
            (None, DEFAULT_TTL),
            (Some("public, max-age=600"), Duration::from_secs(600)),
            (Some("max-age=0"), MIN_TTL),
            (Some("no-store"), MIN_TTL),
            (Some("max-age=31536000"), MAX_TTL),
            (Some("max-age=banana"), MIN_TTL),
        ] {
            let e = endpoint(&["a"], cache_control);
            let (c, now) = cache(&e);
            c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
            now.store(ttl.as_secs() - 1, Ordering::SeqCst);
            c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
            assert_eq!(e.gets.load(Ordering::SeqCst), 1, "{cache_control:?}: early");
            now.store(ttl.as_secs(), Ordering::SeqCst);
            c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
            assert_eq!(
                e.gets.load(Ordering::SeqCst),
                2,
                "{cache_control:?}: expired"
            );
        }
    }

    /// A provider that is down when the keys expire: the cached keys keep verifying, and the
    /// endpoint is asked again only after the refetch interval. Without cached keys the
    /// failure is the caller's error (`network`).
    #[tokio::test]
    async fn expired_keys_are_used_while_the_jwks_endpoint_is_down() {
        let e = endpoint(&["a"], None);
        let (c, now) = cache(&e);
        e.down.store(true, Ordering::SeqCst);
        let err = c.key_for(Some("a"), Algorithm::RS256).await.unwrap_err();
        assert_eq!(err.code(), "network");
        e.down.store(false, Ordering::SeqCst);
        c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
        let fetched = e.gets.load(Ordering::SeqCst);
        e.down.store(true, Ordering::SeqCst);
        now.store(DEFAULT_TTL.as_secs(), Ordering::SeqCst);
        for _ in 0..10 {
            c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
        }
        assert_eq!(e.gets.load(Ordering::SeqCst), fetched + 1);
        now.store(
            DEFAULT_TTL.as_secs() + MIN_REFETCH_INTERVAL.as_secs(),
            Ordering::SeqCst,
        );
        c.key_for(Some("a"), Algorithm::RS256).await.unwrap();
        assert_eq!(e.gets.load(Ordering::SeqCst), fetched + 2);
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
