//! Hostile local inputs fired at the loopback receiver during a real sign-in against the real
//! provider. Each one gets an error page (or is closed) and the listener keeps waiting; then the
//! real browser response arrives and the sign-in succeeds.
//!
//! The launch URL the browser is opened on (`http://127.0.0.1:<port>/<random>`, redirecting
//! once to the authorization URL) is attacked too: near misses and other methods neither get
//! the redirect nor use it up; once used, it answers like an unknown path.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::Idp;
use tauri_plugin_token_vault::testing::sign_in;
use tauri_plugin_token_vault::testing::OAuthClient;
use tauri_plugin_token_vault::{Browser, SystemBrowser};
use tokio_util::sync::CancellationToken;
use url::Url;

/// How long a connection may go without an answer or a close before it counts as hanging.
/// Shorter than the receiver's own 5 s header-read timer (`HEADER_READ_TIMEOUT` in
/// `src/redirect/loopback.rs`), so a connection the receiver neither answers nor closes shows
/// up here as a time-out instead of being closed, later, by that timer.
const HANG: Duration = Duration::from_secs(4);

/// How the peer ended a connection we read until its end.
enum End {
    /// End of stream, or a reset: the peer closed the connection.
    Closed,
    /// Nothing more arrived within the read timeout and the connection is still open.
    Hung,
}

/// Reads everything the peer sends until it closes the connection (EOF or reset) or the read
/// timeout passes with the connection still open.
fn read_until_end(s: &mut TcpStream, into: &mut Vec<u8>) -> End {
    use std::io::ErrorKind as K;
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == K::Interrupted => {}
            Err(e) if matches!(e.kind(), K::WouldBlock | K::TimedOut) => return End::Hung,
            Err(e) if matches!(e.kind(), K::ConnectionReset | K::ConnectionAborted) => {
                return End::Closed
            }
            Err(e) => panic!("unexpected read error: {e}"),
        }
    }
}

/// Sends raw bytes on a fresh connection and says how it ended: the response's status code
/// (the connection was then closed), `closed` (closed without a response), or a description
/// of a hang, which no case accepts: an answer must be followed by a close, and "closed" means
/// closed, not "still open when we stopped waiting".
fn raw(port: u16, bytes: &[u8]) -> String {
    exchange(port, bytes).0
}

/// [`raw`], with the bytes received.
fn exchange(port: u16, bytes: &[u8]) -> (String, Vec<u8>) {
    use std::io::ErrorKind as K;
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("listener accepts");
    s.set_read_timeout(Some(HANG)).unwrap();
    s.set_write_timeout(Some(HANG)).unwrap();
    if let Err(e) = s.write_all(bytes) {
        // A peer that resets while we are still writing has closed the connection; one that
        // stops reading without closing leaves us blocked: that is a hang.
        let outcome = match e.kind() {
            K::WouldBlock | K::TimedOut => format!("hung: not reading the request for {HANG:?}"),
            _ => "closed".into(),
        };
        return (outcome, Vec::new());
    }
    if bytes.is_empty() {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut response = Vec::new();
    let end = read_until_end(&mut s, &mut response);
    let text = String::from_utf8_lossy(&response);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3));
    let outcome = match (status, end) {
        (Some(code), End::Closed) => code.to_string(),
        (Some(code), End::Hung) => format!("{code}, then hung: not closed within {HANG:?}"),
        (None, End::Closed) if response.is_empty() => "closed".into(),
        (None, End::Closed) => format!("closed after {} non-HTTP bytes", response.len()),
        (None, End::Hung) => format!(
            "hung: no response and not closed within {HANG:?} ({} bytes received)",
            response.len()
        ),
    };
    (outcome, response)
}

/// The `Location` of an HTTP response (the launch URL's redirect).
fn location(response: &[u8]) -> Option<Url> {
    let text = String::from_utf8_lossy(response);
    let head = text.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
        .and_then(|(_, value)| Url::parse(value.trim()).ok())
}

/// How long after the sign-in completed a held-open connection may stay open before it counts
/// as left hanging (see the check at the end of the test).
const CLOSED_AFTER_COMPLETION: Duration = Duration::from_secs(2);

