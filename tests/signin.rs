//! Sign-in end to end against the real OpenID provider over TLS: browser stand-in → loopback
//! receiver → code exchange → ID token validated against the provider's JWKS.

#[path = "support/launch.rs"]
mod launch;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use support::Idp;
use tauri_plugin_token_vault::testing::OAuthClient;
use tauri_plugin_token_vault::testing::{sign_in, SignedIn};
use tauri_plugin_token_vault::{Browser, SystemBrowser};
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
    let config = idp
        .provider()
        .client_id(support::CONFIDENTIAL_CLIENT)
        .client_secret(support::CONFIDENTIAL_SECRET);
    let s = login(config, hint("bob")).await.expect("sign-in");
    assert_eq!(s.subject(), Some("bob"));
    assert_eq!(s.claims.unwrap().aud, ["tv-confidential"]);
}

#[tokio::test]
async fn wrong_client_secret_fails_the_exchange_with_the_providers_error() {
    let idp = Idp::start();
    let config = idp
        .provider()
        .client_id(support::CONFIDENTIAL_CLIENT)
        .client_secret("wrong");
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
    // A configured port outside the ephemeral range: after the cancel, nothing else can be
    // listening on it, so a refused connection proves this listener closed.
    let configured_port = support::free_fixed_port();
    let config = idp.provider().redirect_port(configured_port);
    let client = OAuthClient::discover(config.clone()).await.unwrap();
    let cancel = CancellationToken::new();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // The stand-in is told to stall; this browser records the redirect port first. It is given
    // the launch URL, which the receiver answers only once `open` has returned: a thread of its
    // own resolves it to the authorization URL.
    let browser = move |url: &url::Url| {
        let (launch, port_tx) = (url.clone(), port_tx.clone());
        std::thread::spawn(move || {
            let url = launch::resolve(&launch);
            let redirect = url
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .unwrap()
                .1;
            port_tx
                .send(url::Url::parse(&redirect).unwrap().port().unwrap())
                .unwrap();
            SystemBrowser.open(&url).unwrap();
        });
        Ok(())
    };
    let canceller = cancel.clone();
    let task =
        tokio::spawn(async move { sign_in(&client, &browser, &hint("stall"), canceller).await });
    let port =
        tokio::task::spawn_blocking(move || port_rx.recv_timeout(Duration::from_secs(20)).unwrap())
            .await
            .unwrap();
    assert_eq!(
        port, configured_port,
        "the configured loopback port is used"
    );
    cancel.cancel();
    let e = task.await.unwrap().unwrap_err();
    assert_eq!(e.code(), "login_cancelled");
    // Closed by the time the cancelled sign-in returned; a connection attempt is retried for
    // up to 2 s only so that a close the kernel completes a moment later is not misread.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the loopback listener must be closed after a cancelled sign-in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_sign_in_times_out() {
    let idp = Idp::start();
    let config = idp.provider().login_timeout_secs(1);
    let e = login(config, hint("stall")).await.unwrap_err();
    assert_eq!(e.code(), "login_timed_out");
    assert_eq!(e.to_string(), "sign-in timed out after 1 s");
}

#[tokio::test]
async fn discovery_rejects_an_issuer_that_is_not_the_configured_one() {
    let idp = Idp::start();
    // Same server, but configured with a path: the metadata's issuer differs.
    let config = idp.provider().issuer(idp.url("/tenant"));
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
    let config = idp.provider().ca_certificates(Vec::<String>::new());
    let Err(e) = OAuthClient::discover(config).await else {
        panic!("discovery trusted a certificate that no trusted CA issued");
    };
    assert_eq!(e.code(), "discovery_failed", "{e}");
    // The reason is the certificate: rustls found no trusted issuer for it (the plugin's
    // message carries the transport error's innermost cause).
    assert!(
        e.to_string()
            .contains("invalid peer certificate: UnknownIssuer"),
        "{e}"
    );

    // Controls. The same provider, its CA trusted, is discovered: it was up and serving, and
    // trusting its certificate is the only difference.
    OAuthClient::discover(idp.provider())
        .await
        .expect("discovery with the provider's CA trusted");
    // A failure that is not the certificate reads differently: a refused connection (a fixed
    // port nobody listens on) is `discovery_failed` too, but does not mention a certificate.
    let closed_port = support::free_fixed_port();
    let config = idp
        .provider()
        .ca_certificates(Vec::<String>::new())
        .issuer(url::Url::parse(&format!("https://127.0.0.1:{closed_port}")).unwrap());
    let refused = OAuthClient::discover(config).await.unwrap_err();
    assert_eq!(refused.code(), "discovery_failed", "{refused}");
    assert!(!refused.to_string().contains("certificate"), "{refused}");
}

