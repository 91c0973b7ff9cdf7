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

/// Runs `fetch` for each case and returns, for every case that was not refused with `code`, a
/// line saying what happened instead (an empty list: every case was refused with `code`). No
/// error message may hold `token`.
async fn refusals(
    m: &SessionManager,
    cases: impl IntoIterator<Item = (String, FetchRequest)>,
    code: &str,
    token: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (case, req) in cases {
        match m.fetch(P, A, req).await {
            Ok(r) => wrong.push(format!("{case}: sent, answered HTTP {}", r.status)),
            Err(e) => {
                let text = e.to_string();
                assert!(!text.contains(token), "{case}: the error holds the token");
                if e.code() != code {
                    wrong.push(format!("{case}: {} instead of {code}: {text}", e.code()));
                }
            }
        }
    }
    wrong
}

/// Issue #8, item 7: the request headers browsers forbid to page script (WHATWG Fetch,
/// "forbidden request-header", and the `X-HTTP-Method*` overrides naming a forbidden method)
/// are refused with `fetch_invalid_request` and nothing is sent; other headers still go out.
#[tokio::test]
async fn forbidden_request_headers_are_refused_and_nothing_is_sent() {
    let idp = Idp::start();
    let rs = RecordingServer::start().await;
    let m = signed_in(&idp, &[rs.origin.as_str()], |c| c).await;
    let token = m.get_token(P, A, Duration::ZERO).await.unwrap();
    let forbidden = [
        ("Host", "other-tenant.example"),
        ("host", "other-tenant.example"),
        ("HOST", "127.0.0.1"),
        ("Connection", "close"),
        ("Content-Length", "0"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic dTpw"),
        ("proxy-connection", "keep-alive"),
        ("Sec-Fetch-Site", "same-origin"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Cookie", "session=1"),
        ("Cookie2", "$Version=1"),
        ("Set-Cookie", "a=b"),
        ("Expect", "100-continue"),
        ("Keep-Alive", "timeout=5"),
        ("Via", "1.1 elsewhere"),
        ("Trailer", "x-checksum"),
        ("Date", "Tue, 15 Nov 1994 08:12:31 GMT"),
        ("Origin", "https://evil.example"),
        ("Referer", "https://evil.example/"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-a"),
        ("Access-Control-Request-Private-Network", "true"),
        ("DNT", "1"),
        ("Accept-Charset", "utf-8"),
        ("Accept-Encoding", "gzip"),
        ("X-HTTP-Method-Override", "TRACE"),
        ("X-HTTP-Method", "GET, connect"),
        ("X-Method-Override", " Track "),
        ("x-http-method-override", "\"TRACE\""),
    ];
    let cases = forbidden.iter().map(|(name, value)| {
        let mut req = FetchRequest::get(rs.url("/api"));
        req.headers.push((name.to_string(), value.to_string()));
        (format!("{name}: {value}"), req)
    });
    let wrong = refusals(&m, cases, "fetch_invalid_request", token.secret()).await;
    let sent: Vec<String> = rs.requests().iter().map(|s| s.method.clone()).collect();
    assert!(
        wrong.is_empty() && sent.is_empty(),
        "not refused:\n{}\n{} request(s) reached the server",
        wrong.join("\n"),
        sent.len()
    );
    // The message names the header.
    let mut req = FetchRequest::get(rs.url("/api"));
    req.headers
        .push(("Host".into(), "other-tenant.example".into()));
    let e = m.fetch(P, A, req).await.unwrap_err();
    assert!(e.to_string().to_ascii_lowercase().contains("host"), "{e}");

    // Headers page script may set still go out (a method override naming an allowed method too).
    for (name, value) in [
        ("Accept", "application/json"),
        ("Content-Type", "text/plain"),
        ("X-Request-Id", "42"),
        ("X-HTTP-Method-Override", "PATCH"),
        ("Proxy", "not a Proxy-* header"),
    ] {
        let mut req = FetchRequest::get(rs.url("/api"));
        req.headers.push((name.to_string(), value.to_string()));
        let r = m.fetch(P, A, req).await.unwrap();
        assert_eq!(r.status, 200, "{name}");
    }
    assert_eq!(rs.requests().len(), 5);
    assert_eq!(rs.requests()[1].content_type.as_deref(), Some("text/plain"));
}

/// Issue #8, item 8: `TRACE`, `TRACK` and `CONNECT`, in any case, are refused with
/// `fetch_invalid_request` and nothing is sent (a TRACE echo would hand the token to page
/// script); other methods still go out.
#[tokio::test]
async fn trace_track_and_connect_are_refused_and_nothing_is_sent() {
    let idp = Idp::start();
    let rs = RecordingServer::start().await;
    let m = signed_in(&idp, &[rs.origin.as_str()], |c| c).await;
    let token = m.get_token(P, A, Duration::ZERO).await.unwrap();
    let cases = [
        "TRACE", "trace", "Trace", "TRACK", "track", "CONNECT", "connect", "CoNnEcT",
    ]
    .map(|method| {
        let mut req = FetchRequest::get(rs.url("/echo"));
        req.method = method.into();
        (method.to_string(), req)
    });
    let wrong = refusals(&m, cases, "fetch_invalid_request", token.secret()).await;
    let sent: Vec<String> = rs.requests().iter().map(|s| s.method.clone()).collect();
    assert!(
        wrong.is_empty() && sent.is_empty(),
        "not refused:\n{}\nthe server saw {sent:?}",
        wrong.join("\n")
    );
    let mut req = FetchRequest::get(rs.url("/echo"));
    req.method = "trace".into();
    let e = m.fetch(P, A, req).await.unwrap_err();
    assert!(e.to_string().contains("TRACE"), "{e}");

    for method in ["PATCH", "options", "delete"] {
        let mut req = FetchRequest::get(rs.url("/echo"));
        req.method = method.into();
        assert_eq!(m.fetch(P, A, req).await.unwrap().status, 200, "{method}");
    }
    let sent: Vec<String> = rs.requests().iter().map(|s| s.method.clone()).collect();
    assert_eq!(sent, ["PATCH", "OPTIONS", "DELETE"]);
}

/// Issue #8, item 10: under a path-prefix entry (`…/v1/`), a path holding an encoded separator,
/// an encoded or double-encoded dot segment, a `;` or a backslash is refused (servers resolve
/// such paths differently: `/v1/..%2Fadmin` is `/admin` to many), nothing is sent. Plain `..`
/// and fully encoded dot segments are resolved by the WHATWG URL parser before the check. An
/// origin-only entry grants the whole origin, so its paths are not judged (GitLab's API needs
/// `%2F` in project paths).
#[tokio::test]
async fn a_path_prefix_entry_cannot_reach_other_paths_through_ambiguous_paths() {
    let idp = Idp::start();
    let rs = RecordingServer::start().await;
    let whole = RecordingServer::start().await;
    let prefix = rs.url("/v1/");
    let m = signed_in(&idp, &[prefix.as_str(), whole.origin.as_str()], |c| c).await;
    let token = m.get_token(P, A, Duration::ZERO).await.unwrap();

    let ambiguous = [
        "/v1/..%2Fadmin",
        "/v1/..%2fadmin",
        "/v1/%2e%2e%2fadmin",
        "/v1/x%2F..%2F..%2Fadmin",
        "/v1/..%5Cadmin",
        "/v1/..%5cadmin",
        "/v1/..;/admin",
        "/v1/me;jsessionid=0",
        "/v1/%2e%2e;/admin",
        "/v1/..%252Fadmin",
        "/v1/%252e%252e/admin",
        "/v1/..%255Cadmin",
    ];
    let cases = ambiguous.map(|p| (p.to_string(), FetchRequest::get(rs.url(p))));
    let wrong = refusals(&m, cases, "fetch_not_allowed", token.secret()).await;
    let sent: Vec<String> = rs.requests().iter().map(|s| s.path.clone()).collect();
    assert!(
        wrong.is_empty() && sent.is_empty(),
        "not refused:\n{}\nthe server saw {sent:?}",
        wrong.join("\n")
    );
    let e = m
        .fetch(P, A, FetchRequest::get(rs.url("/v1/..%2Fadmin")))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("%2F") && text.contains(prefix.as_str()),
        "the message names the reason and the entry: {text}"
    );

    // The URL parser resolves these to `/admin` first: not under `/v1/`, an ordinary miss.
    for p in [
        "/v1/../admin",
        "/v1/%2e%2e/admin",
        "/v1/.%2E/admin",
        "/v1/%2E./admin",
        "/v1\\..\\admin",
    ] {
        let url = rs.url(p);
        assert_eq!(url.path(), "/admin", "{p}");
        let e = m.fetch(P, A, FetchRequest::get(url)).await.unwrap_err();
        assert_eq!(e.code(), "fetch_not_allowed", "{p}");
        assert!(
            e.to_string()
                .contains("not on the provider's fetchAllowlist"),
            "{e}"
        );
    }
    assert!(rs.requests().is_empty());

    // Ordinary paths under the prefix go out, exactly as written.
    for p in ["/v1/me", "/v1/a/b.json", "/v1/x%20y"] {
        assert_eq!(
            m.fetch(P, A, FetchRequest::get(rs.url(p)))
                .await
                .unwrap()
                .status,
            200
        );
    }
    let sent: Vec<String> = rs.requests().iter().map(|s| s.path.clone()).collect();
    assert_eq!(sent, ["/v1/me", "/v1/a/b.json", "/v1/x%20y"]);

    // An origin-only entry: the whole origin may receive the token, encoded paths included.
    for p in ["/api/v4/projects/group%2Fproject", "/cars;color=red"] {
        assert_eq!(
            m.fetch(P, A, FetchRequest::get(whole.url(p)))
                .await
                .unwrap()
                .status,
            200,
            "{p}"
        );
    }
    let sent: Vec<String> = whole.requests().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        sent,
        ["/api/v4/projects/group%2Fproject", "/cars;color=red"]
    );
}
