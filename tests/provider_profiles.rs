//! The provider-profile suite (issue 9): the real test provider (panva oidc-provider) behind a
//! loopback TLS proxy that reshapes it into the quirks of a real provider
//! (`tests/support/profile_proxy.rs`: Entra, GitHub, Dex, Google, Cognito), and the real Secret
//! Service. Each profile is configured the way an app would configure that provider, through the
//! plugin's own `Config` (the JSON of `plugins.token-vault.providers.<id>`), and runs the whole
//! cycle: sign-in through the browser stand-in, restore in a new `SessionManager` from the
//! store, refresh, logout. Each step checks what the caller gets (status, events, error codes),
//! what the store holds, and what the provider says of the tokens (RFC 7662 introspection).
//!
//! Each test prints its rows (`cargo test --test provider_profiles -- --nocapture`):
//! `| profile | step | outcome |`. As measured (`scripts/with-keyring.sh`, oidc-provider 9.13.3),
//! every profile green through every step:
//!
//! | profile | sign-in | restore (new manager) | refresh | logout |
//! |---|---|---|---|---|
//! | Entra | alice, `tid` claim, RT1 stored | `restored`, RT1 spent, RT2 live | AT3, RT3; expiry from the string `expires_in` | not revoked, `revocation_skipped`, no error; wiped; RT3 live until its TTL |
//! | GitHub | no subject, AT persisted, no RT | `restored`, the same AT, no token request | the same AT, no request | revoked by `DELETE` (AT inactive); wiped |
//! | Dex | alice, RT1 stored | `restored`, RT1 spent, RT2 live | AT3, RT3 | not revoked, `revocation_skipped`, no error; wiped; RT3 live until its TTL |
//! | Google | alice (ID tokens with the alias `iss`) | `restored`, RT1 spent, RT2 live | AT3, RT3 | revoked (RT3, AT3 inactive); wiped |
//! | Cognito | alice, RT1 stored | `restored`, RT1 spent, RT2 live | AT3, RT3 | revoked at the `/oauth2/revoke` override; end-session URL the `/logout` override; wiped |
//!
//! And: Entra with the tenant outside `allowedTenants`: `id_token_invalid`; GitHub with a wrong
//! secret (HTTP 200 error): `token_exchange_failed`; Dex's dead refresh token
//! (`invalid_request`): `session_expired`, store wiped, and `refresh_failed` with the session
//! kept under the default `deadRefreshTokenErrors`; Google without `issuerAliases`:
//! `id_token_invalid`, without the secret: `token_exchange_failed`. Every wiped store is followed
//! by `not_signed_in`.
//!
//! On the code before issue 9 (b14c64a, options it does not know dropped) Entra failed with
//! `issuer_mismatch` at sign-in, GitHub with `invalid_response` (an error answered with HTTP 200
//! did not parse), Dex's cycle with `unsupported` as the logout's revocation error and its dead
//! token with `refresh_failed` instead of `session_expired`.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/profile_proxy.rs"]
mod profile_proxy;
mod support;

use std::collections::HashMap;
use std::time::Duration;

use fault_proxy::{FaultProxy, Rewrite};
use profile_proxy::{Cognito, Dex, Entra, GitHub, Google};
use serde_json::{json, Value};
use support::Idp;
use tauri_plugin_token_vault::testing::Vault;
use tauri_plugin_token_vault::{
    Config, ProviderConfig, SessionEvents, SessionManager, SessionState,
};

const P: &str = "profile";
const A: &str = "default";

/// A made-up Entra tenant id.
const TENANT: &str = "4f6e2a53-2c1d-4f0e-9a87-1b2c3d4e5f60";
/// Another one, which the negative Entra check allows instead.
const OTHER_TENANT: &str = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

/// One profile's world: the reshaping proxy, the provider behind it, a service name of its own
/// in the Secret Service and a lock directory.
struct Bed {
    proxy: FaultProxy,
    idp: Idp,
    origin: String,
    service: String,
    locks: tempfile::TempDir,
}