fn get(path_and_query: &str) -> Vec<u8> {
    format!("GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

/// `(input name, what came back, acceptable outcomes)`.
type Outcome = (String, String, &'static [&'static str]);

/// `(name, request bytes, acceptable outcomes)`.
type Case = (&'static str, Vec<u8>, &'static [&'static str]);

/// The name of the launch case that uses the launch URL (the browser's own request).
const LAUNCH_USE: &str = "launch path: the GET";

/// Requests for the launch URL's path `launch` (`/<random>`) on `port`, in order: near misses
/// and other methods, none of which may use the launch up; then its one GET, answered `302`
/// (and the connection closed); then the same GET again, answered like an unknown path.
fn launch_cases(launch: &str, port: u16) -> Vec<Case> {
    let wrong = format!("/{}", "A".repeat(launch.len().saturating_sub(1)));
    let short = &launch[..launch.len().saturating_sub(1)];
    vec![
        (
            "launch path: wrong random, same length",
            get(&wrong),
            &["404"],
        ),
        ("launch path: one character short", get(short), &["404"]),
        (
            "launch path: query appended",
            get(&format!("{launch}?x=1")),
            &["404"],
        ),
        (
            "launch path: empty query",
            get(&format!("{launch}?")),
            &["404"],
        ),
        (
            "launch path: absolute form",
            get(&format!("http://127.0.0.1:{port}{launch}")),
            &["404"],
        ),
        (
            "launch path: HEAD",
            format!("HEAD {launch} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes(),
            &["405"],
        ),
        (
            "launch path: POST",
            format!("POST {launch} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nabcd")
                .into_bytes(),
            &["405"],
        ),
        (LAUNCH_USE, get(launch), &["302"]),
        ("launch path: second GET", get(launch), &["404"]),
    ]
}

/// `(name, request bytes, acceptable outcomes)`; `STATE` is replaced by the real state.
fn hostile_cases() -> Vec<Case> {
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let big_header = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let long_query = format!("/callback?state=x&pad={}", "p".repeat(100 * 1024));
    vec![
        ("wrong path", get("/other?code=C&state=STATE"), &["404"]),
        ("percent-encoded path", get("/%63allback?code=C&state=STATE"), &["404"]),
        ("trailing slash path", get("/callback/?code=C&state=STATE"), &["404"]),
        ("missing state", get("/callback?code=C"), &["400"]),
        ("wrong state", get("/callback?code=C&state=forged"), &["400"]),
        ("empty state", get("/callback?code=C&state="), &["400"]),
        ("truncated state", get("/callback?code=C&state=TRUNC"), &["400"]),
        ("state in other case", get("/callback?code=C&state=UPPER"), &["400"]),
        ("error with wrong state", get("/callback?error=access_denied&state=forged"), &["400"]),
        ("duplicate state", get("/callback?code=C&state=STATE&state=STATE"), &["400"]),
        ("duplicate code", get("/callback?code=C&code=D&state=STATE"), &["400"]),
        ("POST with the right state", b"POST /callback?code=C&state=STATE HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nabcd".to_vec(), &["405"]),
        ("HEAD with the right state", b"HEAD /callback?code=C&state=STATE HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(), &["405"]),
        ("absolute-form target", get("http://evil.example/callback?code=C&state=forged"), &["400"]),
        ("HTTP/1.0 without Host", b"GET /callback?code=C&state=forged HTTP/1.0\r\n\r\n".to_vec(), &["400"]),
        ("100 KB query", get(&long_query), &["431", "414", "400", "closed"]),
        ("200 headers", format!("GET /callback?state=x HTTP/1.1\r\nHost: a\r\n{many_headers}\r\n").into_bytes(), &["431", "400", "closed"]),
        ("20 KB header", format!("GET /callback?state=x HTTP/1.1\r\nHost: a\r\n{big_header}\r\n").into_bytes(), &["431", "400", "closed"]),
        ("non-HTTP bytes", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n".to_vec(), &["400", "closed"]),
        ("pipelined second request", [get("/callback?code=C&state=forged"), get("/callback?code=C&state=STATE")].concat(), &["400"]),
        ("connect and close", Vec::new(), &["closed"]),
    ]
}

#[tokio::test]
async fn hostile_loopback_inputs_do_not_abort_or_hijack_a_real_sign_in() {
    let idp = Idp::start();
    let config = idp
        .provider()
        // Outside the ephemeral range, so "refused after completion" can only mean "closed".
        .redirect_port(support::free_fixed_port())
        // Bounds the wait when the launch URL does not lead to the provider (a failed case).
        .login_timeout_secs(60);
    let client = OAuthClient::discover(config).await.unwrap();
    let results: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let port_seen: Arc<Mutex<Option<u16>>> = Arc::default();
    let silent: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let attacker: Arc<Mutex<Option<std::thread::JoinHandle<()>>>> = Arc::default();

    let (results_w, port_w, silent_w, attacker_w) = (
        results.clone(),
        port_seen.clone(),
        silent.clone(),
        attacker.clone(),
    );
    // The browser step is handed the launch URL, on the receiver's port.
    let browser = move |url: &Url| {
        let port = url.port().unwrap();
        *port_w.lock().unwrap() = Some(port);
        let (results, silent, launch) = (results_w.clone(), silent_w.clone(), url.clone());
        // The listener serves only while sign_in awaits it, so attack from another thread.
        let handle = std::thread::spawn(move || {
            // Connections that never finish a request, held open for the whole sign-in.
            let mut held = silent.lock().unwrap();
            held.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
            let mut partial = TcpStream::connect(("127.0.0.1", port)).unwrap();
            partial.write_all(b"GET /callback?state=").unwrap();
            held.push(partial);
            for _ in 0..100 {
                held.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
            }
            drop(held);
            // The launch path, around its one use by the browser (which here is this thread).
            let mut authorization = None;
            for (name, bytes, want) in launch_cases(launch.path(), port) {
                let (got, response) = exchange(port, &bytes);
                if name == LAUNCH_USE {
                    authorization = location(&response);
                }
                results.lock().unwrap().push((name.to_string(), got, want));
            }
            // Without the redirect (a failure reported below), the cases still run, against a
            // state that is not this sign-in's; the sign-in then times out.
            let q: BTreeMap<String, String> = authorization
                .as_ref()
                .map(|u| u.query_pairs().into_owned().collect())
                .unwrap_or_default();
            let state = q
                .get("state")
                .cloned()
                .unwrap_or_else(|| "no-authorization-url".into());
            if authorization.is_some() {
                let redirect = Url::parse(&q["redirect_uri"]).unwrap();
                assert_eq!(
                    redirect.port(),
                    Some(port),
                    "the launch URL is the receiver's"
                );
            }
            for (name, bytes, want) in hostile_cases() {
                let text = String::from_utf8_lossy(&bytes)
                    .replace("STATE", &state)
                    .replace("TRUNC", &state[..state.len() - 1])
                    .replace("UPPER", &state.to_uppercase());
                let bytes = if text.contains("garbage") {
                    bytes
                } else {
                    text.into_bytes()
                };
                let got = raw(port, &bytes);
                results.lock().unwrap().push((name.to_string(), got, want));
            }
            // Only now does the real browser follow the URL and complete the sign-in.
            if let Some(url) = authorization {
                SystemBrowser.open(&url).unwrap();
            }
        });
        *attacker_w.lock().unwrap() = Some(handle);
        Ok(())
    };

    let extra = BTreeMap::new();
    // Checked after the cases, so a case gone wrong is reported as such.
    let outcome = sign_in(&client, &browser, &extra, CancellationToken::new()).await;
    let handle = attacker
        .lock()
        .unwrap()
        .take()
        .expect("the browser step ran");
    handle
        .join()
        .expect("the attacker thread finished without panicking");

    let results = std::mem::take(&mut *results.lock().unwrap());
    for (name, got, _) in results.iter() {
        eprintln!("{name:28} -> {got}");
    }
    // Every case ran, in order: none was skipped by an early panic or a lost result.
    let names: Vec<&str> = results.iter().map(|(n, _, _)| n.as_str()).collect();
    let expected: Vec<&str> = launch_cases("/x", 1)
        .iter()
        .chain(&hostile_cases())
        .map(|(n, _, _)| *n)
        .collect();
    assert_eq!(names, expected);
    assert_eq!(
        results.len(),
        30,
        "9 requests on the launch path, then the 21 hostile requests the README counts"
    );
    let wrong: Vec<String> = results
        .iter()
        .filter(|(_, got, want)| !want.contains(&got.as_str()))
        .map(|(name, got, want)| format!("{name}: got {got}, want one of {want:?}"))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    let signed_in = outcome.expect("the real sign-in succeeds after the hostile inputs");
    assert_eq!(signed_in.subject(), Some("alice"));
    let port = port_seen.lock().unwrap().unwrap();

    // The held-open connections were closed by the receiver when the sign-in completed: each
    // reads as closed (EOF or reset) with nothing sent, within a short window. The receiver's
    // own 5 s header-read timer would close them as well, 5 s after they were opened (they
    // were opened about a second before the sign-in completed), so the window ends before
    // that: a connection still open now is one the completed sign-in left hanging.
    let silent = std::mem::take(&mut *silent.lock().unwrap());
    assert_eq!(silent.len(), 102, "two held connections and 100 idle ones");
    for (i, mut s) in silent.into_iter().enumerate() {
        s.set_read_timeout(Some(CLOSED_AFTER_COMPLETION)).unwrap();
        let mut got = Vec::new();
        match read_until_end(&mut s, &mut got) {
            End::Closed => assert!(
                got.is_empty(),
                "held connection {i} was answered ({} bytes) instead of closed",
                got.len()
            ),
            End::Hung => panic!(
                "held connection {i} still open {CLOSED_AFTER_COMPLETION:?} after the sign-in completed"
            ),
        }
    }
    // Requests after completion: nobody is listening any more.
    for _ in 0..3 {
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the listener closes after completion"
        );
    }
    // Exactly one code exchange: none of the hostile requests reached the token endpoint.
    assert_eq!(idp.stats().await["token"]["authorization_code"], 1);
}
