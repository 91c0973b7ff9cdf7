//! ID token validation (OpenID Connect Core §3.1.3.7) with `jsonwebtoken`: signature against a
//! key from the provider's JWKS ([`super::jwks`]), then the claim checks.

use std::time::{Duration, UNIX_EPOCH};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use url::Url;

use super::clock::Clock;
use super::disk_cache::DiskCache;
use super::jwks::{parse_jwks, JwksCache, KeySource};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::url_policy::issuer::IssuerPolicy;

/// Only asymmetric algorithms: a symmetric (`HS*`) token would be "verified" with a key that
/// is public, and `none` is not a signature at all.
pub(crate) const ALLOWED_ALGS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The validated claims of an ID token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user's stable id at the provider.
    pub sub: String,
    /// Audience(s).
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// The nonce echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authorized party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Every other claim (`name`, `email`…).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(s) => vec![s],
        Aud::Many(v) => v,
    })
}

/// Validates ID tokens of one provider and client.
#[derive(Debug)]
pub struct IdTokenVerifier {
    issuers: IssuerPolicy,
    client_id: String,
    skew: Duration,
    jwks: JwksCache,
    clock: Clock,
}

impl IdTokenVerifier {
    /// A verifier that fetches the JWKS from `jwks_uri` on first use.
    pub fn remote(
        issuer: String,
        client_id: String,
        skew: Duration,
        http: HttpClient,
        jwks_uri: Url,
    ) -> Self {
        Self::with_source(
            issuer,
            client_id,
            skew,
            KeySource::Remote {
                http,
                uri: jwks_uri,
            },
            Vec::new(),
        )
    }

    /// A verifier over a fixed JWKS document (tests, pinned keys).
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    pub fn fixed(
        issuer: String,
        client_id: String,
        skew: Duration,
        jwks: &serde_json::Value,
    ) -> Result<Self> {
        let keys = parse_jwks(jwks)?;
        Ok(Self::with_source(
            issuer,
            client_id,
            skew,
            KeySource::Fixed,
            keys,
        ))
    }

    fn with_source(
        issuer: String,
        client_id: String,
        skew: Duration,
        source: KeySource,
        keys: Vec<Jwk>,
    ) -> Self {
        Self {
            issuers: IssuerPolicy::exact(issuer),
            client_id,
            skew,
            jwks: JwksCache::new(source, keys),
            clock: Clock::system(),
        }
    }

    /// Checks `iss` with `policy` (the provider's `issuerTemplate`, `allowedTenants` and
    /// `issuerAliases`) instead of the exact issuer given at construction.
    pub(crate) fn with_issuer_policy(mut self, policy: IssuerPolicy) -> Self {
        self.issuers = policy;
        self
    }

    /// Reads the JWKS from the warm-start cache before the first fetch, and caches each one
    /// fetched.
    pub(crate) fn with_disk_cache(mut self, disk: DiskCache) -> Self {
        self.jwks.set_disk_cache(disk);
        self
    }

