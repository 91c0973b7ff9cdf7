//! The loopback redirect receiver (RFC 8252 §7.3): an HTTP listener on the loopback interface
//! (`127.0.0.1` by default; `localhost` binds `127.0.0.1` and, where the machine has it, `::1`
//! on the same port; or `[::1]`) that waits for the one authorization response of one sign-in.
//!
//! Any local process can connect to it, so it trusts nothing but the response that carries
//! this sign-in's `state`: every other request (wrong path or method, no or wrong `state`,
//! duplicated parameters, oversized or malformed requests, silent connections) gets an error
//! page and the listener keeps waiting. HTTP parsing, size limits and read timeouts are
//! hyper's; the decision about each request is `judge` (unit-tested as a table).
//!
//! It also serves the sign-in's one-time launch URL ([`LoopbackReceiver::launch_url`]):
//! `http://127.0.0.1:<port>/<random>`, which the browser is opened on instead of the
//! authorization URL. Its first GET is redirected to the authorization URL; after that the path
//! is unknown like any other. So the authorization parameters (`state`, `nonce`,
//! `code_challenge`, `redirect_uri`) never pass through the browser-launching crate's logs or
//! the browser's command line, and whoever reads the launch URL there finds it used.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    HeaderValue, CACHE_CONTROL, CONNECTION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    REFERRER_POLICY,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use url::Url;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::secret::AuthorizationCode;

pub use super::response::Expectation;
use super::response::{judge_query, Judged};

/// Largest request head accepted (hyper's buffer); a 100 KB query is refused.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// A connection must send its request head within this time.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection is closed after this time, whatever it does.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);
/// Connections served at once (a memory bound: each buffers at most `MAX_REQUEST_BYTES` for
/// at most `CONNECTION_DEADLINE`); more are closed on accept.
const MAX_CONNECTIONS: usize = 512;
/// Random bytes in a launch path (base64url: 43 characters).
const LAUNCH_RANDOM_BYTES: u32 = 32;
/// The browser's request waits this long for the sign-in's outcome (the code exchange and the
/// ID-token checks), then gets a neutral page; under `CONNECTION_DEADLINE`, which closes the
/// connection whatever it does.
const FINISH_WAIT: Duration = Duration::from_secs(8);
/// After the outcome is known, the receiver waits this long at most for the browser's
/// connection to write its page and close before it drops every connection.
const WRITE_WAIT: Duration = Duration::from_secs(1);

const SIGNED_IN: &str = "You are signed in. You can close this window and return to the app.";
const ALREADY_COMPLETE: &str = "This sign-in is already complete.";
const STILL_RUNNING: &str =
    "Sign-in is taking longer than expected. Return to the app to see how it ended.";

/// A bound loopback listener for one sign-in.
#[derive(Debug)]
pub struct LoopbackReceiver {
    listeners: Vec<TcpListener>,
    redirect_uri: Url,
    launch: Option<Launch>,
}

/// The path of a launch URL, `/<random>`: a one-time capability (its first GET learns the
/// authorization URL), so a secret like `State`: redacted `Debug`, no `Display`, wiped on drop,
/// compared in constant time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct LaunchPath(String);

impl LaunchPath {
    /// `/` and 32 bytes from the `oauth2` crate's CSPRNG (the one behind `state`), base64url.
    fn random() -> Self {
        let mut random = oauth2::CsrfToken::new_random_len(LAUNCH_RANDOM_BYTES).into_secret();
        let mut path = String::with_capacity(1 + random.len());
        path.push('/');
        path.push_str(&random);
        random.zeroize();
        Self(path)
    }

    /// Whether a request path is this one (constant time).
    fn matches(&self, path: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(path.as_bytes()).into()
    }
}

impl std::fmt::Debug for LaunchPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LaunchPath([redacted])")
    }
}

/// The armed launch: its path and where its one GET is sent (the authorization URL).
struct Launch {
    path: LaunchPath,
    location: HeaderValue,
}

impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Launch { path: [redacted], location: [redacted] }")
    }
}

/// What to do with one request.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Not the authorization response: answer with an error page and keep waiting.
    Ignore(StatusCode, &'static str),
    /// The GET of the unused launch path: redirect to the authorization URL, forget the path,
    /// keep waiting.
    Launch,
    /// The authorization response: the sign-in ends with this result.
    Complete(Result<AuthorizationCode>),
}

impl LoopbackReceiver {
    /// Binds `127.0.0.1:<port>` (0 = ephemeral) and serves `path` (e.g. `/callback`).
    #[cfg(test)]
    pub async fn bind(port: u16, path: &str) -> Result<Self> {
        Self::bind_host(
            "127.0.0.1",
            &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
            port,
            path,
        )
        .await
    }