/// RFC 7636 §4.2, S256: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// The value of a query parameter that must occur exactly once.
fn single(url: &url::Url, name: &str) -> String {
    let values: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(
        values.len(),
        1,
        "`{name}` in the authorization URL: {values:?}"
    );
    values.into_iter().next().unwrap()
}

#[tokio::test]
async fn the_authorization_url_carries_the_s256_challenge_of_the_verifier_the_plugin_sends() {
    // The provider records what arrives at its token endpoint (test-only, IDP_RECORD_TOKENS):
    // that is where the plugin reveals the verifier it used.
    let idp = Idp::start_with(&[("IDP_RECORD_TOKENS", "1")]);
    let client = OAuthClient::discover(idp.provider()).await.unwrap();
    // The browser step as the plugin performs it, with the authorization URL its launch URL
    // redirects to kept (resolved on a thread of its own: the receiver answers only once `open`
    // has returned; the sign-in completes only after the push).
    let handed: std::sync::Arc<std::sync::Mutex<Vec<url::Url>>> = Default::default();
    let keep = handed.clone();
    let browser = move |url: &url::Url| {
        let (launch, keep) = (url.clone(), keep.clone());
        std::thread::spawn(move || {
            let url = launch::resolve(&launch);
            keep.lock().unwrap().push(url.clone());
            SystemBrowser.open(&url).unwrap();
        });
        Ok(())
    };
    // Two sign-ins: each gets its own verifier.
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(
            sign_in(
                &client,
                &browser,
                &BTreeMap::new(),
                CancellationToken::new(),
            )
            .await,
        );
    }
    let urls = handed.lock().unwrap().clone();
    assert_eq!(urls.len(), 2, "one authorization URL per sign-in");
    let exchanges = idp.token_exchanges().await;
    let verifiers: Vec<String> = exchanges
        .iter()
        .filter(|x| x["grant_type"] == "authorization_code")
        .map(|x| {
            x["code_verifier"]
                .as_str()
                .expect("the code exchange carries a code_verifier")
                .to_string()
        })
        .collect();
    assert_eq!(verifiers.len(), 2, "one code exchange per sign-in");

    // Checked before the sign-in outcomes, so a mismatch is reported as such even when the
    // provider refused the exchange because of it. Verifiers are never printed.
    let mut challenges = Vec::new();
    for (i, (url, verifier)) in urls.iter().zip(&verifiers).enumerate() {
        assert_eq!(single(url, "code_challenge_method"), "S256", "sign-in {i}");
        assert!(
            (43..=128).contains(&verifier.len())
                && verifier
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
            "sign-in {i}: the verifier is not 43-128 unreserved characters (RFC 7636 §4.1)"
        );
        let challenge = single(url, "code_challenge");
        assert!(
            challenge == s256(verifier),
            "sign-in {i}: code_challenge {challenge} is not BASE64URL(SHA256(verifier)) of the \
             verifier sent to the token endpoint"
        );
        challenges.push(challenge);
    }
    assert!(
        verifiers[0] != verifiers[1],
        "each sign-in has a fresh verifier"
    );
    assert_ne!(challenges[0], challenges[1]);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let signed_in = outcome.unwrap_or_else(|e| panic!("sign-in {i}: {e}"));
        assert_eq!(signed_in.subject(), Some("alice"));
    }
    let statuses: Vec<&serde_json::Value> = exchanges.iter().map(|x| &x["status"]).collect();
    assert_eq!(statuses, [200, 200], "the provider accepted both exchanges");
}

/// What a browser step got by using the launch URL it was handed: its first GET, the second
/// GET of the same URL, and a GET of an unknown path of the same shape (another random of the
/// same length).
struct LaunchAnswers {
    first: launch::Answer,
    second: launch::Answer,
    unknown: launch::Answer,
}