impl Bed {
    /// Starts the provider behind the proxy; `profile` gets the proxy's origin and returns the
    /// rewrite hook and the provider's extra environment (`IDP_ISSUER` defaults to the origin).
    fn start<R: Rewrite>(
        test: &str,
        profile: impl FnOnce(&str) -> (R, Vec<(String, String)>),
    ) -> Self {
        support::require_secret_service();
        let proxy = FaultProxy::bind();
        let origin = proxy.origin();
        let (hook, env) = profile(&origin);
        let issuer = env
            .iter()
            .find(|(k, _)| k == "IDP_ISSUER")
            .map_or(origin.clone(), |(_, v)| v.clone());
        let rest: Vec<(&str, &str)> = env
            .iter()
            .filter(|(k, _)| k != "IDP_ISSUER")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (idp, upstream) = Idp::start_behind(&issuer, &rest);
        proxy.rewrite(hook);
        proxy.serve(&upstream, &idp.ca_cert, &idp.tls_key_path());
        Bed {
            proxy,
            idp,
            origin,
            service: support::unique_service(test),
            locks: tempfile::tempdir().unwrap(),
        }
    }

    fn ca(&self) -> String {
        self.idp.ca_cert.display().to_string()
    }

    fn manager(&self, config: &ProviderConfig) -> SessionManager {
        SessionManager::new(
            &self.service,
            HashMap::from([(P.to_string(), config.clone())]),
        )
        .with_lock_dir(self.locks.path())
    }

    /// The stored record as JSON (it holds tokens: never print it), `None` without one.
    fn stored(&self) -> Option<Value> {
        let record = Vault::platform(&self.service)
            .unwrap()
            .load_record(P, A)
            .expect("the record reads back")?;
        Some(serde_json::to_value(record).unwrap())
    }

    /// The stored refresh token.
    fn stored_rt(&self) -> Option<String> {
        self.stored()?["refreshToken"].as_str().map(str::to_string)
    }
}

/// `plugins.token-vault.providers.profile` = `provider`, read and checked by the plugin's own
/// `Config` (as at app start-up); the provider's configuration.
fn configure(provider: Value) -> ProviderConfig {
    let whole = json!({ "providers": { P: provider } });
    let config: Config = serde_json::from_value(whole)
        .unwrap_or_else(|e| panic!("the profile's configuration is refused: {e}"));
    config
        .validate()
        .unwrap_or_else(|e| panic!("the profile's configuration is invalid: {e}"));
    config.provider_config(P).expect("the provider").clone()
}

/// Prints one row of the profile × step table.
fn row(profile: &str, step: &str, outcome: &str) {
    println!("| {profile} | {step} | {outcome} |");
}

/// The events sent so far, as `(state, reason)`.
fn drain(events: &mut SessionEvents) -> Vec<(SessionState, String)> {
    std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason.as_str().to_string()))
        .collect()
}

fn event(state: SessionState, reason: &str) -> Vec<(SessionState, String)> {
    vec![(state, reason.to_string())]
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The access token's expiry is the provider's (3600 s), not the 300 s assumed without a
/// usable `expires_in`: more than 20 minutes away.
fn expiry_is_the_providers(expires_at: Option<u64>) {
    let at = expires_at.expect("an expiry");
    assert!(
        at > now_ms() + 20 * 60 * 1000,
        "the token response's expires_in was not taken"
    );
}

/// What a refresh-token profile's logout does at the provider.
struct Expect<'a> {
    /// Whether logout revokes (the provider has a revocation endpoint).
    revoked: bool,
    /// The `tid` claim the ID tokens carry.
    tid: Option<&'a str>,
    /// The path of the end-session URL logout reports.
    end_session_path: &'a str,
}