    /// Checks `iat` against `clock` instead of the system clock (`exp` and `nbf` are checked
    /// by `jsonwebtoken`, against the system clock).
    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.jwks.set_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// Validates `token`: signature against the JWKS, `iss` through the issuer policy (and
    /// `tid` under an issuer template), `aud` contains the client id, `azp` (required when
    /// there are several audiences), `exp` and `iat` within the skew, and `nonce` when one was
    /// sent.
    pub async fn verify(&self, token: &str, expected_nonce: Option<&str>) -> Result<IdTokenClaims> {
        let invalid = |m: String| Error::IdTokenInvalid(m);
        super::jwt_crypto::ensure_installed();
        let header = decode_header(token).map_err(|e| invalid(format!("malformed header: {e}")))?;
        if !ALLOWED_ALGS.contains(&header.alg) {
            return Err(invalid(format!(
                "algorithm {:?} is not allowed",
                header.alg
            )));
        }
        let jwk = self.jwks.key_for(header.kid.as_deref(), header.alg).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("unusable JWK: {e}")))?;

        let mut validation = Validation::new(header.alg);
        // `iss` stays a required claim but is checked below through the issuer policy:
        // `jsonwebtoken` compares it with a fixed set only, and a tenant template is not one.
        validation.set_audience(&[&self.client_id]);
        validation.leeway = self.skew.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = decode::<IdTokenClaims>(token, &key, &validation)
            .map_err(|e| invalid(describe_jwt_error(&e)))?;
        let claims = data.claims;
        self.issuers
            .check_id_token(&claims.iss, claims.other.get("tid"))
            .map_err(invalid)?;

        if claims.aud.len() > 1 && claims.azp.is_none() {
            return Err(invalid("several audiences and no `azp`".into()));
        }
        if let Some(azp) = &claims.azp {
            if azp != &self.client_id {
                return Err(invalid(format!("`azp` is `{azp}`, not this client")));
            }
        }
        let now = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::Internal("clock before 1970".into()))?
            .as_secs() as i64;
        if claims.iat > now + self.skew.as_secs() as i64 {
            return Err(invalid(format!(
                "issued {} s in the future (allowed skew {} s)",
                claims.iat - now,
                self.skew.as_secs()
            )));
        }
        if let Some(expected) = expected_nonce {
            use subtle::ConstantTimeEq;
            let ok = claims
                .nonce
                .as_deref()
                .is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected.as_bytes())));
            if !ok {
                return Err(invalid("`nonce` does not match the request".into()));
            }
        }
        Ok(claims)
    }
}