    /// Binds the loopback addresses `addrs` on `port` (0 = ephemeral, then the port the first
    /// one got) and names them `host` in the redirect URI (`127.0.0.1`, `localhost`, `[::1]`).
    /// The first address must bind; the others are best effort (a machine without IPv6 still
    /// serves `localhost` on `127.0.0.1`). Only loopback addresses are accepted.
    pub async fn bind_host(host: &str, addrs: &[IpAddr], port: u16, path: &str) -> Result<Self> {
        let Some((first, others)) = addrs.split_first() else {
            return Err(Error::RedirectListenerFailed("no address to bind".into()));
        };
        if let Some(a) = addrs.iter().find(|a| !a.is_loopback()) {
            return Err(Error::RedirectListenerFailed(format!(
                "{a} is not a loopback address"
            )));
        }
        let bind = |addr: IpAddr, port: u16| async move {
            let at = SocketAddr::new(addr, port);
            TcpListener::bind(at)
                .await
                .map_err(|e| Error::RedirectListenerFailed(format!("bind {at}: {e}")))
        };
        let listener = bind(*first, port).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::RedirectListenerFailed(e.to_string()))?
            .port();
        let mut listeners = vec![listener];
        for addr in others {
            match bind(*addr, port).await {
                Ok(l) => listeners.push(l),
                Err(e) => log::debug!("token-vault: loopback listener: {e} (skipped)"),
            }
        }
        let redirect_uri = Url::parse(&format!("http://{host}:{port}{path}"))
            .map_err(|e| Error::RedirectListenerFailed(format!("redirect path `{path}`: {e}")))?;
        Ok(Self {
            listeners,
            redirect_uri,
            launch: None,
        })
    }

    /// The addresses being listened on.
    #[cfg(test)]
    pub(crate) fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// The redirect URI to send in the authorization request.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Arms the one-time launch URL for `authorization_url` and returns it:
    /// `http://<host>:<port>/<random>` (32 random bytes, base64url). Open the browser on it,
    /// not on the authorization URL. The first GET of exactly that path (no query) is answered
    /// `302 Found` to `authorization_url` (`no-store`, `no-referrer`, connection closed); from
    /// then on the path answers like any unknown path. Neither request ends the sign-in. Calling
    /// this again replaces the previous launch URL. The returned URL is a secret until used:
    /// never log it.
    pub fn launch_url(&mut self, authorization_url: &Url) -> Result<Url> {
        let mut location = HeaderValue::from_str(authorization_url.as_str()).map_err(|_| {
            Error::RedirectListenerFailed("the authorization URL is not a valid Location".into())
        })?;
        location.set_sensitive(true);
        let path = LaunchPath::random();
        let mut url = self.redirect_uri.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.set_path(&path.0);
        self.launch = Some(Launch { path, location });
        Ok(url)
    }

    /// Serves requests until the authorization response arrives, then closes the listener.
    /// Cancel by dropping the future. The browser is told "signed in" as soon as the response
    /// is valid: the sign-in itself uses [`LoopbackReceiver::receive_then`].
    #[cfg(test)]
    pub async fn receive(self, expect: Expectation) -> Result<AuthorizationCode> {
        self.receive_then(expect, |code| async move { Ok(code) })
            .await
    }

    /// Serves requests until the authorization response arrives, runs `finish` on its code (the
    /// code exchange and ID-token checks) while the browser's request waits, answers the browser
    /// with the real outcome, then closes the listener and returns `finish`'s result.
    ///
    /// The browser's page says "signed in" when `finish` succeeds and names the error's stable
    /// code when it fails (never its message, which can hold provider text); it is answered
    /// anyway, with a neutral page, when `finish` takes longer than `FINISH_WAIT`. An
    /// authorization response that is itself an error (`access_denied`, a wrong `iss`…) ends
    /// the sign-in without calling `finish`. Other requests keep being served (and told the
    /// sign-in is complete) meanwhile. Returns once the browser's connection was answered and
    /// closed, or after `WRITE_WAIT`. Cancel by dropping the future.
    pub async fn receive_then<T, F, Fut>(self, expect: Expectation, finish: F) -> Result<T>
    where
        F: FnOnce(AuthorizationCode) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let (tx, mut rx) = mpsc::channel::<Completion>(1);
        let mut server = Server {
            listeners: self.listeners,
            path: Arc::new(self.redirect_uri.path().to_string()),
            launch: Arc::new(Mutex::new(self.launch)),
            expect: Arc::new(expect),
            completed: Arc::new(AtomicBool::new(false)),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            tx,
            connections: JoinSet::new(),
        };
        // `server` holds a sender: `recv` never ends with `None`.
        let Some(completion) = server.serve_until(rx.recv()).await else {
            unreachable!("the server holds a sender");
        };
        let Completion {
            result,
            reply,
            written,
        } = completion;
        let outcome = match result {
            Ok(code) => {
                let outcome = server.serve_until(finish(code)).await;
                if let Some(reply) = reply {
                    let _ = reply.send(outcome.as_ref().map(|_| ()).map_err(Error::code));
                }
                outcome
            }
            Err(e) => Err(e),
        };
        // Let the browser's connection write its page and close (bounded), then close the
        // listener and every other connection.
        let _ = server
            .serve_until(tokio::time::timeout(WRITE_WAIT, written))
            .await;
        // Closed here, not whenever the runtime next polls the aborted tasks: a caller may
        // block its thread right after.
        let Server {
            listeners,
            mut connections,
            ..
        } = server;
        drop(listeners);
        connections.shutdown().await;
        outcome
    }
}

