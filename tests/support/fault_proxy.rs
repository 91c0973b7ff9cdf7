//! A small fault-injecting TLS reverse proxy for the test provider (loopback only).
//!
//! It listens on `127.0.0.1`, terminates TLS with the provider's own certificate and key (the
//! certificate is for IP 127.0.0.1, so any port serves), and forwards each HTTP/1.1 request to
//! the real provider over TLS. The provider is started with `IDP_ISSUER` = [`FaultProxy::origin`],
//! so discovery, every endpoint and the ID tokens' `iss` name the proxy, and the app under test
//! only ever talks to it.
//!
//! Faults are set per request path (`/token`, `/jwks`…) or for every path (`*`), at runtime,
//! for good ([`FaultProxy::set`]) or for the next request only ([`FaultProxy::once`]). The
//! provider's test endpoints (`/__test/…`) and introspection (`/token/introspection`) are the
//! tests' own tools: `*` leaves them alone. [`FaultProxy::down`] closes the listening socket (a
//! refused connection) and every open connection.
//!
//! A [`Rewrite`] hook ([`FaultProxy::rewrite`]) may change every forwarded request before the
//! provider sees it, answer it in the provider's place, and change the provider's answer: the
//! provider-profile suite (`tests/support/profile_proxy.rs`) reshapes the provider with it. The
//! test tools are left alone by it too.
//!
//! The proxy runs on a runtime of its own, so a test may block (wait for a child process)
//! without stalling it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Notify};
use url::Url;

/// What the proxy does with a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forward it and pass the answer back.
    Pass,
    /// Answer in the provider's place (the provider never sees the request): 5xx, a malformed
    /// body, HTTP 200 with an `error` body…
    Answer { status: u16, body: String },
    /// Hold the request this long, then forward it (a provider slower than the client's timeout).
    Delay(Duration),
    /// Close the connection without forwarding or answering.
    Close,
    /// Forward it (the provider processes it) and close the connection instead of answering:
    /// the answer is lost.
    DropAnswer,
    /// Forward it, report [`Event::Held`], and keep the answer until [`FaultProxy::release`].
    Hold,
    /// Forward it, answer, and report [`Event::Written`] once the whole answer is flushed to
    /// the client's socket.
    Report,
}

impl Fault {
    /// A status with a JSON error body, answered by the proxy.
    pub fn status(status: u16, error: &str) -> Self {
        Fault::Answer {
            status,
            body: serde_json::json!({ "error": error }).to_string(),
        }
    }

    /// HTTP 200 with a body that is not JSON (cut off mid-object).
    pub fn malformed_json() -> Self {
        Fault::Answer {
            status: 200,
            body: r#"{"access_token":"cut-off-here"#.into(),
        }
    }
}

/// What the proxy reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A [`Fault::Hold`] answer for this path arrived from the provider and is held.
    Held(String),
    /// A [`Fault::Report`] answer for this path is flushed to the client's socket.
    Written(String),
}

struct Rule {
    fault: Fault,
    once: bool,
}

/// A request on its way to the provider, as a [`Rewrite`] sees (and may change) it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The path the client asked for, before any rewrite.
    pub received_path: String,
    pub method: hyper::Method,
    /// The path and query forwarded to the provider.
    pub target: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Exchange {
    /// A request header as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer, from the provider or in its place, as a [`Rewrite`] sees (and may change) it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// An answer with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        let mut headers = hyper::HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        Reply {
            status,
            headers,
            body: body.to_string().into_bytes(),
        }
    }
}

/// Reshapes forwarded traffic (the test tools, `/__test/…` and introspection, are exempt).
pub trait Rewrite: Send + Sync + 'static {
    /// Before forwarding: change the request, or answer it here (the provider never sees it).
    fn request(&self, _request: &mut Exchange) -> Option<Reply> {
        None
    }
    /// After: change the provider's answer to `request` (as forwarded).
    fn response(&self, _request: &Exchange, _reply: &mut Reply) {}
}

/// State shared by the control handle and the proxy's tasks.
struct Shared {
    rules: Mutex<HashMap<String, Rule>>,
    /// Requests received and forwarded, by path.
    seen: Mutex<HashMap<String, usize>>,
    forwarded: Mutex<HashMap<String, usize>>,
    events: mpsc::UnboundedSender<Event>,
    release: Notify,
    /// The open connections (aborted by `down`).
    connections: Mutex<Vec<tokio::task::AbortHandle>>,
    rewrite: Mutex<Option<Arc<dyn Rewrite>>>,
}

impl Shared {
    /// The fault for `path` (a one-shot rule is used up here).
    fn fault_for(&self, path: &str) -> Fault {
        let tooling = is_tooling(path);
        let mut rules = self.rules.lock().unwrap();
        let key = if rules.contains_key(path) {
            path
        } else if !tooling && rules.contains_key("*") {
            "*"
        } else {
            return Fault::Pass;
        };
        let fault = rules[key].fault.clone();
        if rules[key].once {
            rules.remove(key);
        }
        fault
    }