fn describe_jwt_error(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => "signature does not verify".into(),
        K::ExpiredSignature => "expired".into(),
        K::ImmatureSignature => "not valid yet (`nbf`)".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidAudience => "audience does not contain this client".into(),
        K::MissingRequiredClaim(c) => format!("missing claim `{c}`"),
        K::InvalidAlgorithm => "algorithm does not match the key".into(),
        K::InvalidToken => "malformed token".into(),
        // serde's "missing field `x`" names a claim, never a value; other JSON errors may quote
        // values, so they are summarised.
        K::Json(j) if j.to_string().starts_with("missing field") => {
            let message = j.to_string();
            message
                .split(" at line")
                .next()
                .unwrap_or("missing claim")
                .to_string()
        }
        K::Json(_) => "claims do not have the expected types".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;

    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const KEY: &str = include_str!("../../tests/fixtures/unrelated-rsa-key.pem");

    fn jwk(kid: &str) -> serde_json::Value {
        let key = EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    fn token(kid: &str) -> String {
        token_from(kid, "https://idp")
    }

    fn token_from(kid: &str, iss: &str) -> String {
        token_with(kid, serde_json::json!({ "iss": iss }))
    }

    /// A token signed with the test key, `extra` claims added to (or replacing) the usual ones.
    fn token_with(kid: &str, extra: serde_json::Value) -> String {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(kid.into());
        let mut claims = serde_json::json!({"iss": "https://idp", "sub": "u", "aud": "c", "exp": now + 60, "iat": now});
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        encode(
            &h,
            &claims,
            &EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    /// A loopback HTTP server answering every request with the current JWKS document, counting
    /// requests (a canned stand-in: this tests the cache logic, not a provider).
    async fn jwks_server(doc: Arc<Mutex<serde_json::Value>>, hits: Arc<AtomicUsize>) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/jwks", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                hits.fetch_add(1, Ordering::SeqCst);
                let body = doc.lock().unwrap().to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(format!("{head}{body}").as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn jwks_is_cached_and_refetched_once_per_unknown_kid() {
        let doc = Arc::new(Mutex::new(serde_json::json!({ "keys": [jwk("a")] })));
        let hits = Arc::new(AtomicUsize::new(0));
        let uri = jwks_server(doc.clone(), hits.clone()).await;
        let http = HttpClient::new(Duration::from_secs(5), &[]).unwrap();
        let later = Arc::new(AtomicU64::new(0));
        let offset = later.clone();
        let v = IdTokenVerifier::remote(
            "https://idp".into(),
            "c".into(),
            Duration::from_secs(60),
            http,
            uri,
        )
        .with_clock(Clock::from_fn(move || {
            SystemTime::now() + Duration::from_secs(offset.load(Ordering::SeqCst))
        }));
        let interval = super::super::jwks::MIN_REFETCH_INTERVAL.as_secs();

        v.verify(&token("a"), None).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1, "first use fetches");
        v.verify(&token("a"), None).await.unwrap();
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "known kid: served from the cache"
        );

        // The provider rotates in key "b": a token under "b" triggers one refetch (once the
        // refetch interval since the last fetch is over) and verifies.
        *doc.lock().unwrap() = serde_json::json!({ "keys": [jwk("a"), jwk("b")] });
        later.store(interval, Ordering::SeqCst);
        v.verify(&token("b"), None).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        // A kid the provider does not have: id_token_invalid, refetched at most once per
        // interval.
        let e = v.verify(&token("zzz"), None).await.unwrap_err();
        assert_eq!(e.code(), "id_token_invalid");
        assert_eq!(hits.load(Ordering::SeqCst), 2, "within the interval");
        later.store(2 * interval, Ordering::SeqCst);
        let e = v.verify(&token("zzz"), None).await.unwrap_err();
        assert_eq!(e.code(), "id_token_invalid");
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    /// A bare-origin issuer accepts `iss` with or without the trailing `/` (one URL), and
    /// nothing else: not another path, case or origin.
    #[tokio::test]
    async fn a_bare_origin_issuer_accepts_both_spellings_and_nothing_else() {
        let jwks = serde_json::json!({ "keys": [jwk("a")] });
        for configured in ["https://idp", "https://idp/"] {
            let v = IdTokenVerifier::fixed(
                configured.into(),
                "c".into(),
                Duration::from_secs(60),
                &jwks,
            )
            .unwrap();
            for iss in ["https://idp", "https://idp/"] {
                v.verify(&token_from("a", iss), None).await.unwrap();
            }
            for iss in [
                "https://idp/x",
                "https://IDP",
                "http://idp",
                "https://idp:443x",
                "https://idp//",
            ] {
                let e = v.verify(&token_from("a", iss), None).await.unwrap_err();
                assert_eq!(e.code(), "id_token_invalid", "{configured} accepted {iss}");
            }
        }
        let v = IdTokenVerifier::fixed(
            "https://idp/tenant/v2.0".into(),
            "c".into(),
            Duration::from_secs(60),
            &jwks,
        )
        .unwrap();
        let e = v
            .verify(&token_from("a", "https://idp/tenant/v2.0/"), None)
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            "id_token_invalid",
            "a path issuer has one spelling"
        );
    }

    fn verifier(policy: IssuerPolicy) -> IdTokenVerifier {
        let jwks = serde_json::json!({ "keys": [jwk("a")] });
        IdTokenVerifier::fixed("unused".into(), "c".into(), Duration::from_secs(60), &jwks)
            .unwrap()
            .with_issuer_policy(policy)
    }

    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TENANT_A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const TENANT_B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn tenant_issuer(tid: &str) -> String {
        TEMPLATE.replace("{tenantid}", tid)
    }

    /// Under an issuer template a signed token is accepted only with a plausible `tid`, `iss`
    /// the template with that `tid`, and `tid` allowed; each way around it is `id_token_invalid`
    /// with a reason that quotes no token.
    #[tokio::test]
    async fn a_templated_issuer_binds_iss_to_tid_and_the_allow_list() {
        let allowed = vec![TENANT_A.to_string()];
        let any = verifier(IssuerPolicy::new(TEMPLATE, Some(TEMPLATE), &[], &[]).unwrap());
        let only_a = verifier(IssuerPolicy::new(TEMPLATE, Some(TEMPLATE), &allowed, &[]).unwrap());
        let from = |tid: &str| serde_json::json!({"iss": tenant_issuer(tid), "tid": tid});
        for v in [&any, &only_a] {
            let c = v
                .verify(&token_with("a", from(TENANT_A)), None)
                .await
                .unwrap();
            assert_eq!(c.other["tid"], TENANT_A);
        }
        any.verify(&token_with("a", from(TENANT_B)), None)
            .await
            .unwrap();
        // (case, claims, the reason)
        let refused = [
            (
                "a tenant not in allowedTenants",
                from(TENANT_B),
                "tenant not allowed",
            ),
            (
                "iss of another tenant than tid",
                serde_json::json!({"iss": tenant_issuer(TENANT_A), "tid": TENANT_B}),
                "wrong issuer",
            ),
            (
                "no tid",
                serde_json::json!({"iss": tenant_issuer(TENANT_A)}),
                "no `tid` claim",
            ),
            (
                "tid not a string",
                serde_json::json!({"iss": tenant_issuer(TENANT_A), "tid": 1}),
                "no `tid` claim",
            ),
            ("tid with /", from("a/b"), "`tid` is not a tenant id"),
            ("tid ..", from(".."), "`tid` is not a tenant id"),
            ("tid %2F", from("%2F"), "`tid` is not a tenant id"),
            (
                "tenant segment matches, version differs",
                serde_json::json!({"iss": format!("https://login.microsoftonline.com/{TENANT_A}/v1.0"), "tid": TENANT_A}),
                "wrong issuer",
            ),
            (
                "tenant segment matches, host differs",
                serde_json::json!({"iss": format!("https://login.evil.example/{TENANT_A}/v2.0"), "tid": TENANT_A}),
                "wrong issuer",
            ),
            (
                "tenant segment matches, trailing /",
                serde_json::json!({"iss": format!("{}/", tenant_issuer(TENANT_A)), "tid": TENANT_A}),
                "wrong issuer",
            ),
            (
                "the literal template",
                serde_json::json!({"iss": TEMPLATE, "tid": TENANT_A}),
                "wrong issuer",
            ),
        ];
        for (case, claims, reason) in refused {
            let token = token_with("a", claims);
            let e = only_a.verify(&token, None).await.unwrap_err();
            let message = e.to_string();
            assert_eq!(e.code(), "id_token_invalid", "{case}");
            assert!(message.contains(reason), "{case}: {message}");
            assert!(
                !message.contains(&token),
                "{case}: the message quotes the token"
            );
        }
    }

    /// Aliases are extra exact `iss` values: configured ones pass, near misses and unconfigured
    /// ones do not.
    #[tokio::test]
    async fn issuer_aliases_are_exact() {
        let google = "https://accounts.google.com";
        let aliases = vec!["accounts.google.com".to_string()];
        let with_alias = verifier(IssuerPolicy::new(google, None, &[], &aliases).unwrap());
        let without = verifier(IssuerPolicy::exact(google));
        for iss in [google, "accounts.google.com"] {
            with_alias
                .verify(&token_from("a", iss), None)
                .await
                .unwrap();
        }
        without
            .verify(&token_from("a", google), None)
            .await
            .unwrap();
        let e = without
            .verify(&token_from("a", "accounts.google.com"), None)
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "ID token invalid: wrong issuer",
            "an alias not configured"
        );
        for iss in [
            "Accounts.google.com",
            "accounts.google.com/",
            "accounts.google.com.",
            "https://accounts.google.com//",
        ] {
            let e = with_alias
                .verify(&token_from("a", iss), None)
                .await
                .unwrap_err();
            assert_eq!(e.to_string(), "ID token invalid: wrong issuer", "{iss}");
        }
    }
}