/// The full cycle of a profile with refresh tokens and ID tokens: sign-in, restore in a new
/// manager, refresh, logout.
async fn refresh_token_cycle(bed: &Bed, profile: &str, config: &ProviderConfig, x: Expect<'_>) {
    // Sign-in.
    let m1 = bed.manager(config);
    let mut events = m1.subscribe();
    let status = support::sign_in(&m1, P, A).await;
    assert!(status.signed_in);
    assert_eq!(status.subject.as_deref(), Some("alice"));
    let claims = status.claims.expect("the ID token was validated");
    assert_eq!(claims.get("tid").and_then(Value::as_str), x.tid);
    expiry_is_the_providers(status.expires_at);
    assert_eq!(drain(&mut events), event(SessionState::SignedIn, "login"));
    let rt1 = bed.stored_rt().expect("a refresh token stored at sign-in");
    assert!(bed.idp.is_active(&rt1).await, "RT1 active at the provider");
    let at1 = m1.get_token(P, A, Duration::ZERO).await.unwrap();
    assert!(bed.idp.is_active(at1.secret()).await);
    row(
        profile,
        "sign-in",
        "signed in as alice (login event), RT1 stored, AT1 and RT1 active",
    );
    drop(m1);

    // Restore: a new manager (a new launch) refreshes from the stored refresh token.
    let m2 = bed.manager(config);
    let mut events = m2.subscribe();
    let at2 = m2
        .get_token(P, A, Duration::ZERO)
        .await
        .expect("a token from the stored session");
    assert_ne!(at2.secret(), at1.secret());
    assert!(bed.idp.is_active(at2.secret()).await);
    assert_eq!(
        drain(&mut events),
        event(SessionState::SignedIn, "restored")
    );
    let rt2 = bed.stored_rt().expect("the rotated refresh token stored");
    assert_ne!(rt2, rt1, "rotated");
    assert!(!bed.idp.is_active(&rt1).await, "RT1 spent");
    assert!(bed.idp.is_active(&rt2).await, "RT2 active");
    let status = m2.status(P, A).await.unwrap();
    assert_eq!(status.subject.as_deref(), Some("alice"));
    row(
        profile,
        "restore",
        "new manager: restored event, AT2 active, RT1 spent, RT2 stored and active",
    );

    // Refresh.
    let status = m2.refresh(P, A).await.expect("refresh");
    assert!(status.signed_in);
    expiry_is_the_providers(status.expires_at);
    let claims = status.claims.expect("the refreshed ID token was validated");
    assert_eq!(claims.get("tid").and_then(Value::as_str), x.tid);
    let at3 = m2.get_token(P, A, Duration::ZERO).await.unwrap();
    assert_ne!(at3.secret(), at2.secret());
    assert!(bed.idp.is_active(at3.secret()).await);
    let rt3 = bed.stored_rt().expect("stored");
    assert_ne!(rt3, rt2);
    assert!(!bed.idp.is_active(&rt2).await && bed.idp.is_active(&rt3).await);
    assert_eq!(
        drain(&mut events),
        vec![],
        "a refresh changes no session state"
    );
    row(
        profile,
        "refresh",
        "AT3 new and active, RT3 stored and active, RT2 spent, no event",
    );

    // Logout.
    let report = m2.logout(P, A).await.unwrap();
    assert_eq!(report.revoked, x.revoked, "{report:?}");
    assert!(report.revocation_error.is_none(), "{report:?}");
    assert!(report.store_cleared, "{report:?}");
    let url = report.end_session_url.clone().expect("an end-session URL");
    assert_eq!(url.path(), x.end_session_path);
    assert!(url.query_pairs().any(|(k, _)| k == "id_token_hint"));
    assert!(bed.stored().is_none(), "store wiped");
    assert_eq!(drain(&mut events), event(SessionState::SignedOut, "logout"));
    let e = m2.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
    let live = bed.idp.is_active(&rt3).await;
    if x.revoked {
        assert_eq!(report.revocation_skipped, None, "{report:?}");
        assert!(!live, "RT3 revoked");
        assert!(!bed.idp.is_active(at3.secret()).await, "AT3 revoked");
        row(
            profile,
            "logout",
            "revoked: RT3 and AT3 inactive; store wiped, logout event, not_signed_in after",
        );
    } else {
        // No revocation endpoint: nothing to revoke with, not an error.
        assert!(report.revocation_skipped.is_some(), "{report:?}");
        assert!(live, "RT3 is still live at the provider (until its TTL)");
        row(profile, "logout", "not revoked (no endpoint): revocation skipped, no error; store wiped, logout event, not_signed_in after; RT3 live at the provider until its TTL");
    }
}

