//! Issue #8, item 9: the proxy environment variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`,
//! lower case too) never carry a loopback request or a token in cleartext. `fetch` goes direct
//! to loopback hosts (http or https); other hosts are reached over https only, through the
//! system proxy as a `CONNECT` tunnel (the proxy sees a host name and port, never a header);
//! plain http to them is refused before any connection.
//!
//! The variables are process-global, so this file holds one test and no other test shares its
//! process. The "proxy" is a recording one of our own on 127.0.0.1: it records the head of every
//! request it receives, tunnels `CONNECT`s to 127.0.0.1 (the test provider: the provider's own
//! requests may take the proxy) and answers everything else `502`, forwarding nothing.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Idp, RecordingServer};
use tauri_plugin_token_vault::{Allowlist, FetchRequest, SessionManager};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

const P: &str = "idp";
const A: &str = "default";

const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// The head of one request a [`RecordingProxy`] received.
#[derive(Clone)]
struct ProxySeen {
    /// `CONNECT 127.0.0.1:443 HTTP/1.1`, `GET http://… HTTP/1.1`.
    request_line: String,
    /// The whole head, header lines included (may hold a token: never printed).
    head: Vec<u8>,
}

/// A forward proxy on 127.0.0.1 that records each request head; see the file comment.
struct RecordingProxy {
    url: Url,
    seen: Arc<Mutex<Vec<ProxySeen>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let seen: Arc<Mutex<Vec<ProxySeen>>> = Default::default();
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match conn.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => break,
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let request_line = text.lines().next().unwrap_or("").to_string();
                    log.lock().unwrap().push(ProxySeen {
                        request_line: request_line.clone(),
                        head,
                    });
                    let mut words = request_line.split(' ');
                    let target = match (words.next(), words.next()) {
                        (Some("CONNECT"), Some(t)) if t.starts_with("127.0.0.1:") => t.to_string(),
                        _ => {
                            let _ = conn
                                .write_all(
                                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                                )
                                .await;
                            return;
                        }
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    if conn
                        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        .await
                        .is_ok()
                    {
                        let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
                    }
                });
            }
        });
        RecordingProxy {
            url,
            seen,
            _task: task,
        }
    }

    fn seen(&self) -> Vec<ProxySeen> {
        self.seen.lock().unwrap().clone()
    }
}

fn lines(seen: &[ProxySeen]) -> Vec<String> {
    seen.iter().map(|s| s.request_line.clone()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_never_carry_a_loopback_request_or_a_cleartext_token() {
    support::require_secret_service();
    for var in PROXY_VARS
        .iter()
        .chain(&["NO_PROXY", "no_proxy", "REQUEST_METHOD"])
    {
        std::env::remove_var(var);
    }
    let idp = Idp::start();
    let rs = RecordingServer::start().await;
    let proxy = RecordingProxy::start().await;
    let origin = idp.issuer.origin().ascii_serialization();
    let config = idp.provider().fetch_allowlist(
        Allowlist::parse([
            origin.as_str(),
            rs.origin.as_str(),
            "https://api.example.test/",
        ])
        .unwrap(),
    );
    let service = support::unique_service("fetch-proxy");

    // Sign in before the variables are set: the provider and the browser stand-in are child
    // processes and would inherit them.
    let first = SessionManager::new(&service, HashMap::from([(P.to_string(), config.clone())]));
    support::sign_in(&first, P, A).await;
    drop(first);

    for var in PROXY_VARS {
        std::env::set_var(var, proxy.url.as_str());
    }
    // A new manager: its HTTP clients are built now, with every proxy variable set; the session
    // comes from the credential store.
    let m = SessionManager::new(&service, HashMap::from([(P.to_string(), config)]));
    let token = m.get_token(P, A, Duration::ZERO).await.unwrap();
    let me = m.userinfo_endpoint(P).await.unwrap().unwrap();
    // Discovery and the refresh just made went to the loopback provider directly: a proxy
    // never sees a provider on this machine (with a plain-http loopback issuer it would see
    // the refresh token in cleartext).
    assert!(
        proxy.seen().is_empty(),
        "provider requests went through the proxy: {:?}",
        lines(&proxy.seen())
    );
    let before = proxy.seen().len();

    // Loopback, plain http: direct. The resource server gets the request and the token.
    let r = m
        .fetch(P, A, FetchRequest::get(rs.url("/api/me")))
        .await
        .unwrap();
    let via_proxy = lines(&proxy.seen()[before..]);
    assert_eq!(
        r.status, 200,
        "the loopback request went elsewhere; the proxy saw {via_proxy:?}"
    );
    let seen = rs.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {}", token.secret()).as_str())
    );
    // Loopback, https (the provider's UserInfo endpoint on 127.0.0.1, its own CA): direct too.
    let r = m.fetch(P, A, FetchRequest::get(me)).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let via_proxy = lines(&proxy.seen()[before..]);
    assert!(
        via_proxy.is_empty(),
        "loopback fetches went through the proxy: {via_proxy:?}"
    );

    // Another host over https: through the proxy, as a CONNECT tunnel only (this proxy refuses
    // to open it, so the request fails as a network error; no header ever reached the proxy).
    let e = m
        .fetch(
            P,
            A,
            FetchRequest::get(Url::parse("https://api.example.test/v1/me").unwrap()),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
    assert!(!e.to_string().contains(token.secret()));
    let new = proxy.seen()[before..].to_vec();
    assert_eq!(
        lines(&new),
        ["CONNECT api.example.test:443 HTTP/1.1"],
        "one CONNECT, nothing else"
    );
    let head = new[0].head.to_ascii_lowercase();
    assert!(
        !contains(&head, b"authorization") && !contains(&head, b"bearer"),
        "the CONNECT carried no credentials"
    );

    // Another host over plain http: refused before any connection, never proxied.
    for url in ["http://api.example.test/v1/me", "http://10.1.2.3/"] {
        let e = m
            .fetch(P, A, FetchRequest::get(Url::parse(url).unwrap()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "fetch_not_allowed", "{url}: {e}");
    }
    assert_eq!(
        proxy.seen().len(),
        before + 1,
        "nothing more reached the proxy"
    );

    // Nothing the proxy ever received, the provider's traffic included, holds the token.
    assert!(
        proxy
            .seen()
            .iter()
            .all(|s| !contains(&s.head, token.secret().as_bytes())),
        "a token reached the proxy in cleartext"
    );
    assert_eq!(rs.requests().len(), 1);
    m.logout(P, A).await.unwrap();
}