    fn count(map: &Mutex<HashMap<String, usize>>, path: &str) {
        *map.lock().unwrap().entry(path.to_string()).or_default() += 1;
    }
}

/// The provider's test endpoints and introspection: the tests' own tools.
fn is_tooling(path: &str) -> bool {
    path.starts_with("/__test/") || path == "/token/introspection"
}

/// The proxy. Dropping it stops it.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Event>>,
    runtime: Option<tokio::runtime::Runtime>,
    /// Serving parameters, set by `serve` (needed again by `up`).
    serving: Mutex<Option<Serving>>,
    accept: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Clone)]
struct Serving {
    tls: tokio_rustls::TlsAcceptor,
    upstream: Url,
    client: oauth2::reqwest::Client,
}

impl FaultProxy {
    /// Picks the proxy's port (a free one on 127.0.0.1). Nothing is served before [`Self::serve`].
    pub fn bind() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let (tx, rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        FaultProxy {
            port,
            shared: Arc::new(Shared {
                rules: Mutex::default(),
                seen: Mutex::default(),
                forwarded: Mutex::default(),
                events: tx,
                release: Notify::new(),
                connections: Mutex::default(),
                rewrite: Mutex::default(),
            }),
            events: tokio::sync::Mutex::new(rx),
            runtime: Some(runtime),
            serving: Mutex::default(),
            accept: Mutex::default(),
        }
    }

    /// `https://127.0.0.1:<port>`, the issuer the provider behind it must announce.
    pub fn origin(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Starts serving with `cert` and `key` (PEM files), forwarding to `upstream` (an https
    /// origin on 127.0.0.1 whose certificate is `cert`).
    pub fn serve(&self, upstream: &Url, cert: &Path, key: &Path) {
        assert_eq!(upstream.host_str(), Some("127.0.0.1"), "loopback only");
        let client = crate::support::client_trusting(cert)
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        *self.serving.lock().unwrap() = Some(Serving {
            tls: crate::support::tls_acceptor(cert, key),
            upstream: upstream.clone(),
            client,
        });
        self.up();
    }

    /// Sets `fault` for `path` (`*`: every path but the test tools) until changed or cleared.
    pub fn set(&self, path: &str, fault: Fault) {
        let rule = Rule { fault, once: false };
        self.shared
            .rules
            .lock()
            .unwrap()
            .insert(path.to_string(), rule);
    }

    /// Sets `fault` for the next request to `path` only.
    pub fn once(&self, path: &str, fault: Fault) {
        let rule = Rule { fault, once: true };
        self.shared
            .rules
            .lock()
            .unwrap()
            .insert(path.to_string(), rule);
    }

    /// Reshapes every forwarded request and its answer with `hook` (replacing any earlier one).
    pub fn rewrite(&self, hook: impl Rewrite) {
        *self.shared.rewrite.lock().unwrap() = Some(Arc::new(hook));
    }

    /// Every request passes again.
    pub fn clear(&self) {
        self.shared.rules.lock().unwrap().clear();
    }

    /// Lets a [`Fault::Hold`] answer go.
    pub fn release(&self) {
        self.shared.release.notify_one();
    }

    /// How many requests to `path` arrived, and how many of them were forwarded.
    pub fn hits(&self, path: &str) -> (usize, usize) {
        let get = |m: &Mutex<HashMap<String, usize>>| m.lock().unwrap().get(path).copied();
        (
            get(&self.shared.seen).unwrap_or(0),
            get(&self.shared.forwarded).unwrap_or(0),
        )
    }

    /// The next event, waiting at most `within`.
    pub async fn event(&self, within: Duration) -> Option<Event> {
        let mut rx = self.events.lock().await;
        tokio::time::timeout(within, rx.recv()).await.ok().flatten()
    }

    /// Stops listening (connections are refused) and closes every open connection.
    pub fn down(&self) {
        if let Some(task) = self.accept.lock().unwrap().take() {
            task.abort();
        }
        for c in self.shared.connections.lock().unwrap().drain(..) {
            c.abort();
        }
        // The aborted accept task drops the listening socket on the proxy's runtime: wait
        // until connecting is refused.
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the proxy's port still accepts connections");
    }

    /// Listens again on the same port.
    pub fn up(&self) {
        let serving = self.serving.lock().unwrap().clone().expect("serve first");
        // std sets SO_REUSEADDR, so the port can be bound again right after `down`.
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let shared = self.shared.clone();
        let rt = self.runtime.as_ref().unwrap().handle().clone();
        let task = rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((tcp, _)) = listener.accept().await {
                let (serving, shared2) = (serving.clone(), shared.clone());
                let conn = tokio::spawn(async move {
                    let Ok(tls) = serving.tls.accept(tcp).await else {
                        return;
                    };
                    let written: Arc<Mutex<Vec<String>>> = Arc::default();
                    let io = hyper_util::rt::TokioIo::new(ReportingIo {
                        inner: tls,
                        shared: shared2.clone(),
                        written: written.clone(),
                    });
                    let svc = hyper::service::service_fn(move |req| {
                        handle(req, serving.clone(), shared2.clone(), written.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                });
                let mut open = shared.connections.lock().unwrap();
                open.retain(|c| !c.is_finished());
                open.push(conn.abort_handle());
            }
        });
        *self.accept.lock().unwrap() = Some(task);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The answer to a request whose connection is to be closed instead.
#[derive(Debug)]
struct Closed;
impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closed by the fault proxy")
    }
}
impl std::error::Error for Closed {}

type Answer = hyper::Response<Whole>;

async fn handle(
    req: hyper::Request<Incoming>,
    serving: Serving,
    shared: Arc<Shared>,
    written: Arc<Mutex<Vec<String>>>,
) -> Result<Answer, Closed> {
    let path = req.uri().path().to_string();
    Shared::count(&shared.seen, &path);
    let fault = shared.fault_for(&path);
    let answer = match fault {
        Fault::Answer { status, body } => {
            let mut a = hyper::Response::new(Whole::new(body.into_bytes(), None));
            *a.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            a.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            return Ok(a);
        }
        Fault::Close => return Err(Closed),
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            forward(req, &serving, &shared).await
        }
        Fault::Pass | Fault::DropAnswer | Fault::Hold | Fault::Report => {
            forward(req, &serving, &shared).await
        }
    };
    match fault {
        Fault::DropAnswer => Err(Closed),
        Fault::Hold => {
            let _ = shared.events.send(Event::Held(path));
            shared.release.notified().await;
            Ok(answer)
        }
        Fault::Report => {
            let (parts, body) = answer.into_parts();
            let body = Whole::new(
                body.data.unwrap_or_default().to_vec(),
                Some((path, written)),
            );
            Ok(hyper::Response::from_parts(parts, body))
        }
        _ => Ok(answer),
    }
}

/// Hop-by-hop headers, and the length (recomputed for the body actually sent).
const NOT_FORWARDED: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "content-length",
];

/// Sends the request to the provider (`Host` passed through), through the [`Rewrite`] hook if
/// one is set, and returns its answer, or 502 when the provider cannot be reached.
async fn forward(req: hyper::Request<Incoming>, serving: &Serving, shared: &Shared) -> Answer {
    use http_body_util::BodyExt;
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let mut exchange = Exchange {
        received_path: path.clone(),
        method: parts.method,
        target: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        headers: parts.headers,
        body: body.to_vec(),
    };
    let hook = match is_tooling(&path) {
        true => None,
        false => shared.rewrite.lock().unwrap().clone(),
    };
    if let Some(reply) = hook.as_ref().and_then(|h| h.request(&mut exchange)) {
        return answer_of(reply);
    }
    let target = serving.upstream.join(&exchange.target).unwrap();
    let mut request = serving
        .client
        .request(exchange.method.clone(), target)
        .body(exchange.body.clone());
    for (name, value) in &exchange.headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    Shared::count(&shared.forwarded, &path);
    let response = match request.send().await {
        Ok(r) => r,
        Err(_) => {
            let mut a = hyper::Response::new(Whole::new(Vec::new(), None));
            *a.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            return a;
        }
    };
    let mut reply = Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: Vec::new(),
    };
    reply.body = response.bytes().await.unwrap_or_default().to_vec();
    if let Some(hook) = &hook {
        hook.response(&exchange, &mut reply);
    }
    answer_of(reply)
}

