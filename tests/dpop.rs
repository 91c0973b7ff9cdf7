//! DPoP (RFC 9449) against the real provider (oidc-provider with `dPoP` on, `IDP_DPOP`), the
//! real Secret Service and a resource server of our own that validates proofs and asks the
//! provider whether the token is bound to the proof's key (`tests/support/dpop_server.rs`).
//!
//! What each case gets:
//! - a DPoP session: access and refresh tokens bound (`cnf.jkt`, by introspection) to the
//!   thumbprint of the key in the store; `fetch` accepted by the resource server;
//! - the same token replayed without a proof, as a bearer token, with a proof of another key,
//!   with a reused `jti`, with a proof for another URL: each refused, for that reason;
//! - the stored refresh token presented without the key: refused by the provider;
//! - a new process: the session restores and refreshes with the same key;
//! - `use_dpop_nonce` from the provider and from the resource server: one retry each, counted;
//! - `auto` against a provider without DPoP: bearer tokens; `required`: `invalid_response`,
//!   nothing stored.

#[path = "support/dpop_server.rs"]
mod dpop_server;
mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dpop_server::{DpopServer, TestKey};
use oauth2::reqwest;
use sha2::Digest as _;
use support::{Bed, Idp};
use tauri_plugin_token_vault::{
    Allowlist, DpopAlg, DpopMode, FetchRequest, ProviderConfig, SessionManager,
};

const P: &str = "idp";
const A: &str = "default";

/// A bed whose provider has `IDP_DPOP` set to `idp_dpop` (`1`, `nonce`, `off`), if given.
fn dpop_bed(test: &str, idp_dpop: Option<&str>) -> Bed {
    let env: Vec<(&str, &str)> = idp_dpop.map(|v| ("IDP_DPOP", v)).into_iter().collect();
    Bed::new(test, &env)
}

impl Bed {
    fn config(&self, mode: DpopMode, rs: Option<&DpopServer>) -> ProviderConfig {
        let mut c = self
            .idp
            .provider()
            .dpop(mode)
            .dpop_signing_alg(DpopAlg::Es256);
        if let Some(rs) = rs {
            let origin = rs.url("/");
            let origin = origin.as_str().trim_end_matches('/');
            c = c.fetch_allowlist(Allowlist::parse([origin]).unwrap());
        }
        c
    }

    /// A manager as a newly launched app builds it.
    fn manager(&self, config: ProviderConfig) -> SessionManager {
        self.manager_for(P, config)
    }

    fn record(&self) -> Option<tauri_plugin_token_vault::testing::Record> {
        self.record_of(P, A)
    }
}

