//! The loopback redirect receiver (RFC 8252 §7.3): an HTTP listener on `127.0.0.1` that waits
//! for the one authorization response of one sign-in.
//!
//! Any local process can connect to it, so it trusts nothing but the response that carries
//! this sign-in's `state`: every other request (wrong path or method, no or wrong `state`,
//! duplicated parameters, oversized or malformed requests, silent connections) gets an error
//! page and the listener keeps waiting. HTTP parsing, size limits and read timeouts are
//! hyper's; the decision about each request is `judge` (unit-tested as a table).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use crate::error::{Error, Result};
use crate::secret::{AuthorizationCode, State};

/// Largest request head accepted (hyper's buffer); a 100 KB query is refused.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// A connection must send its request head within this time.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection is closed after this time, whatever it does.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);
/// Connections served at once (a memory bound: each buffers at most `MAX_REQUEST_BYTES` for
/// at most `CONNECTION_DEADLINE`); more are closed on accept.
const MAX_CONNECTIONS: usize = 512;

/// What the authorization response must carry.
#[derive(Debug)]
pub struct Expectation {
    /// The `state` sent in the request.
    pub state: State,
    /// RFC 9207: the issuer the `iss` parameter must equal, when the provider sends it.
    pub issuer: Option<String>,
}

/// A bound loopback listener for one sign-in.
#[derive(Debug)]
pub struct LoopbackReceiver {
    listener: TcpListener,
    redirect_uri: Url,
}

/// What to do with one request.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Not the authorization response: answer with an error page and keep waiting.
    Ignore(StatusCode, &'static str),
    /// The authorization response: the sign-in ends with this result.
    Complete(Result<AuthorizationCode>),
}

impl LoopbackReceiver {
    /// Binds `127.0.0.1:<port>` (0 = ephemeral) and serves `path` (e.g. `/callback`).
    pub async fn bind(port: u16, path: &str) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|e| Error::RedirectListenerFailed(format!("bind 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::RedirectListenerFailed(e.to_string()))?
            .port();
        let redirect_uri = Url::parse(&format!("http://127.0.0.1:{port}{path}"))
            .map_err(|e| Error::RedirectListenerFailed(format!("redirect path `{path}`: {e}")))?;
        Ok(Self {
            listener,
            redirect_uri,
        })
    }

    /// The redirect URI to send in the authorization request.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Serves requests until the authorization response arrives, then closes the listener.
    /// Cancel by dropping the future.
    pub async fn receive(self, expect: Expectation) -> Result<AuthorizationCode> {
        let path = Arc::new(self.redirect_uri.path().to_string());
        let expect = Arc::new(expect);
        let completed = Arc::new(AtomicBool::new(false));
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let (tx, mut rx) = mpsc::channel::<Result<AuthorizationCode>>(1);
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                Some(outcome) = rx.recv() => return outcome,
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        Err(e) => {
                            log::warn!("token-vault: loopback accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        continue; // too many open connections: drop this one
                    };
                    let (path, expect, completed, tx) =
                        (path.clone(), expect.clone(), completed.clone(), tx.clone());
                    connections.spawn(async move {
                        let _permit = permit;
                        let outcome: Arc<Mutex<Option<Result<AuthorizationCode>>>> = Arc::default();
                        let slot = outcome.clone();
                        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                            let verdict = if completed.load(Ordering::SeqCst) {
                                Verdict::Ignore(StatusCode::GONE, "This sign-in is already complete.")
                            } else {
                                judge(req.method(), req.uri(), &path, &expect)
                            };
                            let response = match verdict {
                                Verdict::Ignore(status, why) => page(status, false, why),
                                Verdict::Complete(result) => {
                                    if completed.swap(true, Ordering::SeqCst) {
                                        page(StatusCode::GONE, false, "This sign-in is already complete.")
                                    } else {
                                        let r = match &result {
                                            Ok(_) => page(StatusCode::OK, true, "You are signed in. You can close this window and return to the app."),
                                            Err(e) => page(StatusCode::OK, false, failure_text(e)),
                                        };
                                        *slot.lock().expect("slot") = Some(result);
                                        r
                                    }
                                }
                            };
                            async move { Ok::<_, std::convert::Infallible>(response) }
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(HEADER_READ_TIMEOUT)
                            .keep_alive(false)
                            .max_buf_size(MAX_REQUEST_BYTES)
                            .serve_connection(TokioIo::new(stream), service);
                        let _ = tokio::time::timeout(CONNECTION_DEADLINE, conn).await;
                        let result = outcome.lock().expect("slot").take();
                        if let Some(result) = result {
                            let _ = tx.send(result).await;
                        }
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// Decides what one request to the loopback listener is.
pub(crate) fn judge(
    method: &Method,
    uri: &hyper::Uri,
    path: &str,
    expect: &Expectation,
) -> Verdict {
    use Verdict::Ignore;
    if method != Method::GET {
        return Ignore(StatusCode::METHOD_NOT_ALLOWED, "Only GET is accepted here.");
    }
    if uri.path() != path {
        return Ignore(StatusCode::NOT_FOUND, "Not found.");
    }
    let query = uri.query().unwrap_or("");
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut iss = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        if slot.is_some() {
            // RFC 6749 §3.1: parameters MUST NOT be included more than once.
            return Ignore(StatusCode::BAD_REQUEST, "Duplicate parameters.");
        }
        *slot = Some(v.into_owned());
    }
    let Some(state) = state else {
        return Ignore(StatusCode::BAD_REQUEST, "Missing state.");
    };
    if !expect.state.matches(&state) {
        return Ignore(
            StatusCode::BAD_REQUEST,
            "This is not the response to the current sign-in.",
        );
    }
    // From here the request carries this sign-in's state: it is the authorization response.
    if let Some(expected) = &expect.issuer {
        if iss.as_deref() != Some(expected.as_str()) {
            return Verdict::Complete(Err(Error::IssuerMismatch {
                expected: expected.clone(),
                found: iss.unwrap_or_else(|| "(missing iss parameter)".into()),
            }));
        }
    }
    if let Some(error) = error {
        let err = if error == "access_denied" {
            Error::AuthorizationDenied { error, description }
        } else {
            Error::AuthorizationFailed { error, description }
        };
        return Verdict::Complete(Err(err));
    }
    match code {
        Some(c) if !c.is_empty() => Verdict::Complete(Ok(AuthorizationCode::new(c))),
        _ => Verdict::Complete(Err(Error::InvalidAuthorizationResponse(
            "neither `code` nor `error` in the response".into(),
        ))),
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

/// A small self-contained page: no scripts, no links, no referrer, not cached.
fn page(status: StatusCode, ok: bool, text: &'static str) -> Response<Full<Bytes>> {
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
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(iss: Option<&str>) -> Expectation {
        Expectation {
            state: State::new("S1"),
            issuer: iss.map(String::from),
        }
    }

    fn verdict(method: Method, uri: &str, iss: Option<&str>) -> String {
        let uri: hyper::Uri = uri.parse().unwrap();
        match judge(&method, &uri, "/callback", &expect(iss)) {
            Verdict::Ignore(s, _) => format!("ignore {}", s.as_u16()),
            Verdict::Complete(Ok(c)) => format!("code {}", c.secret()),
            Verdict::Complete(Err(e)) => format!("error {}", e.code()),
        }
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
}