/// The authorization response, handed by the connection that received it to the receiver loop.
struct Completion {
    result: Result<AuthorizationCode>,
    /// Where the final outcome goes (`Err` holds the error's stable code); the browser's request
    /// waits on it. `None` when the response was an error: its page is already sent.
    reply: Option<oneshot::Sender<std::result::Result<(), &'static str>>>,
    /// Ends (the sender dropped) when that connection is done: its page written and closed.
    written: oneshot::Receiver<()>,
}

/// The receiver's running state: the listeners and their connections.
struct Server {
    listeners: Vec<TcpListener>,
    path: Arc<String>,
    /// The unused launch, taken (under the lock) by the one request it is served to.
    launch: Arc<Mutex<Option<Launch>>>,
    expect: Arc<Expectation>,
    completed: Arc<AtomicBool>,
    slots: Arc<Semaphore>,
    tx: mpsc::Sender<Completion>,
    connections: JoinSet<()>,
}

impl Server {
    /// Accepts and serves connections until `until` is ready.
    async fn serve_until<O>(&mut self, until: impl Future<Output = O>) -> O {
        tokio::pin!(until);
        loop {
            tokio::select! {
                biased;
                out = &mut until => return out,
                accepted = accept_any(&self.listeners) => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        Err(e) => {
                            log::warn!("token-vault: loopback accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                        continue; // too many open connections: drop this one
                    };
                    self.spawn(stream, permit);
                }
                Some(_) = self.connections.join_next(), if !self.connections.is_empty() => {}
            }
        }
    }

