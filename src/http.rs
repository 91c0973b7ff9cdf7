//! The HTTP client used for every provider request: reqwest (oauth2's re-export, rustls),
//! redirects disabled (SSRF; the oauth2 docs ask for it), timeouts, extra trusted CAs.
//!
//! Provider requests (discovery, JWKS, token, refresh, revocation) go through a [`Transport`]:
//! reqwest in every build, a scripted one in the session's unit tests. Resource requests
//! (`fetch`) use the reqwest client directly ([`HttpClient::reqwest`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oauth2::http::{header, HeaderMap, HeaderValue, Method};
use oauth2::reqwest;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};

/// Provider responses bigger than this are refused (discovery, JWKS).
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// One provider request, as a [`Transport`] sends it. No `Debug`: the body of a token request
/// holds a code or a refresh token.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// A response: status, headers and the body as read under [`ReadBody`].
pub(crate) type Response = oauth2::HttpResponse;

/// How much of a response body a transport reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadBody {
    /// At most this many bytes, whatever the status (token endpoint and revocation: oauth2
    /// parses error bodies too); more is [`TransportError::TooLarge`].
    UpTo(usize),
    /// For a 2xx status, at most this many bytes (more is [`TransportError::TooLarge`]); any
    /// other status comes back with its body unread and empty (discovery, JWKS).
    SuccessUpTo(usize),
}

/// Why a transport has no response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// The request failed (connection, TLS, timeout, a broken body), in words that leave out
    /// the request's query.
    #[error("{0}")]
    Failed(String),
    /// A body is longer than the [`ReadBody`] cap (reading stopped there).
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// [`read_capped`]'s `network` error.
impl From<Error> for TransportError {
    fn from(e: Error) -> Self {
        match e {
            Error::Network(m) => Self::Failed(m),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// What [`Transport::send`] returns.
pub(crate) type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Response, TransportError>> + Send + 'a>>;

/// Sends one provider request and answers with its status, headers and body. Redirects are
/// never followed (a 3xx is a response like any other).
pub(crate) trait Transport: Send + Sync + std::fmt::Debug {
    fn send(&self, request: Request, read: ReadBody) -> TransportFuture<'_>;
}

/// The transport of every build: the configured reqwest client.
impl Transport for reqwest::Client {
    fn send(&self, request: Request, read: ReadBody) -> TransportFuture<'_> {
        Box::pin(async move {
            let Request {
                method,
                url,
                headers,
                body,
            } = request;
            let resp = self
                .request(method, url.clone())
                .headers(headers)
                .body(body)
                .send()
                .await
                .map_err(|e| TransportError::Failed(describe_reqwest(&e, &url)))?;
            let mut head = oauth2::http::Response::builder()
                .status(resp.status())
                .version(resp.version());
            for (name, value) in resp.headers() {
                head = head.header(name, value);
            }
            let body = match read {
                ReadBody::UpTo(cap) => read_capped(resp, cap, &url)
                    .await?
                    .ok_or(TransportError::TooLarge(cap))?,
                ReadBody::SuccessUpTo(cap) if resp.status().is_success() => {
                    read_capped(resp, cap, &url)
                        .await?
                        .ok_or(TransportError::TooLarge(cap))?
                }
                ReadBody::SuccessUpTo(_) => Vec::new(),
            };
            head.body(body)
                .map_err(|_| TransportError::Failed("request failed".into()))
        })
    }
}

/// A configured HTTP client (cheap to clone).
#[derive(Clone, Debug)]
pub struct HttpClient {
    /// Resource requests to other hosts (`fetch`, https only): the system proxy applies.
    inner: reqwest::Client,
    /// The same client without any proxy: loopback resource requests, and every provider
    /// request when the provider is on this machine.
    direct: reqwest::Client,
    /// Whether provider requests go through `direct`.
    provider_direct: bool,
    /// Sends provider requests instead of `inner` (unit tests script the provider).
    transport: Option<Arc<dyn Transport>>,
}

impl HttpClient {
    /// Builds a client trusting the system roots plus `extra_ca_pems`.
    pub fn new(timeout: Duration, extra_ca_pems: &[Vec<u8>]) -> Result<Self> {
        Self::build(timeout, extra_ca_pems, false)
    }

    /// [`Self::new`] for a provider on this machine: never through a proxy (`HTTP_PROXY` and
    /// the like would otherwise carry its requests, and with a plain-http loopback issuer the
    /// refresh token in cleartext).
    pub(crate) fn new_direct(timeout: Duration, extra_ca_pems: &[Vec<u8>]) -> Result<Self> {
        Self::build(timeout, extra_ca_pems, true)
    }

    fn build(timeout: Duration, extra_ca_pems: &[Vec<u8>], direct: bool) -> Result<Self> {
        Ok(Self {
            inner: Self::client(timeout, extra_ca_pems, false)?,
            direct: Self::client(timeout, extra_ca_pems, true)?,
            provider_direct: direct,
            transport: None,
        })
    }

    fn client(
        timeout: Duration,
        extra_ca_pems: &[Vec<u8>],
        direct: bool,
    ) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "tauri-plugin-token-vault/",
                env!("CARGO_PKG_VERSION")
            ));
        if direct {
            builder = builder.no_proxy();
        }
        for (i, pem) in extra_ca_pems.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::config(
                    format!("caCertificates[{i}]"),
                    format!("not a PEM certificate: {e}"),
                )
            })?;
            if certs.is_empty() {
                return Err(Error::config(
                    format!("caCertificates[{i}]"),
                    "no certificate found in PEM",
                ));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        builder
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))
    }

    /// The same client with provider requests sent through `transport` instead of reqwest
    /// (the session's unit tests script the provider this way).
    pub(crate) fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The proxy-free client, for resource requests to loopback hosts (`fetch`): reqwest's
    /// system proxy would otherwise follow `HTTP_PROXY` and the like for loopback hosts too.
    #[cfg_attr(not(any(feature = "fetch", feature = "test-util")), allow(dead_code))]
    pub(crate) fn direct_reqwest(&self) -> &reqwest::Client {
        &self.direct
    }

    /// The underlying client, for resource requests (`fetch`).
    #[cfg_attr(not(any(feature = "fetch", feature = "test-util")), allow(dead_code))]
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Sends a provider request through the transport.
    pub(crate) async fn send(
        &self,
        request: Request,
        read: ReadBody,
    ) -> std::result::Result<Response, TransportError> {
        let transport: &dyn Transport = match &self.transport {
            Some(t) => t.as_ref(),
            None if self.provider_direct => &self.direct,
            None => &self.inner,
        };
        transport.send(request, read).await
    }

    /// GETs `url` and parses a JSON body. Transport errors and 5xx are `network`; other
    /// non-2xx statuses and unparsable bodies are returned as `Ok(Err(status))` /
    /// `invalid_response` so callers can word them.
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))] // the tests' provider calls
    pub async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<Result<T, u16>> {
        Ok(self.get_json_with_max_age(url).await?.map(|(doc, _)| doc))
    }

    /// [`Self::get_json`], with how long the response may be cached (`Cache-Control`:
    /// `max-age`, or zero for `no-cache` / `no-store`; `None` when it says neither).
    pub(crate) async fn get_json_with_max_age<T: DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<Result<(T, Option<Duration>), u16>> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let request = Request {
            method: Method::GET,
            url: url.clone(),
            headers,
            body: Vec::new(),
        };
        let resp = self
            .send(request, ReadBody::SuccessUpTo(MAX_JSON_BYTES))
            .await
            .map_err(|e| match e {
                TransportError::Failed(m) => Error::Network(m),
                TransportError::TooLarge(cap) => {
                    Error::Network(format!("{url}: response larger than {cap} bytes"))
                }
            })?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(Error::Network(format!(
                "{url} answered HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Ok(Err(status.as_u16()));
        }
        let max_age = cache_max_age(resp.headers());
        serde_json::from_slice(resp.body())
            .map(|doc| Ok((doc, max_age)))
            .map_err(|e| Error::InvalidResponse(format!("{url}: not the expected JSON: {e}")))
    }
}