/// Microsoft Entra ID through `/common`: the metadata's issuer is the template
/// `<proxy>/{tenantid}/v2.0`, ID tokens carry the tenant's issuer and `tid`; the client's only
/// redirect URI is `http://localhost` (any port); `expires_in` is a string; no revocation
/// endpoint; no RFC 9207 `iss` in the redirect. A second configuration whose `allowedTenants`
/// leaves the tenant out is refused at sign-in (`id_token_invalid`).
#[tokio::test]
async fn entra() {
    let bed = Bed::start("entra", |origin| {
        let e = Entra {
            origin: origin.into(),
            tenant: TENANT.into(),
        };
        let env = e.env();
        (e, env)
    });
    let o = &bed.origin;
    // The `entra` preset, as an app writes it, over this proxy's origin: the issuer template
    // (`{origin}/{tenantid}/v2.0` for `/common`), `redirect.host` `localhost` and
    // `revocationStyle` `none` come from the preset. The test provider only grants
    // `offline_access` with `prompt=consent` (OpenID Connect Core §11), which Entra does not
    // need: that one preset value is overridden.
    let provider = json!({
        "preset": "entra",
        "issuer": format!("{o}/common/v2.0"),
        "clientId": "tv-localhost",
        "scopes": ["openid", "offline_access", "profile", "email"],
        "offlineAccessPromptConsent": true,
        "caCertificates": [bed.ca()],
    });
    let config = configure(provider.clone());
    let x = Expect {
        revoked: false,
        tid: Some(TENANT),
        end_session_path: &format!("/{TENANT}/v2.0/session/end"),
    };
    refresh_token_cycle(&bed, "Entra", &config, x).await;

    let mut other = provider;
    other["allowedTenants"] = json!([OTHER_TENANT]);
    let m = bed.manager(&configure(other));
    let e = m
        .login(
            P,
            A,
            &tauri_plugin_token_vault::SystemBrowser,
            &Default::default(),
            tauri_plugin_token_vault::LoginCancel::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "id_token_invalid", "{e}");
    assert!(bed.stored().is_none(), "nothing stored");
    row(
        "Entra",
        "sign-in, tenant not allowed",
        "id_token_invalid, nothing stored",
    );
}

/// GitHub (an OAuth app): no discovery, OAuth 2.0 only (no `openid`), a confidential client
/// posting its secret in the form, errors with HTTP 200, no refresh token and no `expires_in`,
/// so the access token is persisted for restore; logout deletes the token GitHub's way.
#[tokio::test]
async fn github() {
    let github = GitHub::default();
    let bed = Bed::start("github", |_| (github.clone(), vec![]));
    let o = &bed.origin;
    let revocation = GitHub::revocation("tv-post");
    // The `github` preset (no discovery, `client_secret_post`, `persistAccessToken`,
    // `revocationStyle` `github`) with the endpoints moved to this proxy, as for GitHub
    // Enterprise Server, and a scope the test provider knows.
    let provider = json!({
        "preset": "github",
        "endpoints": {
            "authorization": format!("{o}{}", GitHub::AUTHORIZE),
            "token": format!("{o}{}", GitHub::TOKEN),
            "revocation": format!("{o}{revocation}"),
        },
        "clientId": "tv-post",
        "clientSecret": "tv-post-secret",
        "scopes": ["profile"],
        "caCertificates": [bed.ca()],
    });
    let config = configure(provider.clone());
    let codes = |stats: &Value| {
        (
            stats["token"]["authorization_code"].as_u64().unwrap(),
            stats["token"]["refresh_token"].as_u64().unwrap(),
        )
    };

    // Sign-in.
    let m1 = bed.manager(&config);
    let mut events = m1.subscribe();
    let status = support::sign_in(&m1, P, A).await;
    assert!(status.signed_in);
    assert_eq!(status.subject, None, "no ID token");
    assert!(
        status.scopes.iter().any(|s| s == "profile"),
        "{:?}",
        status.scopes
    );
    assert_eq!(drain(&mut events), event(SessionState::SignedIn, "login"));
    let stored = bed.stored().expect("a record stored at sign-in");
    assert!(stored["refreshToken"].is_null(), "no refresh token issued");
    assert!(
        stored["accessToken"].is_string(),
        "the access token persisted"
    );
    let at = m1.get_token(P, A, Duration::ZERO).await.unwrap();
    assert!(bed.idp.is_active(at.secret()).await);
    assert_eq!(codes(&bed.idp.stats().await), (1, 0));
    row(
        "GitHub",
        "sign-in",
        "signed in (login event), no subject, record stored, AT active",
    );
    drop(m1);

    // Restore: the persisted access token, without a request.
    let m2 = bed.manager(&config);
    let mut events = m2.subscribe();
    let restored = m2.get_token(P, A, Duration::ZERO).await.expect("restored");
    assert_eq!(restored.secret(), at.secret(), "the persisted access token");
    assert_eq!(
        drain(&mut events),
        event(SessionState::SignedIn, "restored")
    );
    assert_eq!(codes(&bed.idp.stats().await), (1, 0), "no token request");
    row(
        "GitHub",
        "restore",
        "new manager: restored event, the same AT from the store, no token request",
    );

    // Refresh: nothing to refresh with; the same token, no request.
    let status = m2.refresh(P, A).await.expect("refresh");
    assert!(status.signed_in);
    let again = m2.get_token(P, A, Duration::ZERO).await.unwrap();
    assert_eq!(again.secret(), at.secret());
    assert_eq!(codes(&bed.idp.stats().await), (1, 0), "no token request");
    assert_eq!(drain(&mut events), vec![]);
    row(
        "GitHub",
        "refresh",
        "the same AT, no token request, no event",
    );

    // Logout: DELETE /applications/<client_id>/token.
    let report = m2.logout(P, A).await.unwrap();
    assert!(report.revoked, "{report:?}");
    assert!(
        report.revocation_error.is_none() && report.store_cleared,
        "{report:?}"
    );
    assert_eq!(report.revocation_skipped, None, "{report:?}");
    assert_eq!(report.end_session_url, None);
    assert_eq!(
        bed.proxy.hits(&revocation),
        (1, 1),
        "one DELETE, translated"
    );
    assert!(!bed.idp.is_active(at.secret()).await, "AT revoked");
    assert!(bed.stored().is_none(), "store wiped");
    assert_eq!(drain(&mut events), event(SessionState::SignedOut, "logout"));
    let e = m2.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
    row(
        "GitHub",
        "logout",
        "revoked through DELETE (AT inactive), store wiped, logout event, not_signed_in after",
    );

    // A wrong secret: GitHub's HTTP 200 with an error body is the error it says.
    let mut wrong = provider;
    wrong["clientSecret"] = json!("not-the-secret");
    let m = bed.manager(&configure(wrong));
    let e = m
        .login(
            P,
            A,
            &tauri_plugin_token_vault::SystemBrowser,
            &Default::default(),
            tauri_plugin_token_vault::LoginCancel::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "token_exchange_failed", "{e}");
    assert!(e.to_string().contains("invalid_client"), "{e}");
    assert!(bed.stored().is_none());
    row(
        "GitHub",
        "sign-in, wrong secret (HTTP 200 error)",
        "token_exchange_failed (invalid_client), nothing stored",
    );
    // Which shape the token endpoint answered in (by the plugin's `Accept`).
    let load = |c: &std::sync::atomic::AtomicUsize| c.load(std::sync::atomic::Ordering::SeqCst);
    let (as_json, as_form) = (load(&github.json_answers), load(&github.form_answers));
    assert_eq!(as_json + as_form, 2, "two code exchanges");
    row(
        "GitHub",
        "token answers",
        &format!("{as_json} as JSON, {as_form} form-encoded (the plugin's Accept decides)"),
    );
}