    /// Serves one connection (one request: no keep-alive) on a task of its own.
    fn spawn(&mut self, stream: tokio::net::TcpStream, permit: OwnedSemaphorePermit) {
        let (path, launch, expect, completed, tx) = (
            self.path.clone(),
            self.launch.clone(),
            self.expect.clone(),
            self.completed.clone(),
            self.tx.clone(),
        );
        self.connections.spawn(async move {
            let _permit = permit;
            // Dropped when this task ends: tells the receiver loop this connection is done.
            let (written_tx, written_rx) = oneshot::channel::<()>();
            let written_rx = Arc::new(Mutex::new(Some(written_rx)));
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let mut served = None;
                let verdict = if completed.load(Ordering::SeqCst) {
                    Verdict::Ignore(StatusCode::GONE, ALREADY_COMPLETE)
                } else {
                    let mut unused = launch.lock().expect("launch");
                    let verdict = judge(
                        req.method(),
                        req.uri(),
                        &path,
                        unused.as_ref().map(|l| &l.path),
                        &expect,
                    );
                    if matches!(verdict, Verdict::Launch) {
                        served = unused.take(); // served once, whoever asks next
                    }
                    verdict
                };
                let answer = match verdict {
                    Verdict::Ignore(status, why) => Answer::Now(page(status, false, why)),
                    Verdict::Launch => Answer::Now(match served {
                        Some(launch) => launch_redirect(launch.location),
                        None => page(StatusCode::NOT_FOUND, false, "Not found."),
                    }),
                    // The guard marks the sign-in complete: only its first response goes on.
                    Verdict::Complete(_) if completed.swap(true, Ordering::SeqCst) => {
                        Answer::Now(page(StatusCode::GONE, false, ALREADY_COMPLETE))
                    }
                    Verdict::Complete(result) => {
                        let written = written_rx.lock().expect("written").take();
                        let written = written.expect("one request per connection");
                        let (answer, reply) = match &result {
                            Ok(_) => {
                                let (reply, outcome) = oneshot::channel();
                                (Answer::Outcome(outcome), Some(reply))
                            }
                            Err(e) => (
                                Answer::Now(page(StatusCode::OK, false, failure_text(e))),
                                None,
                            ),
                        };
                        // The first and only completion (`completed` was just set): the channel
                        // has room.
                        let _ = tx.try_send(Completion {
                            result,
                            reply,
                            written,
                        });
                        answer
                    }
                };
                async move {
                    let response = match answer {
                        Answer::Now(response) => response,
                        Answer::Outcome(outcome) => {
                            match tokio::time::timeout(FINISH_WAIT, outcome).await {
                                Ok(Ok(Ok(()))) => page(StatusCode::OK, true, SIGNED_IN),
                                Ok(Ok(Err(code))) => failed_page(code),
                                _ => page(StatusCode::OK, false, STILL_RUNNING),
                            }
                        }
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(false)
                .max_buf_size(MAX_REQUEST_BYTES)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_DEADLINE, conn).await;
            drop(written_tx);
        });
    }
}

/// The next connection on any of `listeners`.
async fn accept_any(
    listeners: &[TcpListener],
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    std::future::poll_fn(|cx| {
        for l in listeners {
            if let std::task::Poll::Ready(accepted) = l.poll_accept(cx) {
                return std::task::Poll::Ready(accepted);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// How a connection answers its request.
enum Answer {
    /// At once.
    Now(Response<Full<Bytes>>),
    /// Once the sign-in's outcome arrives (`Err`: the error's stable code).
    Outcome(oneshot::Receiver<std::result::Result<(), &'static str>>),
}

/// Decides what one request to the loopback listener is. `path` is the redirect path;
/// `launch` the launch path while it is unused (`None` once served, or never armed).
pub(crate) fn judge(
    method: &Method,
    uri: &hyper::Uri,
    path: &str,
    launch: Option<&LaunchPath>,
    expect: &Expectation,
) -> Verdict {
    use Verdict::Ignore;
    if method != Method::GET {
        return Ignore(StatusCode::METHOD_NOT_ALLOWED, "Only GET is accepted here.");
    }
    // The launch path exactly: origin-form, no query (not even an empty one).
    if let Some(launch) = launch {
        if uri.authority().is_none() && uri.query().is_none() && launch.matches(uri.path()) {
            return Verdict::Launch;
        }
    }
    if uri.path() != path {
        return Ignore(StatusCode::NOT_FOUND, "Not found.");
    }
    match judge_query(uri.query().unwrap_or(""), expect) {
        Judged::NotThisSignIn(why) => Ignore(StatusCode::BAD_REQUEST, why),
        Judged::Complete(r) => Verdict::Complete(r),
    }
}

fn failure_text(e: &Error) -> &'static str {
    match e {
        Error::AuthorizationDenied { .. } => "Sign-in was denied. You can close this window.",
        Error::IssuerMismatch { .. } => {
            "Sign-in failed: the response came from an unexpected issuer."
        }
        _ => "Sign-in failed. You can close this window and try again from the app.",
    }
}

/// The page for a sign-in that failed after the authorization response (the code exchange or
/// the ID-token checks): it names the error's stable code (`token_exchange_failed`…), never its
/// message, which can carry provider-controlled text.
fn failed_page(code: &'static str) -> Response<Full<Bytes>> {
    // Codes are snake_case ASCII (a unit test of `Error::code`); anything else is not shown.
    let text = if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        format!("Sign-in failed ({code}). You can close this window and try again from the app.")
    } else {
        "Sign-in failed. You can close this window and try again from the app.".to_string()
    };
    page(StatusCode::OK, false, &text)
}

/// The launch answer: to the authorization URL, not cached, no referrer, connection closed.
fn launch_redirect(location: HeaderValue) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::FOUND;
    let h = r.headers_mut();
    h.insert(LOCATION, location);
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A small self-contained page: no scripts, no links, no referrer, not cached.
fn page(status: StatusCode, ok: bool, text: &str) -> Response<Full<Bytes>> {
    let title = if ok { "Signed in" } else { "Sign-in" };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;color:#222}}</style>\
         </head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::State;
    use crate::url_policy::issuer::IssuerPolicy;

    #[test]
    fn iss_is_compared_whenever_the_response_carries_it() {
        // (metadata issuer, advertised, iss in the response, accepted)
        let cases = [
            ("https://idp", true, Some("https://idp"), true),
            ("https://idp", true, None, false),
            ("https://idp", true, Some("https://evil"), false),
            // Not advertised: a missing iss is fine, a wrong one is a mix-up all the same.
            ("https://idp", false, None, true),
            ("https://idp", false, Some("https://idp"), true),
            ("https://idp", false, Some("https://evil"), false),
            // No issuer known (manual endpoints): nothing to compare.
            ("", false, Some("https://evil"), true),
        ];
        for (issuer, advertised, iss, accepted) in cases {
            let mut uri = "/callback?code=C&state=S1".to_string();
            if let Some(i) = iss {
                uri.push_str(&format!(
                    "&iss={}",
                    i.replace(':', "%3A").replace('/', "%2F")
                ));
            }
            let expect = Expectation::for_provider(State::new("S1"), issuer, advertised);
            let verdict = judge(
                &Method::GET,
                &uri.parse().unwrap(),
                "/callback",
                None,
                &expect,
            );
            let ok = matches!(verdict, Verdict::Complete(Ok(_)));
            assert_eq!(
                ok, accepted,
                "{issuer:?} advertised={advertised} iss={iss:?}"
            );
        }
    }

    /// RFC 9207 `iss` under an issuer template: the metadata issuer or the template with a
    /// plausible tenant id that passes `allowedTenants`; under aliases: the issuer or an exact
    /// alias. Everything else is `issuer_mismatch`, advertised or not.
    #[test]
    fn iss_under_a_template_or_aliases() {
        const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
        const A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
        const B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let tenant = |t: &str| TEMPLATE.replace("{tenantid}", t);
        let only_a = [A.to_string()];
        let entra = |allowed: &[String]| IssuerPolicy::new(TEMPLATE, Some(TEMPLATE), allowed, &[]);
        let google = IssuerPolicy::new(
            "https://accounts.google.com",
            None,
            &[],
            &["accounts.google.com".to_string()],
        )
        .unwrap();
        // (policy, iss in the response, accepted)
        let cases = [
            (entra(&[]).unwrap(), Some(tenant(A)), true),
            (entra(&[]).unwrap(), Some(tenant(B)), true),
            (entra(&only_a).unwrap(), Some(tenant(A)), true),
            (entra(&only_a).unwrap(), Some(tenant(B)), false),
            (entra(&[]).unwrap(), Some(TEMPLATE.to_string()), true),
            (entra(&[]).unwrap(), Some(tenant("a/b")), false),
            (entra(&[]).unwrap(), Some(tenant("..")), false),
            (entra(&[]).unwrap(), Some(tenant("%2F")), false),
            (entra(&[]).unwrap(), Some(tenant("")), false),
            (entra(&[]).unwrap(), Some(format!("{}/", tenant(A))), false),
            (
                entra(&[]).unwrap(),
                Some(format!("https://evil.example/{A}/v2.0")),
                false,
            ),
            (entra(&[]).unwrap(), None, false),
            (google.clone(), Some("accounts.google.com".into()), true),
            (
                google.clone(),
                Some("https://accounts.google.com".into()),
                true,
            ),
            (
                google.clone(),
                Some("https://accounts.google.com/".into()),
                true,
            ),
            (google.clone(), Some("Accounts.google.com".into()), false),
            (google.clone(), Some("accounts.google.com/".into()), false),
            (google.clone(), Some("evil.example".into()), false),
            (
                IssuerPolicy::exact("https://accounts.google.com"),
                Some("accounts.google.com".into()),
                false,
            ),
        ];
        for (policy, iss, accepted) in cases {
            let mut uri = "/callback?code=C&state=S1".to_string();
            if let Some(i) = &iss {
                uri.push_str("&iss=");
                uri.extend(url::form_urlencoded::byte_serialize(i.as_bytes()));
            }
            let expect = Expectation::for_policy(State::new("S1"), policy.clone(), true);
            let verdict = judge(
                &Method::GET,
                &uri.parse().unwrap(),
                "/callback",
                None,
                &expect,
            );
            match verdict {
                Verdict::Complete(Ok(_)) => assert!(accepted, "{policy:?} accepted {iss:?}"),
                Verdict::Complete(Err(e)) => {
                    assert!(!accepted, "{policy:?} refused {iss:?}: {e}");
                    assert_eq!(e.code(), "issuer_mismatch");
                }
                _ => panic!("{iss:?}: not judged as the response"),
            }
        }
    }

    fn expect(iss: Option<&str>) -> Expectation {
        Expectation {
            state: State::new("S1"),
            issuer: iss.map(IssuerPolicy::exact),
            issuer_required: iss.is_some(),
        }
    }

    /// A stand-in launch path: 44 characters like a real one.
    const LAUNCH: &str = "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn launch_path() -> LaunchPath {
        LaunchPath(LAUNCH.into())
    }

    fn judged(method: Method, uri: &str, launch: Option<&LaunchPath>, iss: Option<&str>) -> String {
        let uri: hyper::Uri = uri.parse().unwrap();
        match judge(&method, &uri, "/callback", launch, &expect(iss)) {
            Verdict::Ignore(s, _) => format!("ignore {}", s.as_u16()),
            Verdict::Launch => "launch".into(),
            Verdict::Complete(Ok(c)) => format!("code {}", c.secret()),
            Verdict::Complete(Err(e)) => format!("error {}", e.code()),
        }
    }

    /// The redirect path's verdicts, the same whether a launch is armed, used or absent.
    fn verdict(method: Method, uri: &str, iss: Option<&str>) -> String {
        let without = judged(method.clone(), uri, None, iss);
        let with = judged(method, uri, Some(&launch_path()), iss);
        assert_eq!(with, without, "{uri}: an armed launch changes nothing else");
        with
    }

    #[test]
    fn judges_each_kind_of_request() {
        let i = Some("https://idp");
        let cases: &[(Method, &str, Option<&str>, &str)] = &[
            (Method::GET, "/callback?code=C&state=S1", None, "code C"),
            (
                Method::GET,
                "/callback?code=C&state=S1&iss=https%3A%2F%2Fidp",
                i,
                "code C",
            ),
            (
                Method::POST,
                "/callback?code=C&state=S1",
                None,
                "ignore 405",
            ),
            (Method::GET, "/other?code=C&state=S1", None, "ignore 404"),
            (
                Method::GET,
                "/callback/?code=C&state=S1",
                None,
                "ignore 404",
            ),
            (Method::GET, "/callback?code=C", None, "ignore 400"),
            (Method::GET, "/callback?code=C&state=S2", None, "ignore 400"),
            (Method::GET, "/callback?code=C&state=s1", None, "ignore 400"),
            (Method::GET, "/callback?code=C&state=", None, "ignore 400"),
            (
                Method::GET,
                "/callback?error=access_denied&state=WRONG",
                None,
                "ignore 400",
            ),
            (
                Method::GET,
                "/callback?code=C&state=S1&state=S1",
                None,
                "ignore 400",
            ),
            (
                Method::GET,
                "/callback?code=C&code=D&state=S1",
                None,
                "ignore 400",
            ),
            (
                Method::GET,
                "/callback?error=access_denied&state=S1",
                None,
                "error authorization_denied",
            ),
            (
                Method::GET,
                "/callback?error=invalid_scope&state=S1",
                None,
                "error authorization_failed",
            ),
            (
                Method::GET,
                "/callback?state=S1",
                None,
                "error invalid_authorization_response",
            ),
            (
                Method::GET,
                "/callback?code=&state=S1",
                None,
                "error invalid_authorization_response",
            ),
            (
                Method::GET,
                "/callback?code=C&state=S1",
                i,
                "error issuer_mismatch",
            ),
            (
                Method::GET,
                "/callback?code=C&state=S1&iss=https%3A%2F%2Fevil",
                i,
                "error issuer_mismatch",
            ),
            (
                Method::GET,
                "/callback?error=access_denied&state=S1&iss=https%3A%2F%2Fidp",
                i,
                "error authorization_denied",
            ),
            (
                Method::GET,
                "/callback?code=C&state=S1&unknown=1&unknown=2",
                None,
                "code C",
            ),
        ];
        for (m, uri, iss, want) in cases {
            assert_eq!(&verdict(m.clone(), uri, *iss), want, "{m} {uri}");
        }
    }

    #[test]
    fn judges_the_launch_path() {
        let wrong = format!("/B{}", &LAUNCH[2..]);
        let prefix = &LAUNCH[..LAUNCH.len() - 1];
        let longer = format!("{LAUNCH}A");
        let query = format!("{LAUNCH}?x=1");
        let empty_query = format!("{LAUNCH}?");
        let slash = format!("{LAUNCH}/");
        let absolute = format!("http://127.0.0.1:1{LAUNCH}");
        let lower = LAUNCH.to_lowercase();
        let armed: &[(Method, &str, &str)] = &[
            (Method::GET, LAUNCH, "launch"),
            (Method::GET, &wrong, "ignore 404"),
            (Method::GET, prefix, "ignore 404"),
            (Method::GET, &longer, "ignore 404"),
            (Method::GET, &lower, "ignore 404"),
            (Method::GET, &query, "ignore 404"),
            (Method::GET, &empty_query, "ignore 404"),
            (Method::GET, &slash, "ignore 404"),
            (Method::GET, &absolute, "ignore 404"),
            (Method::HEAD, LAUNCH, "ignore 405"),
            (Method::POST, LAUNCH, "ignore 405"),
            (Method::PUT, LAUNCH, "ignore 405"),
            (Method::OPTIONS, LAUNCH, "ignore 405"),
            (Method::GET, "/", "ignore 404"),
            (Method::GET, "/callback?code=C&state=S1", "code C"),
        ];
        for (m, uri, want) in armed {
            assert_eq!(
                &judged(m.clone(), uri, Some(&launch_path()), None),
                want,
                "armed: {m} {uri}"
            );
        }
        // Used (or never armed): the launch path is an unknown path like any other.
        for (m, want) in [(Method::GET, "ignore 404"), (Method::HEAD, "ignore 405")] {
            assert_eq!(judged(m.clone(), LAUNCH, None, None), want, "used: {m}");
            assert_eq!(
                judged(m.clone(), LAUNCH, None, None),
                judged(m.clone(), &wrong, None, None),
                "used: {m} reads like an unknown path"
            );
        }
    }

    #[test]
    fn launch_paths_are_random_base64url_and_redacted() {
        let a = LaunchPath::random();
        let b = LaunchPath::random();
        for p in [&a, &b] {
            let random = p.0.strip_prefix('/').expect("a path");
            assert_eq!(random.len(), 43, "32 bytes in base64url without padding");
            assert!(random
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert_eq!(format!("{p:?}"), "LaunchPath([redacted])");
        }
        assert!(!a.matches(&b.0), "two launch paths differ");
        assert!(a.matches(&a.0.clone()));
    }

    /// Sends one raw request and reads until the receiver closes the connection.
    async fn raw(port: u16, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(4), s.read_to_end(&mut out))
            .await
            .expect("the receiver closes the connection after answering")
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    }

    /// The response without its `date` header, which is the only thing that varies.
    fn dateless(response: &str) -> String {
        response
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Each redirect host binds the loopback interface only, on one port for all its
    /// addresses, names itself in the redirect URI, serves the sign-in on every address, and
    /// closes every listener when the sign-in ends.
    #[tokio::test]
    async fn each_redirect_host_binds_loopback_only_and_serves_every_address() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // What `RedirectHost` hands over (its mapping is tested in `config`).
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        for (name, wanted) in [
            ("127.0.0.1", vec![v4]),
            ("localhost", vec![v4, v6]),
            ("[::1]", vec![v6]),
        ] {
            let receiver = LoopbackReceiver::bind_host(name, &wanted, 0, "/callback")
                .await
                .unwrap();
            let addrs = receiver.local_addrs();
            let port = receiver.redirect_uri().port().unwrap();
            assert_eq!(
                receiver.redirect_uri().as_str(),
                format!("http://{name}:{port}/callback")
            );
            assert!(addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == port));
            let ips: Vec<IpAddr> = addrs.iter().map(|a| a.ip()).collect();
            // This machine has IPv6 loopback (the test bed checks it): every address binds.
            assert_eq!(ips, wanted, "{name}");
            // A request on each address reaches the same receiver.
            let state = State::new("s".repeat(43));
            let expect = Expectation::for_provider(state, "https://idp.test", false);
            let serve = tokio::spawn(receiver.receive(expect));
            for a in &addrs[1..] {
                let mut s = tokio::net::TcpStream::connect(a).await.unwrap();
                s.write_all(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut answer = Vec::new();
                s.read_to_end(&mut answer).await.unwrap();
                assert!(answer.starts_with(b"HTTP/1.1 404"), "{a}");
            }
            let mut s = tokio::net::TcpStream::connect(addrs[0]).await.unwrap();
            let target = format!(
                "GET /callback?code=c&state={} HTTP/1.1\r\nHost: x\r\n\r\n",
                "s".repeat(43)
            );
            s.write_all(target.as_bytes()).await.unwrap();
            let code = serve.await.unwrap().unwrap();
            assert_eq!(code.secret(), "c");
            for a in &addrs {
                assert!(
                    tokio::net::TcpStream::connect(a).await.is_err(),
                    "{a} is closed after the sign-in"
                );
            }
        }
        // Only loopback addresses, ever.
        let e = LoopbackReceiver::bind_host("example.com", &["0.0.0.0".parse().unwrap()], 0, "/c")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "redirect_listener_failed");
    }

    #[tokio::test]
    async fn the_launch_url_redirects_once_and_does_not_end_the_sign_in() {
        let mut receiver = LoopbackReceiver::bind(0, "/callback").await.unwrap();
        let port = receiver.redirect_uri().port().unwrap();
        let authorization =
            Url::parse("https://idp.example/authorize?state=S1&nonce=N1&code_challenge=C1")
                .unwrap();
        let launch = receiver.launch_url(&authorization).unwrap();
        assert_eq!(launch.scheme(), "http");
        assert_eq!(launch.host_str(), Some("127.0.0.1"));
        assert_eq!(launch.port(), Some(port));
        assert_eq!((launch.query(), launch.fragment()), (None, None));
        assert_eq!(launch.path().len(), 44);
        let debug = format!("{receiver:?}");
        assert!(!debug.contains(&launch.path()[1..]), "{debug}");
        assert!(!debug.contains("S1") && !debug.contains("N1"), "{debug}");
        let task = tokio::spawn(receiver.receive(expect(None)));

        let first = raw(port, &get(launch.path())).await;
        let head = first.to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 302 found\r\n"), "{first}");
        assert!(
            first.contains(&format!("\r\nlocation: {authorization}\r\n")),
            "{first}"
        );
        for header in [
            "cache-control: no-store",
            "referrer-policy: no-referrer",
            "connection: close",
        ] {
            assert!(head.contains(&format!("\r\n{header}\r\n")), "{first}");
        }
        // Once: the same request again reads exactly like an unknown path.
        let second = raw(port, &get(launch.path())).await;
        let unknown = raw(port, &get(&format!("/B{}", &launch.path()[2..]))).await;
        assert!(second.starts_with("HTTP/1.1 404 "), "{second}");
        assert_eq!(dateless(&second), dateless(&unknown));
        assert!(!task.is_finished(), "neither request ended the sign-in");

        let done = raw(port, &get("/callback?code=C&state=S1")).await;
        assert!(done.starts_with("HTTP/1.1 200 "), "{done}");
        let code = tokio::time::timeout(Duration::from_secs(4), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(code.secret(), "C");
    }

    /// The browser's request for the callback waits for `finish` (the code exchange and ID-token
    /// checks in a real sign-in) and its page tells `finish`'s outcome: "signed in", or the
    /// failure with the error's stable code and never its message.
    #[tokio::test]
    async fn the_callback_is_answered_once_finish_is_done_with_its_outcome() {
        let provider_text = "invalid_client <script>alert(1)</script> PROVIDER-TEXT";
        let cases: [(Result<()>, &str); 2] = [
            (Ok(()), "You are signed in."),
            (
                Err(Error::TokenExchangeFailed(provider_text.into())),
                "Sign-in failed (token_exchange_failed). You can close this window and try again \
                 from the app.",
            ),
        ];
        for (outcome, text) in cases {
            let want_ok = outcome.is_ok();
            let receiver = LoopbackReceiver::bind(0, "/callback").await.unwrap();
            let port = receiver.redirect_uri().port().unwrap();
            let (got_code, code_seen) = oneshot::channel::<String>();
            let (release, released) = oneshot::channel::<()>();
            let task = tokio::spawn(receiver.receive_then(expect(None), move |code| async move {
                let _ = got_code.send(code.secret().to_string());
                released.await.expect("the test releases finish");
                outcome.map(|()| "finished")
            }));
            let mut browser =
                tokio::spawn(async move { raw(port, &get("/callback?code=C&state=S1")).await });
            // `finish` gets the code while the browser's request is open...
            let code = tokio::time::timeout(Duration::from_secs(4), code_seen)
                .await
                .expect("finish runs while the browser's request waits for its answer")
                .unwrap();
            assert_eq!(code, "C");
            // ...and that request is not answered before `finish` is done.
            assert!(
                tokio::time::timeout(Duration::from_millis(500), &mut browser)
                    .await
                    .is_err(),
                "the browser was answered before finish completed"
            );
            assert!(!task.is_finished());
            release.send(()).unwrap();
            let answer = tokio::time::timeout(Duration::from_secs(4), browser)
                .await
                .expect("answered once finish is done")
                .unwrap();
            let head = answer.to_ascii_lowercase();
            assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
            assert!(answer.contains(text), "{answer}");
            assert_eq!(answer.contains("You are signed in"), want_ok, "{answer}");
            assert!(!answer.contains("PROVIDER-TEXT"), "{answer}");
            assert!(!head.contains("<script"), "{answer}");
            assert!(
                head.contains(
                    "\r\ncontent-security-policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
                ),
                "{answer}"
            );
            let result = tokio::time::timeout(Duration::from_secs(4), task)
                .await
                .expect("the receiver returns once the page is sent")
                .unwrap();
            match result {
                Ok(v) => assert!(want_ok && v == "finished"),
                Err(e) => assert!(!want_ok && e.code() == "token_exchange_failed"),
            }
            assert!(
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_err(),
                "the listener is closed"
            );
        }
    }

    /// An authorization response that is an error ends the sign-in without `finish`, with its
    /// own page at once.
    #[tokio::test]
    async fn an_error_response_skips_finish_and_keeps_its_page() {
        let receiver = LoopbackReceiver::bind(0, "/callback").await.unwrap();
        let port = receiver.redirect_uri().port().unwrap();
        let task = tokio::spawn(receiver.receive_then(expect(None), |_| async {
            panic!("finish runs only on a code");
            #[allow(unreachable_code)]
            Ok(())
        }));
        let answer = raw(port, &get("/callback?error=access_denied&state=S1")).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.contains("Sign-in was denied."), "{answer}");
        let e = tokio::time::timeout(Duration::from_secs(4), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code(), "authorization_denied");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_requests_for_the_launch_url_get_one_redirect() {
        let mut receiver = LoopbackReceiver::bind(0, "/callback").await.unwrap();
        let port = receiver.redirect_uri().port().unwrap();
        let authorization = Url::parse("https://idp.example/authorize?state=S1").unwrap();
        let launch = receiver.launch_url(&authorization).unwrap();
        let task = tokio::spawn(receiver.receive(expect(None)));
        let mut racers = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let request = get(launch.path());
            racers.spawn(async move { raw(port, &request).await });
        }
        let mut statuses = Vec::new();
        while let Some(answer) = racers.join_next().await {
            statuses.push(answer.unwrap()[9..12].to_string());
        }
        statuses.sort();
        let mut want = vec!["404".to_string(); 15];
        want.insert(0, "302".to_string());
        assert_eq!(statuses, want, "one redirect, then unknown");
        assert!(!task.is_finished());
        task.abort();
    }
}