/// The freshness lifetime a `Cache-Control` header grants (RFC 9111 §5.2.2): `max-age`, or
/// zero for `no-cache` / `no-store`; `None` when the response has no such directive.
pub(crate) fn cache_max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                // A malformed or out-of-range value is treated as stale (RFC 9111 §1.2.2).
                let secs = arg.and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
                max_age = Some(Duration::from_secs(secs));
            }
        }
    }
    max_age
}

/// Reads a response body of at most `cap` bytes: `Ok(None)` when it is larger (reading stops
/// there), `network` on a transport error.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    url: &Url,
) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Error::Network(describe_reqwest(&e, url)))?
    {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// A transport error in words, without the request's query (which could hold a secret).
pub(crate) fn describe_reqwest(e: &reqwest::Error, url: &Url) -> String {
    let mut where_ = url.clone();
    where_.set_query(None);
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // reqwest's Display includes the URL; use the source chain instead.
    let mut cause = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() {
        format!("{where_}: {kind}")
    } else {
        format!("{where_}: {kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_extra_ca_is_a_configuration_error_naming_it() {
        for pems in [vec![b"not a pem".to_vec()], vec![Vec::new()]] {
            for direct in [false, true] {
                let e = HttpClient::build(Duration::from_secs(5), &pems, direct).unwrap_err();
                assert_eq!(e.code(), "invalid_config");
                assert!(e.to_string().contains("caCertificates[0]"), "{e}");
            }
        }
        HttpClient::new(Duration::from_secs(5), &[]).unwrap();
    }
}