/// The answer sent for `reply` (hop-by-hop headers and the length left out).
fn answer_of(reply: Reply) -> Answer {
    let mut answer = hyper::Response::new(Whole::new(reply.body, None));
    *answer.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in &reply.headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}

/// A whole response body. With `report`, once the body has been handed to the connection its
/// path is queued for [`ReportingIo`], which reports it at the next completed flush.
struct Whole {
    data: Option<Bytes>,
    len: u64,
    report: Option<(String, Arc<Mutex<Vec<String>>>)>,
}

impl Whole {
    fn new(data: Vec<u8>, report: Option<(String, Arc<Mutex<Vec<String>>>)>) -> Self {
        Whole {
            len: data.len() as u64,
            data: Some(Bytes::from(data)),
            report,
        }
    }
}

impl Body for Whole {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let frame = this.data.take().map(|d| Ok(Frame::data(d)));
        if frame.is_some() {
            if let Some((path, queue)) = this.report.take() {
                queue.lock().unwrap().push(path);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// The client-side TLS stream, reporting [`Event::Written`] for the answers queued before a
/// flush that completed (their bytes are then in the client's socket).
struct ReportingIo {
    inner: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    shared: Arc<Shared>,
    written: Arc<Mutex<Vec<String>>>,
}

impl AsyncRead for ReportingIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ReportingIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let flushed = Pin::new(&mut self.inner).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            for path in self.written.lock().unwrap().drain(..) {
                let _ = self.shared.events.send(Event::Written(path));
            }
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
