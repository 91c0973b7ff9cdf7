//! Sign-in end to end against the real OpenID provider over TLS: browser stand-in → loopback
//! receiver → code exchange → ID token validated against the provider's JWKS.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use support::Idp;
use tauri_plugin_token_vault::oauth::OAuthClient;
use tauri_plugin_token_vault::redirect::{Browser, SystemBrowser};
use tauri_plugin_token_vault::signin::{sign_in, SignedIn};
use tauri_plugin_token_vault::{Error, ProviderConfig};
use tokio_util::sync::CancellationToken;

fn hint(h: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("login_hint".to_string(), h.to_string())])
}

async fn login(config: ProviderConfig, extra: BTreeMap<String, String>) -> Result<SignedIn, Error> {
    let client = OAuthClient::discover(config).await?;
    sign_in(&client, &SystemBrowser, &extra, CancellationToken::new()).await
}

#[tokio::test]
async fn signs_in_end_to_end_with_a_validated_id_token() {
    let idp = Idp::start();
    let started = Instant::now();
    let s = login(idp.provider(), BTreeMap::new())
        .await
        .expect("sign-in");
    eprintln!("sign-in took {} ms", started.elapsed().as_millis());

    let claims = s.claims.as_ref().expect("ID token claims");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.iss, idp.issuer.as_str().trim_end_matches('/'));
    assert_eq!(claims.aud, ["tv-native"]);
    assert!(claims.nonce.is_some(), "the nonce was sent and echoed");
    assert_eq!(claims.other["name"], "Test User alice");
    assert!(
        s.tokens.refresh_token.is_some(),
        "offline_access + prompt=consent gives a refresh token"
    );
    assert!(
        s.tokens.scopes.iter().any(|x| x == "offline_access"),
        "{:?}",
        s.tokens.scopes
    );
    let ttl = s
        .tokens
        .expires_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        ttl > Duration::from_secs(3000) && ttl <= Duration::from_secs(3600),
        "{ttl:?}"
    );

    let stats = idp.stats().await;
    assert_eq!(stats["authorization"], 1);
    assert_eq!(stats["token"]["authorization_code"], 1);

    // Nothing secret in the Debug output of the whole result.
    let printed = format!("{s:?}");
    for secret in [
        s.tokens.access_token.secret(),
        s.tokens.refresh_token.as_ref().unwrap().secret(),
        s.tokens.id_token.as_ref().unwrap().secret(),
    ] {
        assert!(!printed.contains(secret));
    }
}

#[tokio::test]
async fn login_hint_selects_the_account_and_a_confidential_client_works() {
    let idp = Idp::start();
    let mut config = idp.provider();
    config.client_id = support::CONFIDENTIAL_CLIENT.into();
    config.client_secret = Some(tauri_plugin_token_vault::secret::ClientSecret::new(
        support::CONFIDENTIAL_SECRET,
    ));
    let s = login(config, hint("bob")).await.expect("sign-in");
    assert_eq!(s.subject(), Some("bob"));
    assert_eq!(s.claims.unwrap().aud, ["tv-confidential"]);
}

#[tokio::test]
async fn wrong_client_secret_fails_the_exchange_with_the_providers_error() {
    let idp = Idp::start();
    let mut config = idp.provider();
    config.client_id = support::CONFIDENTIAL_CLIENT.into();
    config.client_secret = Some(tauri_plugin_token_vault::secret::ClientSecret::new("wrong"));
    let e = login(config, BTreeMap::new()).await.unwrap_err();
    assert_eq!(e.code(), "token_exchange_failed", "{e}");
    assert!(e.to_string().contains("invalid_client"), "{e}");
}

#[tokio::test]
async fn provider_error_access_denied_ends_the_sign_in() {
    let idp = Idp::start();
    let e = login(idp.provider(), hint("deny")).await.unwrap_err();
    match &e {
        Error::AuthorizationDenied { error, description } => {
            assert_eq!(error, "access_denied");
            assert!(
                description.as_deref().is_some_and(|d| !d.is_empty()),
                "{description:?}"
            );
        }
        other => panic!("expected authorization_denied, got {other:?}"),
    }
    assert_eq!(e.code(), "authorization_denied");
    assert_eq!(idp.stats().await["token"]["authorization_code"], 0);
}

