//! Forged and wrong ID tokens, checked against the real provider's JWKS (fetched over TLS).
//! "Valid" tokens are signed with the provider's own private keys (the test provider writes
//! them to its state directory), so only the one changed property makes a token invalid.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::Idp;
use tauri_plugin_token_vault::testing::OAuthClient;
use tauri_plugin_token_vault::IdToken;

const NONCE: &str = "n-0S6_WzA2Mj";
const UNRELATED_RSA_KEY: &str = include_str!("fixtures/unrelated-rsa-key.pem");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Keys {
    rsa_kid: String,
    rsa: EncodingKey,
    ec_kid: String,
    ec: EncodingKey,
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.to_string());
    encode(&h, claims, key).unwrap()
}

#[tokio::test]
async fn forged_or_wrong_id_tokens_are_rejected_and_valid_ones_accepted() {
    let idp = Idp::start();
    let client = OAuthClient::discover(idp.provider()).await.unwrap();
    let issuer = client.metadata().issuer.clone();
    let mut keys = None::<Keys>;
    let (mut rsa, mut ec) = (None, None);
    for (kid, alg, pem) in idp.signing_keys() {
        match alg.as_str() {
            "RS256" => rsa = Some((kid, EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap())),
            "ES256" => ec = Some((kid, EncodingKey::from_ec_pem(pem.as_bytes()).unwrap())),
            _ => {}
        }
    }
    if let (Some((rsa_kid, rsa)), Some((ec_kid, ec))) = (rsa, ec) {
        keys = Some(Keys {
            rsa_kid,
            rsa,
            ec_kid,
            ec,
        });
    }
    let k = keys.expect("the provider has an RS256 and an ES256 key");
    let base = json!({
        "iss": issuer, "sub": "alice", "aud": "tv-native",
        "exp": now() + 600, "iat": now(), "nonce": NONCE,
    });
    let with = |patch: Value| {
        let mut c = base.clone();
        for (key, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(key);
            } else {
                c[key] = v.clone();
            }
        }
        c
    };
    let rs = |claims: &Value| sign(Algorithm::RS256, &k.rsa_kid, &k.rsa, claims);

    // Accepted.
    let valid: Vec<(&str, String)> = vec![
        ("RS256 signed by the provider", rs(&base)),
        (
            "ES256 signed by the provider",
            sign(Algorithm::ES256, &k.ec_kid, &k.ec, &base),
        ),
        (
            "several audiences with azp = client",
            rs(&with(
                json!({"aud": ["tv-native", "api"], "azp": "tv-native"}),
            )),
        ),
        (
            "expired 30 s ago, within the 60 s skew",
            rs(&with(json!({"exp": now() - 30}))),
        ),
        (
            "issued 30 s ahead, within the skew",
            rs(&with(json!({"iat": now() + 30}))),
        ),
    ];
    for (name, token) in &valid {
        let claims = client
            .verify_id_token(&IdToken::new(token.clone()), Some(NONCE))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims.sub, "alice", "{name}");
    }

    // Rejected, each with id_token_invalid.
    let good = rs(&base);
    let parts: Vec<&str> = good.split('.').collect();
    let rsa_jwk_json = {
        let jwks: Value = idp
            .http()
            .get_json(client.metadata().jwks_uri.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap();
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["kid"] == k.rsa_kid.as_str())
            .unwrap()
            .clone();
        serde_json::to_vec(&jwk).unwrap()
    };
    let alg_none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "kid": k.rsa_kid})
            .to_string()
            .as_bytes()),
        parts[1]
    );
    let hs256_with_public_key = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(k.rsa_kid.clone());
        encode(&h, &base, &EncodingKey::from_secret(&rsa_jwk_json)).unwrap()
    };
    let tampered_payload = format!(
        "{}.{}.{}",
        parts[0],
        b64(with(json!({"sub": "mallory"})).to_string().as_bytes()),
        parts[2]
    );
    let tampered_signature = {
        let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[2])
            .unwrap();
        sig[10] ^= 0x01;
        format!("{}.{}.{}", parts[0], parts[1], b64(&sig))
    };
    let wrong_key = sign(
        Algorithm::RS256,
        &k.rsa_kid,
        &EncodingKey::from_rsa_pem(UNRELATED_RSA_KEY.as_bytes()).unwrap(),
        &base,
    );
    let rs256_with_ec_kid = sign(Algorithm::RS256, &k.ec_kid, &k.rsa, &base);
    let unknown_kid = sign(Algorithm::RS256, "no-such-kid", &k.rsa, &base);

    // `(case, token, nonce expected, the reason the message must give)`.
    let ec_kid_reason = format!("key `{}` cannot verify RS256 signatures", k.ec_kid);
    let forged: Vec<(&str, String, Option<&str>, &str)> = vec![
        ("alg none", alg_none, Some(NONCE), "unknown variant `none`"),
        (
            "HS256 signed with the public key",
            hs256_with_public_key,
            Some(NONCE),
            "algorithm HS256 is not allowed",
        ),
        (
            "wrong iss",
            rs(&with(json!({"iss": "https://evil.example"}))),
            Some(NONCE),
            "wrong issuer",
        ),
        (
            "wrong aud",
            rs(&with(json!({"aud": "other-client"}))),
            Some(NONCE),
            "audience does not contain this client",
        ),
        (
            "several audiences, no azp",
            rs(&with(json!({"aud": ["tv-native", "api"]}))),
            Some(NONCE),
            "several audiences and no `azp`",
        ),
        (
            "azp is another client",
            rs(&with(json!({"aud": ["tv-native", "api"], "azp": "api"}))),
            Some(NONCE),
            "`azp` is `api`, not this client",
        ),
        (
            "wrong nonce",
            rs(&base),
            Some("another-nonce"),
            "`nonce` does not match the request",
        ),
        (
            "nonce missing",
            rs(&with(json!({"nonce": null}))),
            Some(NONCE),
            "`nonce` does not match the request",
        ),
        (
            "expired beyond skew",
            rs(&with(json!({"exp": now() - 3600, "iat": now() - 7200}))),
            Some(NONCE),
            "ID token invalid: expired",
        ),
        (
            "iat in the future beyond skew",
            rs(&with(json!({"iat": now() + 3600, "exp": now() + 7200}))),
            Some(NONCE),
            "s in the future (allowed skew 60 s)",
        ),
        (
            "nbf in the future",
            rs(&with(json!({"nbf": now() + 3600}))),
            Some(NONCE),
            "not valid yet (`nbf`)",
        ),
        (
            "unknown kid",
            unknown_kid,
            Some(NONCE),
            "no key with kid `no-such-kid` in the provider's JWKS",
        ),
        (
            "tampered payload",
            tampered_payload,
            Some(NONCE),
            "signature does not verify",
        ),
        (
            "tampered signature",
            tampered_signature,
            Some(NONCE),
            "signature does not verify",
        ),
        (
            "signed with an unrelated key under the provider's kid",
            wrong_key,
            Some(NONCE),
            "signature does not verify",
        ),
        (
            "RS256 under the EC key's kid",
            rs256_with_ec_kid,
            Some(NONCE),
            &ec_kid_reason,
        ),
        (
            "missing sub",
            rs(&with(json!({"sub": null}))),
            Some(NONCE),
            "missing field `sub`",
        ),
        (
            "missing exp",
            rs(&with(json!({"exp": null}))),
            Some(NONCE),
            "missing field `exp`",
        ),
        (
            "not a JWT",
            "not-a-jwt".to_string(),
            Some(NONCE),
            "malformed header",
        ),
        (
            "two segments only",
            format!("{}.{}", parts[0], parts[1]),
            Some(NONCE),
            "malformed header",
        ),
    ];
    // All 20, each refused with `id_token_invalid` for its own reason; every case is checked
    // before the test fails, so one run shows every deviation.
    assert_eq!(forged.len(), 20);
    let mut wrong = Vec::new();
    for (name, token, nonce, reason) in &forged {
        match client
            .verify_id_token(&IdToken::new(token.clone()), *nonce)
            .await
        {
            Ok(_) => wrong.push(format!("{name}: accepted")),
            Err(e) => {
                let message = e.to_string();
                if message.contains(token.as_str()) {
                    wrong.push(format!("{name}: the message echoes the token"));
                    continue;
                }
                eprintln!("{name:55} -> {message}");
                if e.code() != "id_token_invalid" || !message.contains(reason) {
                    wrong.push(format!(
                        "{name}: got {} `{message}`, want id_token_invalid with `{reason}`",
                        e.code()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The provider's RS256 key: `(kid, key)`.
fn rsa_key(idp: &Idp) -> (String, EncodingKey) {
    idp.signing_keys()
        .into_iter()
        .find(|(_, alg, _)| alg == "RS256")
        .map(|(kid, _, pem)| (kid, EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()))
        .expect("the provider has an RS256 key")
}

/// Every case is checked before the test fails; each refusal must be `id_token_invalid` with
/// `reason` in its message and must not quote the token.
async fn expect_refused(client: &OAuthClient, cases: &[(&str, String, &str)]) {
    let mut wrong = Vec::new();
    for (name, token, reason) in cases {
        match client
            .verify_id_token(&IdToken::new(token.clone()), Some(NONCE))
            .await
        {
            Ok(_) => wrong.push(format!("{name}: accepted")),
            Err(e) => {
                let message = e.to_string();
                eprintln!("{name:55} -> {message}");
                if message.contains(token.as_str()) {
                    wrong.push(format!("{name}: the message echoes the token"));
                } else if e.code() != "id_token_invalid" || !message.contains(reason) {
                    wrong.push(format!(
                        "{name}: got {} `{message}`, want id_token_invalid with `{reason}`",
                        e.code()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// `issuerTemplate` with `allowedTenants` (Entra multi-tenant), on the real provider's keys:
/// only a token whose `iss` is the template with its own, plausible, allowed `tid` passes.
#[tokio::test]
async fn an_issuer_template_accepts_only_allowed_tenants_of_their_own_issuer() {
    const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let idp = Idp::start();
    let origin = idp.url("/").as_str().trim_end_matches('/').to_string();
    let template = format!("{origin}/{{tenantid}}/v2.0");
    let tenant = |t: &str| template.replace("{tenantid}", t);
    let config = idp
        .provider()
        .issuer_template(template.clone())
        .allowed_tenants([A]);
    // Discovery: the provider publishes the configured issuer, which is accepted as before.
    let client = OAuthClient::discover(config).await.unwrap();
    let (kid, key) = rsa_key(&idp);
    let token = |iss: &str, tid: Option<&str>| {
        let mut claims = json!({
            "iss": iss, "sub": "alice", "aud": "tv-native",
            "exp": now() + 600, "iat": now(), "nonce": NONCE,
        });
        if let Some(t) = tid {
            claims["tid"] = json!(t);
        }
        sign(Algorithm::RS256, &kid, &key, &claims)
    };
    let claims = client
        .verify_id_token(&IdToken::new(token(&tenant(A), Some(A))), Some(NONCE))
        .await
        .unwrap();
    assert_eq!(claims.other["tid"], A);

    let cases = [
        (
            "a tenant not in allowedTenants",
            token(&tenant(B), Some(B)),
            "tenant not allowed",
        ),
        (
            "iss of another tenant than tid",
            token(&tenant(B), Some(A)),
            "wrong issuer",
        ),
        ("no tid", token(&tenant(A), None), "no `tid` claim"),
        (
            "tid with /",
            token(&tenant(&format!("{A}/x")), Some(&format!("{A}/x"))),
            "`tid` is not a tenant id",
        ),
        (
            "tid ..",
            token(&tenant(".."), Some("..")),
            "`tid` is not a tenant id",
        ),
        (
            "tid %2F",
            token(&tenant("%2F"), Some("%2F")),
            "`tid` is not a tenant id",
        ),
        (
            "tenant segment right, version differs",
            token(&format!("{origin}/{A}/v1.0"), Some(A)),
            "wrong issuer",
        ),
        (
            "tenant segment right, trailing /",
            token(&format!("{}/", tenant(A)), Some(A)),
            "wrong issuer",
        ),
        (
            "tenant segment right, another origin",
            token(&format!("https://evil.example/{A}/v2.0"), Some(A)),
            "wrong issuer",
        ),
        (
            "the provider's plain issuer (no tenant)",
            token(&client.metadata().issuer, Some(A)),
            "wrong issuer",
        ),
        (
            "the literal template",
            token(&template, Some(A)),
            "wrong issuer",
        ),
    ];
    expect_refused(&client, &cases).await;
}

/// `issuerAliases` (Google's scheme-less `iss`), on the real provider's keys: the issuer and
/// each configured alias exactly pass; an alias not configured, or one differing in case or by
/// a trailing `/`, does not. Discovery never takes an alias (`src/oauth/discovery.rs` tests).
#[tokio::test]
async fn issuer_aliases_are_exact_extra_values() {
    let idp = Idp::start();
    let host = idp.url("/").authority().to_string();
    let client = OAuthClient::discover(
        idp.provider()
            .issuer_aliases([host.as_str(), "idp.example"]),
    )
    .await
    .unwrap();
    let plain = OAuthClient::discover(idp.provider()).await.unwrap();
    let issuer = client.metadata().issuer.clone();
    let (kid, key) = rsa_key(&idp);
    let token = |iss: &str| {
        let claims = json!({
            "iss": iss, "sub": "alice", "aud": "tv-native",
            "exp": now() + 600, "iat": now(), "nonce": NONCE,
        });
        sign(Algorithm::RS256, &kid, &key, &claims)
    };
    for iss in [issuer.as_str(), host.as_str(), "idp.example"] {
        client
            .verify_id_token(&IdToken::new(token(iss)), Some(NONCE))
            .await
            .unwrap_or_else(|e| panic!("{iss}: {e}"));
    }
    let cases = [
        (
            "an alias not configured",
            token("accounts.google.com"),
            "wrong issuer",
        ),
        (
            "an alias in another case",
            token("IDP.example"),
            "wrong issuer",
        ),
        (
            "an alias with a trailing /",
            token("idp.example/"),
            "wrong issuer",
        ),
        (
            "the scheme-less host with a trailing /",
            token(&format!("{host}/")),
            "wrong issuer",
        ),
    ];
    expect_refused(&client, &cases).await;
    // The same aliases without the configuration: refused.
    let cases = [
        ("the alias, not configured", token(&host), "wrong issuer"),
        (
            "idp.example, not configured",
            token("idp.example"),
            "wrong issuer",
        ),
    ];
    expect_refused(&plain, &cases).await;
}