/// Dex without revocation: the full cycle; logout has no endpoint to revoke at.
fn dex_provider(bed: &Bed) -> Value {
    // The `dex` preset: `deadRefreshTokenErrors` with `invalid_request`, `revocationStyle`
    // `none`. Overridden: `redirect.host` (the preset's `localhost`; the test's `Idp::revoke`
    // revokes as the 127.0.0.1 client `tv-native`, and a provider lets a client revoke only its
    // own tokens) and, as for Entra, `offlineAccessPromptConsent`.
    json!({
        "preset": "dex",
        "issuer": bed.origin,
        "clientId": support::NATIVE_CLIENT,
        "scopes": ["openid", "offline_access", "profile", "email"],
        "offlineAccessPromptConsent": true,
        "redirect": { "host": "127.0.0.1" },
        "caCertificates": [bed.ca()],
    })
}

/// Dex: the full cycle (no revocation endpoint: logout wipes, reports not revoked, no error).
#[tokio::test]
async fn dex() {
    let bed = Bed::start("dex", |_| (Dex, vec![]));
    let config = configure(dex_provider(&bed));
    let x = Expect {
        revoked: false,
        tid: None,
        end_session_path: "/session/end",
    };
    refresh_token_cycle(&bed, "Dex", &config, x).await;
}

