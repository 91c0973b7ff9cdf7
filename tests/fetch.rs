//! Zero-exposure fetch against the real provider (its userinfo endpoint is a real protected
//! resource) and the real Secret Service, plus recording resource servers that show where an
//! `Authorization` header arrived.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use support::{Idp, RecordingServer};
use tauri_plugin_token_vault::FetchRequest;
use tauri_plugin_token_vault::SessionManager;
use tauri_plugin_token_vault::{Allowlist, ProviderConfig};
use url::Url;

const P: &str = "idp";
const A: &str = "default";

/// Signs in with the provider's own origin on the allow-list, plus `also`; `edit` sets the rest.
async fn signed_in(
    idp: &Idp,
    also: &[&str],
    edit: impl FnOnce(ProviderConfig) -> ProviderConfig,
) -> Arc<SessionManager> {
    support::require_secret_service();
    let origin = idp.issuer.origin().ascii_serialization();
    let entries = std::iter::once(origin.as_str()).chain(also.iter().copied());
    let config = edit(
        idp.provider()
            .fetch_allowlist(Allowlist::parse(entries).unwrap()),
    );
    let m = SessionManager::new(
        &support::unique_service("fetch"),
        HashMap::from([(P.to_string(), config)]),
    );
    support::sign_in(&m, P, A).await;
    Arc::new(m)
}

async fn userinfo(m: &SessionManager) -> Url {
    m.userinfo_endpoint(P).await.unwrap().unwrap()
}

fn refreshes(stats: &serde_json::Value) -> u64 {
    stats["token"]["refresh_token"].as_u64().unwrap()
}

#[tokio::test]
async fn userinfo_through_fetch_and_one_refresh_after_expiry() {
    let idp = Idp::start_with(&[("IDP_ACCESS_TTL", "2")]);
    let m = signed_in(&idp, &[], |c| c.refresh_leeway_secs(0)).await;
    let me = userinfo(&m).await;

    let r = m.fetch(P, A, FetchRequest::get(me.clone())).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["sub"], "alice");

    tokio::time::sleep(Duration::from_millis(2200)).await;
    let before = refreshes(&idp.stats().await);
    let r = m.fetch(P, A, FetchRequest::get(me)).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        refreshes(&idp.stats().await) - before,
        1,
        "exactly one refresh after expiry"
    );
}

#[tokio::test]
async fn fifty_concurrent_fetches_across_an_expiry_share_one_refresh() {
    let idp = Idp::start_with(&[("IDP_ACCESS_TTL", "2")]);
    let m = signed_in(&idp, &[], |c| c.refresh_leeway_secs(0)).await;
    let me = userinfo(&m).await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let before = refreshes(&idp.stats().await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (m, me) = (m.clone(), me.clone());
        tasks.spawn(async move { m.fetch(P, A, FetchRequest::get(me)).await });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(r.unwrap().unwrap().status, 200);
    }
    assert_eq!(refreshes(&idp.stats().await) - before, 1);
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let idp = Idp::start();
    let rs = RecordingServer::start().await;
    let m = signed_in(&idp, &[rs.origin.as_str()], |c| c).await;
    // The resource server stops accepting the current token (valid by the clock): every one of
    // ten concurrent calls gets a 401, the session refreshes once, each call retries once.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (m, url) = (m.clone(), rs.url("/reject-first"));
        tasks.spawn(async move { m.fetch(P, A, FetchRequest::get(url)).await });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(
            r.unwrap().unwrap().status,
            200,
            "retried with the new token"
        );
    }
    assert_eq!(refreshes(&idp.stats().await), 1, "ten 401s, one refresh");
    let seen = rs.requests();
    assert_eq!(seen.len(), 20, "each call: the request and one retry");
    let tokens: std::collections::HashSet<_> =
        seen.iter().map(|s| s.authorization.clone()).collect();
    assert_eq!(tokens.len(), 2, "the old token, then the one new token");

    // A resource that keeps answering 401 gets one retry, then the 401 is returned.
    let before = rs.requests().len();
    let r = m
        .fetch(P, A, FetchRequest::get(rs.url("/status/401")))
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(rs.requests().len() - before, 2, "the request and one retry");
}