/// A plain client trusting the provider's CA (the "attacker" holding a copied token).
fn raw_client(idp: &Idp) -> reqwest::Client {
    let pem = std::fs::read(&idp.ca_cert).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .no_proxy()
        .build()
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A proof signed with the session's own key (read from the store) but with claims of the
/// test's choosing: what a thief of the whole record could make; used to show the resource
/// server checks `htu`.
fn proof_with_stored_key(
    record: &tauri_plugin_token_vault::testing::Record,
    plugin_proof: &str,
    method: &str,
    url: &str,
    token: &str,
) -> String {
    let key = record.dpop_key.as_ref().expect("a DPoP key in the record");
    assert_eq!(key.alg, "ES256");
    let der = URL_SAFE_NO_PAD
        .decode(key.pkcs8.as_ref().unwrap().secret())
        .unwrap();
    let header = jsonwebtoken::decode_header(plugin_proof).unwrap();
    let claims = serde_json::json!({
        "jti": format!("test-{}", now()),
        "htm": method,
        "htu": url,
        "iat": now(),
        "ath": URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())),
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&der),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_bound_to_the_stored_key_and_only_proofs_of_it_are_accepted() {
    let bed = dpop_bed("dpop-bound", Some("1"));
    let rs = DpopServer::start(&bed.idp, false).await;
    let m = bed.manager(bed.config(DpopMode::Required, Some(&rs)));
    let status = support::sign_in(&m, P, A).await;
    let jkt = status.dpop_jkt.clone().expect("a DPoP session");

    // The store holds the key beside the refresh token; the provider bound both tokens to it.
    let record = bed.record().expect("stored");
    assert!(record.dpop_key.is_some() && record.refresh_token.is_some());
    let token = m.get_token(P, A, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    let at = bed.idp.introspect(token.secret()).await;
    assert_eq!(at["cnf"]["jkt"], jkt.as_str(), "access token bound: {at}");
    let rt = record.refresh_token.as_ref().unwrap().secret().to_string();
    let rt_info = bed.idp.introspect(&rt).await;
    assert_eq!(rt_info["cnf"]["jkt"], jkt.as_str(), "refresh token bound");

    // authFetch's path: accepted.
    let res = m
        .fetch(P, A, FetchRequest::get(rs.url("/api/me")))
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let body: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(body["jkt"], jkt.as_str());
    assert_eq!(body["sub"], "alice");
    let accepted = rs.seen().last().cloned().unwrap();
    assert_eq!(accepted.outcome, "accepted");
    assert_eq!(accepted.scheme.as_deref(), Some("DPoP"));
    let plugin_proof = accepted.proof.clone().unwrap();

    // The same token by anyone else.
    let raw = raw_client(&bed.idp);
    let url = rs.url("/api/me");
    let other_key = TestKey::new();
    let another_url = rs.url("/api/other");
    let attempts: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "no_proof",
            raw.get(url.clone())
                .header("authorization", format!("DPoP {}", token.secret())),
        ),
        (
            "bearer_for_bound_token",
            raw.get(url.clone()).bearer_auth(token.secret()),
        ),
        (
            "key_not_bound",
            raw.get(url.clone())
                .header("authorization", format!("DPoP {}", token.secret()))
                .header(
                    "dpop",
                    other_key.proof("GET", url.as_str(), Some(token.secret()), None),
                ),
        ),
        (
            "jti_reused",
            raw.get(url.clone())
                .header("authorization", format!("DPoP {}", token.secret()))
                .header("dpop", plugin_proof.clone()),
        ),
        (
            "htu_mismatch",
            raw.get(another_url.clone())
                .header("authorization", format!("DPoP {}", token.secret()))
                .header(
                    "dpop",
                    proof_with_stored_key(
                        &record,
                        &plugin_proof,
                        "GET",
                        url.as_str(),
                        token.secret(),
                    ),
                ),
        ),
    ];
    for (reason, request) in attempts {
        let before = rs.seen().len();
        let res = request.send().await.unwrap();
        assert_eq!(res.status(), 401, "{reason}");
        let seen = rs.seen();
        assert_eq!(seen.len(), before + 1);
        assert_eq!(seen.last().unwrap().outcome, reason);
    }
    // The stored key with the right URL is accepted: the refusals above are for their reason.
    let res = raw
        .get(another_url.clone())
        .header("authorization", format!("DPoP {}", token.secret()))
        .header(
            "dpop",
            proof_with_stored_key(
                &record,
                &plugin_proof,
                "GET",
                another_url.as_str(),
                token.secret(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The refresh token copied out of the store, without the key: refused by the provider.
    let res = raw
        .post(bed.idp.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_id", "tv-native"),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: serde_json::Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        ["invalid_grant", "invalid_dpop_proof"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
    // With another key: refused as well.
    let res = raw
        .post(bed.idp.url("/token"))
        .header(
            "dpop",
            other_key.proof("POST", bed.idp.url("/token").as_str(), None, None),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_id", "tv-native"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The plugin still refreshes with it, bound to the same key.
    let refreshed = m.refresh(P, A).await.unwrap();
    assert_eq!(refreshed.dpop_jkt.as_deref(), Some(jkt.as_str()));
    let fresh = m.get_token(P, A, std::time::Duration::ZERO).await.unwrap();
    assert_ne!(fresh.secret(), token.secret());
    assert_eq!(
        bed.idp.introspect(fresh.secret()).await["cnf"]["jkt"],
        jkt.as_str()
    );

    // Logout revokes (with a proof) and wipes the key with the tokens.
    let last_rt = bed
        .record()
        .unwrap()
        .refresh_token
        .unwrap()
        .secret()
        .to_string();
    assert!(bed.idp.is_active(&last_rt).await);
    let report = m.logout(P, A).await.unwrap();
    assert!(report.revoked && report.store_cleared, "{report:?}");
    assert!(bed.record().is_none());
    assert!(!bed.idp.is_active(&last_rt).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_session_restores_in_a_new_process_and_refreshes_with_the_same_key() {
    let bed = dpop_bed("dpop-restore", Some("1"));
    let rs = DpopServer::start(&bed.idp, false).await;
    let jkt = {
        let first = bed.manager(bed.config(DpopMode::Required, Some(&rs)));
        support::sign_in(&first, P, A).await.dpop_jkt.unwrap()
    };
    let stored_key = bed
        .record()
        .unwrap()
        .dpop_key
        .unwrap()
        .pkcs8
        .unwrap()
        .secret()
        .to_string();

    // A new launch: restored from the store, refreshed (nothing in memory) with the same key.
    let second = bed.manager(bed.config(DpopMode::Required, Some(&rs)));
    let status = second.status(P, A).await.unwrap();
    assert!(status.signed_in);
    assert_eq!(status.dpop_jkt.as_deref(), Some(jkt.as_str()));
    let token = second
        .get_token(P, A, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(token.is_dpop());
    assert_eq!(
        bed.idp.introspect(token.secret()).await["cnf"]["jkt"],
        jkt.as_str()
    );
    let res = second
        .fetch(P, A, FetchRequest::get(rs.url("/api/me")))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    // The rotated refresh token was stored with the same key.
    let record = bed.record().unwrap();
    assert_eq!(record.dpop_key.unwrap().pkcs8.unwrap().secret(), stored_key);
    second.logout(P, A).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_from_the_provider_and_the_resource_server_cost_one_retry_each() {
    let bed = dpop_bed("dpop-nonce", Some("nonce"));
    let rs = DpopServer::start(&bed.idp, true).await;
    let m = bed.manager(bed.config(DpopMode::Required, Some(&rs)));
    let status = support::sign_in(&m, P, A).await;
    assert!(status.dpop_jkt.is_some());
    let provider_challenges = bed.idp.stats().await["use_dpop_nonce"].as_u64().unwrap();
    assert!(provider_challenges >= 1, "the provider asked for a nonce");

    for _ in 0..3 {
        let res = m
            .fetch(P, A, FetchRequest::get(rs.url("/api/me")))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }
    // One challenge, one retry with the nonce (not a refresh); the nonce is kept for the
    // origin afterwards.
    assert_eq!(rs.nonce_challenges(), 1);
    assert_eq!(bed.idp.stats().await["token"]["refresh_token"], 0);
    let outcomes: Vec<String> = rs.seen().into_iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        ["use_dpop_nonce", "accepted", "accepted", "accepted"]
    );
    // A refresh with the provider's nonce kept: no new challenge while it is current.
    m.refresh(P, A).await.unwrap();
    let after = bed.idp.stats().await["use_dpop_nonce"].as_u64().unwrap();
    assert!(
        after <= provider_challenges + 1,
        "{after} vs {provider_challenges}"
    );
    m.logout(P, A).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_provider_support_auto_stays_bearer_and_required_fails() {
    let bed = dpop_bed("dpop-off", Some("off"));
    let auto = bed.manager(bed.config(DpopMode::Auto, None));
    let status = support::sign_in(&auto, P, A).await;
    assert_eq!(status.dpop_jkt, None);
    let token = auto
        .get_token(P, A, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(token.token_type(), "Bearer");
    assert!(bed.record().unwrap().dpop_key.is_none());
    auto.logout(P, A).await.unwrap();

    let required = bed.manager(bed.config(DpopMode::Required, None));
    let e = required
        .login(
            P,
            A,
            &tauri_plugin_token_vault::SystemBrowser,
            &std::collections::BTreeMap::new(),
            tauri_plugin_token_vault::LoginCancel::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_response", "{e}");
    assert!(e.to_string().contains("dpop"), "{e}");
    assert!(bed.record().is_none());
    assert!(!required.status(P, A).await.unwrap().signed_in);
}

/// An EdDSA (Ed25519) key, which the provider lists too: the same binding, the same
/// acceptance by the resource server (the `jkt` of an OKP key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eddsa_key_binds_the_tokens_the_same_way() {
    let bed = dpop_bed("dpop-eddsa", Some("1"));
    let rs = DpopServer::start(&bed.idp, false).await;
    let config = bed
        .config(DpopMode::Required, Some(&rs))
        .dpop_signing_alg(DpopAlg::EdDsa);
    let m = bed.manager(config);
    let jkt = support::sign_in(&m, P, A).await.dpop_jkt.unwrap();
    assert_eq!(bed.record().unwrap().dpop_key.unwrap().alg, "EdDSA");
    let token = m.get_token(P, A, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(
        bed.idp.introspect(token.secret()).await["cnf"]["jkt"],
        jkt.as_str()
    );
    let res = m
        .fetch(P, A, FetchRequest::get(rs.url("/api/me")))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let proof = rs.seen().last().unwrap().proof.clone().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&proof).unwrap().alg,
        jsonwebtoken::Algorithm::EdDSA
    );
    m.refresh(P, A).await.unwrap();
    m.logout(P, A).await.unwrap();
}