/// Headers of an answer without `date`, the one that varies between two answers.
fn dateless(a: &launch::Answer) -> Vec<(String, String)> {
    a.headers
        .iter()
        .filter(|(n, _)| n != "date")
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_browser_is_given_a_one_time_launch_url_without_the_authorization_parameters() {
    let idp = Idp::start();
    // Bounds the wait when the launch URL does not lead to the provider (a failed check below).
    let config = idp.provider().login_timeout_secs(20);
    let client = OAuthClient::discover(config).await.unwrap();
    let handed: std::sync::Arc<std::sync::Mutex<Option<url::Url>>> = Default::default();
    let answers: std::sync::Arc<std::sync::Mutex<Option<LaunchAnswers>>> = Default::default();
    let (keep_url, keep_answers) = (handed.clone(), answers.clone());
    // The browser step: keeps the URL it is given, uses it twice and an unknown path once (on a
    // thread of its own: the receiver answers only once `open` has returned), then opens the
    // system browser on the authorization URL the first answer pointed to.
    let browser = move |url: &url::Url| {
        *keep_url.lock().unwrap() = Some(url.clone());
        let (given, keep) = (url.clone(), keep_answers.clone());
        std::thread::spawn(move || {
            let first = launch::get(&given);
            let second = launch::get(&given);
            let mut other = given.clone();
            other.set_path(&format!("/{}", "A".repeat(given.path().len() - 1)));
            let unknown = launch::get(&other);
            let authorization = (first.status == 302)
                .then(|| first.header("location").map(url::Url::parse))
                .flatten()
                .and_then(Result::ok);
            *keep.lock().unwrap() = Some(LaunchAnswers {
                first,
                second,
                unknown,
            });
            if let Some(authorization) = authorization {
                SystemBrowser.open(&authorization).unwrap();
            }
        });
        Ok(())
    };
    let outcome = sign_in(
        &client,
        &browser,
        &BTreeMap::new(),
        CancellationToken::new(),
    )
    .await;

    // The URL handed to the browser: the loopback receiver's origin and a random path, nothing
    // else.
    let given = handed.lock().unwrap().take().expect("the browser step ran");
    assert_eq!(given.scheme(), "http", "a loopback URL, not the provider's");
    assert_eq!(given.host_str(), Some("127.0.0.1"));
    assert_eq!((given.username(), given.password()), ("", None));
    assert_eq!(
        (given.query(), given.fragment()),
        (None, None),
        "the URL given to the browser has no query"
    );
    let random = given.path().strip_prefix('/').unwrap();
    assert!(
        random.len() == 43
            && random
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "the launch path is 32 random bytes in base64url (43 characters), not {} characters",
        random.len()
    );

    // The first GET is the redirect to the authorization URL, uncached, without referrer, and
    // the connection is closed after it (`launch::get` reads until the close).
    let seen = answers.lock().unwrap().take().unwrap_or_else(|| {
        panic!(
            "the browser step could not use the launch URL twice and an unknown path once (the \
             receiver stopped answering?); the sign-in ended with {outcome:?}"
        )
    });
    assert_eq!(seen.first.status, 302, "the launch URL redirects");
    let authorization =
        url::Url::parse(seen.first.header("location").expect("a Location")).unwrap();
    for (name, value) in [
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("connection", "close"),
    ] {
        assert_eq!(
            seen.first.header(name),
            Some(value),
            "`{name}` of the redirect"
        );
    }
    assert_eq!(
        authorization.origin(),
        idp.url("/").origin(),
        "to the provider"
    );
    let redirect_uri = url::Url::parse(&single(&authorization, "redirect_uri")).unwrap();
    assert_eq!(given.port(), redirect_uri.port(), "the loopback receiver");
    let given_text = given.as_str();
    for name in ["state", "nonce", "code_challenge", "redirect_uri"] {
        let value = single(&authorization, name);
        assert!(value.len() >= 20, "`{name}` is long enough to search for");
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        assert!(
            !given_text.contains(&value) && !given_text.contains(&encoded),
            "the URL given to the browser carries the authorization URL's `{name}`"
        );
        assert!(
            !given_text.contains(name),
            "the URL given to the browser names `{name}`"
        );
    }

    // Once: the second GET of the same URL reads exactly like an unknown path.
    assert_eq!(seen.second.status, 404, "the launch URL works once");
    assert_eq!(
        (
            seen.second.status,
            dateless(&seen.second),
            &seen.second.body
        ),
        (
            seen.unknown.status,
            dateless(&seen.unknown),
            &seen.unknown.body
        ),
        "a used launch URL answers like any unknown path"
    );

    // Neither GET ended the sign-in: it completed through the authorization URL.
    let signed_in = outcome.expect("sign-in after the launch URL was used twice");
    assert_eq!(signed_in.subject(), Some("alice"));
    let stats = idp.stats().await;
    assert_eq!(stats["authorization"], 1);
    assert_eq!(stats["token"]["authorization_code"], 1);
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