/// Dex: a dead refresh token is refused with `invalid_request`; with that code among
/// `deadRefreshTokenErrors` the session ends (`session_expired`, store wiped), with the default
/// set it is `refresh_failed` and the session is kept.
#[tokio::test]
async fn dex_dead_refresh_token() {
    let bed = Bed::start("dex-dead", |_| (Dex, vec![]));
    let provider = dex_provider(&bed);
    let config = configure(provider.clone());
    let m = bed.manager(&config);
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    let rt = bed.stored_rt().unwrap();
    bed.idp.revoke(&rt, "refresh_token").await;
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert_eq!(
        drain(&mut events),
        event(SessionState::SignedOut, "session_expired")
    );
    assert!(bed.stored().is_none(), "store wiped");
    assert!(!m.status(P, A).await.unwrap().signed_in);
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
    row(
        "Dex",
        "refresh, dead RT (invalid_request)",
        "session_expired (one event), store wiped, not_signed_in after",
    );

    // The control: without invalid_request among the dead-token codes (the preset's value
    // overridden with the plugin's default).
    let mut default = provider;
    default["deadRefreshTokenErrors"] = json!(["invalid_grant"]);
    let m = bed.manager(&configure(default));
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    bed.idp
        .revoke(&bed.stored_rt().unwrap(), "refresh_token")
        .await;
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "refresh_failed", "{e}");
    assert!(e.to_string().contains("invalid_request"), "{e}");
    assert_eq!(drain(&mut events), vec![]);
    assert!(bed.stored().is_some(), "session kept");
    row(
        "Dex",
        "control: default deadRefreshTokenErrors",
        "refresh_failed (invalid_request), session kept",
    );
}

/// Google: a confidential client (the secret is required), ID tokens whose `iss` is an alias of
/// the issuer the metadata names (`issuerAliases`). Without the alias the sign-in's ID token is
/// refused; without the secret the code exchange is.
#[tokio::test]
async fn google() {
    let bed = Bed::start("google", |origin| {
        let g = Google {
            origin: origin.into(),
        };
        let env = g.env();
        (g, env)
    });
    let alias = format!("{}/alias", bed.origin);
    let provider = json!({
        "issuer": bed.origin,
        "issuerAliases": [alias],
        "clientId": support::CONFIDENTIAL_CLIENT,
        "clientSecret": support::CONFIDENTIAL_SECRET,
        "scopes": ["openid", "offline_access", "profile", "email"],
        "caCertificates": [bed.ca()],
    });
    let config = configure(provider.clone());
    let x = Expect {
        revoked: true,
        tid: None,
        end_session_path: "/session/end",
    };
    refresh_token_cycle(&bed, "Google", &config, x).await;

    for (field, code, what) in [
        ("issuerAliases", "id_token_invalid", "without issuerAliases"),
        (
            "clientSecret",
            "token_exchange_failed",
            "without clientSecret",
        ),
    ] {
        let mut less = provider.clone();
        less.as_object_mut().unwrap().remove(field);
        let m = bed.manager(&configure(less));
        let e = m
            .login(
                P,
                A,
                &tauri_plugin_token_vault::SystemBrowser,
                &Default::default(),
                tauri_plugin_token_vault::LoginCancel::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert!(bed.stored().is_none(), "{what}: nothing stored");
        row(
            "Google",
            &format!("sign-in {what}"),
            &format!("{code}, nothing stored"),
        );
    }
}

/// Amazon Cognito: discovered, with the revocation and logout endpoints (not in Cognito's
/// metadata) given as `endpoints` overrides.
#[tokio::test]
async fn cognito() {
    let bed = Bed::start("cognito", |origin| {
        (
            Cognito {
                origin: origin.into(),
            },
            vec![],
        )
    });
    let o = &bed.origin;
    let provider = json!({
        "issuer": o,
        "clientId": support::NATIVE_CLIENT,
        "scopes": ["openid", "offline_access", "profile", "email"],
        "endpoints": {
            "revocation": format!("{o}{}", Cognito::REVOKE),
            "endSession": format!("{o}{}", Cognito::LOGOUT),
        },
        "caCertificates": [bed.ca()],
    });
    let config = configure(provider);
    let x = Expect {
        revoked: true,
        tid: None,
        end_session_path: Cognito::LOGOUT,
    };
    refresh_token_cycle(&bed, "Cognito", &config, x).await;
    let (revocations, _) = bed.proxy.hits(Cognito::REVOKE);
    assert!(revocations >= 1, "logout revoked at the override");
    assert_eq!(
        bed.proxy.hits("/token/revocation"),
        (0, 0),
        "and nowhere else"
    );
    assert!(
        bed.proxy.hits("/oauth2/token").0 >= 3,
        "the discovered token endpoint"
    );
}