#[tokio::test]
async fn a_sign_in_can_be_cancelled_and_its_listener_closes() {
    let idp = Idp::start();
    let mut config = idp.provider();
    // A configured port outside the ephemeral range: after the cancel, nothing else can be
    // listening on it, so a refused connection proves this listener closed.
    config.redirect.port = support::free_fixed_port();
    let client = OAuthClient::discover(config.clone()).await.unwrap();
    let cancel = CancellationToken::new();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // The stand-in is told to stall; this browser records the redirect port first.
    let browser = move |url: &url::Url| {
        let redirect = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .unwrap()
            .1;
        port_tx
            .send(url::Url::parse(&redirect).unwrap().port().unwrap())
            .unwrap();
        SystemBrowser.open(url)
    };
    let canceller = cancel.clone();
    let task =
        tokio::spawn(async move { sign_in(&client, &browser, &hint("stall"), canceller).await });
    let port =
        tokio::task::spawn_blocking(move || port_rx.recv_timeout(Duration::from_secs(20)).unwrap())
            .await
            .unwrap();
    assert_eq!(
        port, config.redirect.port,
        "the configured loopback port is used"
    );
    cancel.cancel();
    let e = task.await.unwrap().unwrap_err();
    assert_eq!(e.code(), "login_cancelled");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the loopback listener must be closed after a cancelled sign-in"
    );
}

#[tokio::test]
async fn a_sign_in_times_out() {
    let idp = Idp::start();
    let mut config = idp.provider();
    config.login_timeout_secs = 1;
    let e = login(config, hint("stall")).await.unwrap_err();
    assert_eq!(e.code(), "login_timed_out");
    assert_eq!(e.to_string(), "sign-in timed out after 1 s");
}

#[tokio::test]
async fn discovery_rejects_an_issuer_that_is_not_the_configured_one() {
    let idp = Idp::start();
    // Same server, but configured with a path: the metadata's issuer differs.
    let mut config = idp.provider();
    config.issuer = Some(idp.url("/tenant"));
    let e = OAuthClient::discover(config).await.unwrap_err();
    // /tenant/.well-known/openid-configuration is not found; the RFC 8414 location neither.
    assert_eq!(e.code(), "discovery_failed", "{e}");

    // A server whose metadata names another issuer (a canned loopback HTTP answer standing in
    // for a misconfigured or malicious provider; plain http is allowed on loopback only).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let body = r#"{"issuer":"https://evil.example","authorization_endpoint":"https://evil.example/a","token_endpoint":"https://evil.example/t"}"#;
            let _ = s
                .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
    });
    let config = ProviderConfig::new(
        url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        "c",
    );
    let e = OAuthClient::discover(config).await.unwrap_err();
    assert_eq!(e.code(), "issuer_mismatch", "{e}");
    assert!(e.to_string().contains("https://evil.example"), "{e}");
}

#[tokio::test]
async fn untrusted_tls_certificate_is_refused() {
    let idp = Idp::start();
    let mut config = idp.provider();
    config.ca_certificates.clear();
    let e = OAuthClient::discover(config).await.unwrap_err();
    assert_eq!(e.code(), "discovery_failed", "{e}");
}

#[tokio::test]
async fn metadata_advertises_what_the_client_relies_on() {
    let idp = Idp::start();
    let client = OAuthClient::discover(idp.provider()).await.unwrap();
    let m = client.metadata();
    assert!(
        m.authorization_response_iss_parameter_supported,
        "RFC 9207 is checked in these tests"
    );
    assert_eq!(
        m.code_challenge_methods_supported.as_deref(),
        Some(&["S256".to_string()][..])
    );
    assert!(m.revocation_endpoint.is_some() && m.jwks_uri.is_some());
}