#[tokio::test]
async fn the_token_goes_only_where_the_allow_list_says() {
    let idp = Idp::start();
    let allowed = RecordingServer::start().await;
    let other = RecordingServer::start().await;
    let m = signed_in(&idp, &[], |c| {
        c.fetch_allowlist(Allowlist::parse([allowed.origin.as_str()]).unwrap())
            .fetch_max_body_bytes(1024 * 1024)
    })
    .await;
    let token = m.get_token(P, A, Duration::ZERO).await.unwrap();

    // Allowed origin: the token arrives, as a Bearer header.
    let r = m
        .fetch(P, A, FetchRequest::get(allowed.url("/api/me")))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let seen = allowed.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {}", token.secret()).as_str())
    );

    // Another origin: refused, nothing sent.
    let e = m
        .fetch(P, A, FetchRequest::get(other.url("/steal")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "fetch_not_allowed", "{e}");
    assert!(!e.to_string().contains(token.secret()));

    // An allowed origin redirecting elsewhere: the 302 comes back, the redirect is not followed.
    let to = other.url("/steal-after-redirect");
    let mut url = allowed.url("/redirect");
    url.query_pairs_mut().append_pair("to", to.as_str());
    let r = m.fetch(P, A, FetchRequest::get(url)).await.unwrap();
    assert_eq!(r.status, 302);
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k == "location" && v == to.as_str()));
    assert!(
        other.requests().is_empty(),
        "no request, with or without a token, reached the other origin"
    );

    // Plain http to a non-loopback host: refused by the scheme rule before any connection. (An
    // allow-list cannot hold such an entry: configuration refuses it. It holds the same hosts
    // over https, and the message shows the scheme rule, not an allow-list miss, refused it.)
    let m_http = signed_in(&idp, &[], |c| {
        c.fetch_allowlist(
            Allowlist::parse(["https://10.1.2.3", "https://api.example.com/"]).unwrap(),
        )
    })
    .await;
    for url in ["http://10.1.2.3/api", "http://api.example.com/"] {
        let e = m_http
            .fetch(P, A, FetchRequest::get(Url::parse(url).unwrap()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "fetch_not_allowed", "{url}: {e}");
        assert!(
            e.to_string()
                .contains("plain http to a non-loopback host would expose the token"),
            "refused by the scheme rule, not the allow-list: {e}"
        );
    }

    // Bad input: a caller-supplied Authorization, a bad method, a bad header: refused, nothing sent.
    let before = allowed.requests().len();
    let mut req = FetchRequest::get(allowed.url("/x"));
    req.headers
        .push(("Authorization".into(), "Bearer forged".into()));
    assert_eq!(
        m.fetch(P, A, req).await.unwrap_err().code(),
        "fetch_invalid_request"
    );
    let mut req = FetchRequest::get(allowed.url("/x"));
    req.method = "GE T".into();
    assert_eq!(
        m.fetch(P, A, req).await.unwrap_err().code(),
        "fetch_invalid_request"
    );
    let mut req = FetchRequest::get(allowed.url("/x"));
    req.headers.push(("X-Bad".into(), "line\nbreak".into()));
    assert_eq!(
        m.fetch(P, A, req).await.unwrap_err().code(),
        "fetch_invalid_request"
    );
    assert_eq!(allowed.requests().len(), before);

    // Response bodies are capped.
    let e = m
        .fetch(P, A, FetchRequest::get(allowed.url("/big?bytes=2000000")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "fetch_response_too_large");
    let r = m
        .fetch(P, A, FetchRequest::get(allowed.url("/big?bytes=1000")))
        .await
        .unwrap();
    assert_eq!(r.body.len(), 1000);

    // POST with a body and headers: the server receives the method, the content type and
    // the body byte for byte (every byte value, not valid UTF-8), and its echo comes back whole.
    let sent: Vec<u8> = (0..70_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let before = allowed.requests().len();
    let mut req = FetchRequest::get(allowed.url("/echo"));
    req.method = "post".into();
    req.body = Some(sent.clone());
    req.headers
        .push(("content-type".into(), "application/octet-stream".into()));
    let r = m.fetch(P, A, req).await.unwrap();
    assert_eq!(r.status, 200);
    let seen = allowed.requests();
    assert_eq!(seen.len() - before, 1);
    let got = seen.last().unwrap();
    assert_eq!(
        got.method, "POST",
        "a standard method is sent in upper case"
    );
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(got.body.len(), sent.len());
    assert!(
        got.body == sent,
        "the server received the body byte for byte"
    );
    assert!(r.body == sent, "the echoed body came back byte for byte");
    // A GET without a body arrives with an empty one.
    m.fetch(P, A, FetchRequest::get(allowed.url("/echo")))
        .await
        .unwrap();
    assert!(allowed.requests().last().unwrap().body.is_empty());

    // Not signed in: nothing sent.
    let before = allowed.requests().len();
    let e = m
        .fetch(P, "nobody", FetchRequest::get(allowed.url("/x")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_signed_in");
    assert_eq!(allowed.requests().len(), before);
}
