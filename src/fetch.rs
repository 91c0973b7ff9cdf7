//! Authorized HTTP requests made in Rust, so page script never holds a token. No Tauri imports.
//!
//! The access token is attached only to URLs on the provider's `fetchAllowlist` (under a
//! path-prefix entry, only to paths that mean what they say); plain `http` only to loopback
//! hosts; the methods and headers browsers forbid to page script are refused; loopback hosts
//! are reached directly, other hosts over https through the system proxy at most (a `CONNECT`
//! tunnel); redirects are returned to the caller, never followed (so a token is never carried
//! to another origin); a 401 makes the session refresh once (single flight, shared with every
//! other caller) and the request is retried once; response bodies are capped.

use std::time::Duration;

use oauth2::reqwest;
use url::Url;

use crate::error::{Error, Result};
use crate::http::{describe_reqwest, read_capped};
use crate::models::FetchArgs;
use crate::secret::AccessToken;
use crate::session::{FetchDpop, SessionManager};
use crate::url_policy::{is_loopback, secure_scheme, Allowlist, Refusal};

/// One request.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// HTTP method (`GET`, `POST`…).
    pub method: String,
    /// Absolute URL.
    pub url: Url,
    /// Headers; `Authorization` is refused (the plugin sets it).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
    /// Timeout of this request (default: the provider's `httpTimeoutSecs`).
    pub timeout: Option<Duration>,
}

impl FetchRequest {
    /// A `GET` of `url`.
    pub fn get(url: Url) -> Self {
        Self {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: None,
            timeout: None,
        }
    }
}

/// One response.
#[derive(Debug, Clone)]
pub struct FetchResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase (`OK`…), empty when unknown.
    pub status_text: String,
    /// Headers in order, repeated names kept.
    pub headers: Vec<(String, String)>,
    /// Body (at most `fetchMaxBodyBytes`).
    pub body: Vec<u8>,
    /// The URL that answered (the request URL: redirects are not followed).
    pub url: Url,
}

fn check_allowed(allowlist: &Allowlist, url: &Url) -> Result<()> {
    let shown = url.origin().ascii_serialization();
    secure_scheme(url).map_err(|why| Error::FetchNotAllowed(format!("{shown}: {why}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::FetchInvalidRequest(
            "URLs with credentials are refused".into(),
        ));
    }
    match allowlist.check(url) {
        Ok(()) => Ok(()),
        Err(Refusal::NotListed) => Err(Error::FetchNotAllowed(format!(
            "{shown}{} is not on the provider's fetchAllowlist",
            url.path()
        ))),
        Err(Refusal::AmbiguousPath { reason, entry }) => Err(Error::FetchNotAllowed(format!(
            "{shown}{}: the path holds {reason}, which servers resolve differently; refused \
             under the path-prefix entry `{entry}`",
            url.path()
        ))),
    }
}

/// The methods browsers forbid to page script (WHATWG Fetch, "forbidden method"): a `TRACE`
/// echo would hand the request's `Authorization` header back to the caller.
const FORBIDDEN_METHODS: [&str; 3] = ["CONNECT", "TRACE", "TRACK"];

/// The WHATWG Fetch "forbidden request-header" names (lower case; compared
/// case-insensitively): the transport's framing, routing and the browser's own headers. A
/// `Host` override would carry the token to another tenant behind a shared front end.
const FORBIDDEN_HEADERS: [&str; 22] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "access-control-request-private-network",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// Forbidden header-name prefixes (Fetch: `Proxy-`, `Sec-`; and every
/// `Access-Control-Request-` header, a superset of the spec's three).
const FORBIDDEN_HEADER_PREFIXES: [&str; 3] = ["proxy-", "sec-", "access-control-request-"];

/// Headers that override the method at servers and frameworks; forbidden when a method they
/// name is forbidden (Fetch).
const METHOD_OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
];

/// The forbidden method `method` is (any case), if it is one.
fn forbidden_method(method: &str) -> Option<&'static str> {
    FORBIDDEN_METHODS
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(method))
}

/// Why page script may not send header `name` with `value`, if it may not (WHATWG Fetch,
/// "forbidden request-header"). A method-override value is read as the spec reads it, a comma
/// list, here also with each item's whitespace and quotes trimmed (so `"TRACE"` counts too).
/// The reason never holds the value.
fn forbidden_header(name: &str, value: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_HEADER_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return Some(format!(
            "header `{lower}` is one browsers forbid to page script (a forbidden request-header)"
        ));
    }
    if METHOD_OVERRIDE_HEADERS.contains(&lower.as_str()) {
        let named = value
            .split(',')
            .map(|m| m.trim_matches([' ', '\t', '"']))
            .find_map(forbidden_method)?;
        return Some(format!(
            "header `{lower}` names the forbidden method `{named}`"
        ));
    }
    None
}

/// Which connection a request to a URL that passed [`check_allowed`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Straight to the host, whatever the proxy settings: loopback hosts (a proxy would see
    /// a loopback request, in cleartext when it is plain http).
    Direct,
    /// The system proxy if one is configured (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, the OS
    /// settings), which for an https URL is a `CONNECT` tunnel: the proxy sees the host and
    /// port, never a header or the body.
    SystemProxyOverTls,
}

/// The [`Route`] of `url`; plain http to another host has none (refused before any
/// connection: no proxy and no network ever sees the token in cleartext).
fn route(url: &Url) -> Result<Route> {
    if is_loopback(url) {
        Ok(Route::Direct)
    } else if url.scheme() == "https" {
        Ok(Route::SystemProxyOverTls)
    } else {
        Err(Error::FetchNotAllowed(format!(
            "{}: only https leaves this machine",
            url.origin().ascii_serialization()
        )))
    }
}

impl FetchRequest {
    /// A request from page script (`authFetch`): its description (the IPC's JSON side
    /// channel) and its body bytes (the IPC's raw payload; empty for none).
    pub(crate) fn from_ipc(a: FetchArgs, body: Vec<u8>) -> Result<Self> {
        let url = Url::parse(&a.url)
            .map_err(|e| Error::FetchInvalidRequest(format!("URL `{}`: {e}", a.url)))?;
        Ok(FetchRequest {
            method: a.method,
            url,
            headers: a.headers,
            body: (!body.is_empty()).then_some(body),
            timeout: a.timeout_ms.map(Duration::from_millis),
        })
    }
}

/// A response whose head has arrived and whose body is still to be read: read whole
/// ([`StartedFetch::read_to_end`], capped at `fetchMaxBodyBytes`) or chunk by chunk
/// ([`StartedFetch::chunk`], capped at `fetchMaxStreamBytes`).
pub(crate) struct StartedFetch {
    /// Status code.
    pub status: u16,
    /// Reason phrase, empty when unknown.
    pub status_text: String,
    /// Headers in order, repeated names kept.
    pub headers: Vec<(String, String)>,
    /// The URL that answered.
    pub url: Url,
    /// The provider's `fetchMaxBodyBytes`.
    pub max_body: usize,
    /// The provider's `fetchMaxStreamBytes`.
    pub max_stream: u64,
    response: reqwest::Response,
    read: u64,
}

impl StartedFetch {
    /// The body length the server announced (`Content-Length`), if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next piece of the body, `None` at its end; over `fetchMaxStreamBytes` in all is
    /// `fetch_response_too_large`. Cancel-safe: dropping the future loses no data.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let c = self
            .response
            .chunk()
            .await
            .map_err(|e| Error::Network(describe_reqwest(&e, &self.url)))?;
        let Some(c) = c else { return Ok(None) };
        self.read += c.len() as u64;
        if self.read > self.max_stream {
            return Err(Error::FetchResponseTooLarge(
                usize::try_from(self.max_stream).unwrap_or(usize::MAX),
            ));
        }
        Ok(Some(c.to_vec()))
    }

    /// The next pieces of the body that are ready now, joined up to about `want` bytes (at
    /// least one piece, waiting for it); `None` at the end. Fewer IPC messages for the same
    /// bytes, without holding back a slow stream.
    pub async fn chunks(&mut self, want: usize) -> Result<Option<Vec<u8>>> {
        let Some(mut out) = self.chunk().await? else {
            return Ok(None);
        };
        while out.len() < want {
            let next = tokio::select! {
                biased;
                c = self.response.chunk() => c,
                () = std::future::ready(()) => break,
            };
            match next.map_err(|e| Error::Network(describe_reqwest(&e, &self.url)))? {
                Some(c) => {
                    self.read += c.len() as u64;
                    if self.read > self.max_stream {
                        return Err(Error::FetchResponseTooLarge(
                            usize::try_from(self.max_stream).unwrap_or(usize::MAX),
                        ));
                    }
                    out.extend_from_slice(&c);
                }
                None => break,
            }
        }
        Ok(Some(out))
    }

    /// The whole body (at most `fetchMaxBodyBytes`, else `fetch_response_too_large`).
    pub async fn read_to_end(self) -> Result<FetchResponse> {
        let max = self.max_body;
        let body = read_capped(self.response, max, &self.url)
            .await?
            .ok_or(Error::FetchResponseTooLarge(max))?;
        Ok(FetchResponse {
            status: self.status,
            status_text: self.status_text,
            headers: self.headers,
            body,
            url: self.url,
        })
    }
}

impl SessionManager {
    /// Sends `request` with `Authorization: Bearer <access token>` of `(provider, account)`.
    /// On a 401 the session refreshes once (shared with every other caller) and the request
    /// is retried once. The URL must be on the provider's `fetchAllowlist`; redirects are
    /// returned, never followed.
    ///
    /// ```no_run
    /// use tauri_plugin_token_vault::{FetchRequest, SessionManager};
    ///
    /// # async fn run(sessions: &SessionManager) -> tauri_plugin_token_vault::Result<()> {
    /// let mut request = FetchRequest::get("https://api.example.com/me".parse().unwrap());
    /// request.headers.push(("accept".into(), "application/json".into()));
    /// let response = sessions.fetch("auth0", "default", request).await?;
    /// if response.status == 200 {
    ///     let me: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch(
        &self,
        provider: &str,
        account: &str,
        request: FetchRequest,
    ) -> Result<FetchResponse> {
        self.start_fetch(provider, account, request)
            .await?
            .read_to_end()
            .await
    }

    /// [`Self::fetch`] up to the response head: every check, the token, the 401 retry; the
    /// body is left to the caller.
    pub(crate) async fn start_fetch(
        &self,
        provider: &str,
        account: &str,
        request: FetchRequest,
    ) -> Result<StartedFetch> {
        let config = self.provider_config(provider)?;
        check_allowed(&config.fetch_allowlist, &request.url)?;
        let route = route(&request.url)?;
        if let Some(m) = forbidden_method(&request.method) {
            return Err(Error::FetchInvalidRequest(format!(
                "method `{m}` is one browsers forbid to page script"
            )));
        }
        // Like fetch(): the six standard methods are normalised to upper case, others kept.
        let standard = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
        let name = match standard
            .iter()
            .find(|m| m.eq_ignore_ascii_case(&request.method))
        {
            Some(m) => m.to_string(),
            None => request.method.clone(),
        };
        let method = reqwest::Method::from_bytes(name.as_bytes())
            .map_err(|_| Error::FetchInvalidRequest(format!("method `{}`", request.method)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &request.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::FetchInvalidRequest(format!("header name `{name}`")))?;
            if name == reqwest::header::AUTHORIZATION || name.as_str() == "dpop" {
                return Err(Error::FetchInvalidRequest(format!(
                    "the {} header is set by the plugin",
                    if name.as_str() == "dpop" {
                        "DPoP"
                    } else {
                        "Authorization"
                    }
                )));
            }
            if let Some(why) = forbidden_header(name.as_str(), value) {
                return Err(Error::FetchInvalidRequest(why));
            }
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| Error::FetchInvalidRequest(format!("value of header `{name}`")))?;
            headers.append(name, value);
        }
        let (max_body, max_stream) = (config.fetch_max_body_bytes, config.fetch_max_stream_bytes);
        let client = self.client(provider).await?;
        let http = match route {
            Route::SystemProxyOverTls => client.http().reqwest().clone(),
            Route::Direct => client.http().direct_reqwest().clone(),
        };

        // Shared by the first try and the retry after a 401, not copied.
        let body = request.body.map(bytes::Bytes::from);
        let token = self.get_token(provider, account, Duration::ZERO).await?;
        // A DPoP-bound token goes as `Authorization: DPoP` with a proof of the session's key
        // (RFC 9449 §7), fresh for every try; a resource server's `use_dpop_nonce` challenge
        // gets one more try with its nonce (§9).
        let one = Try {
            http: &http,
            method: &method,
            headers: &headers,
            body: &body,
            url: &request.url,
            timeout: request.timeout,
        };
        let send = |token: AccessToken| async move {
            let dpop = self.fetch_dpop(provider, account, &token).await?;
            let mut retried = false;
            loop {
                let response = one.send(&token, dpop.as_ref())?.await?;
                match &dpop {
                    Some(d)
                        if !retried
                            && d.wants_retry(
                                one.url,
                                response.status().as_u16(),
                                response.headers(),
                            ) =>
                    {
                        retried = true;
                    }
                    _ => return Ok::<_, Error>(response),
                }
            }
        };
        let mut response = send(token.clone()).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            let fresh = self.refresh_if_current(provider, account, &token).await?;
            response = send(fresh).await?;
        }
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), header_text(v.as_bytes())))
            .collect();
        Ok(StartedFetch {
            status: status.as_u16(),
            status_text: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            url: request.url,
            max_body,
            max_stream,
            response,
            read: 0,
        })
    }
}

/// What every try of one `fetch` sends (the first, a nonce retry, the retry after a 401).
#[derive(Clone, Copy)]
struct Try<'a> {
    http: &'a reqwest::Client,
    method: &'a reqwest::Method,
    headers: &'a reqwest::header::HeaderMap,
    /// Shared by every try, not copied.
    body: &'a Option<bytes::Bytes>,
    url: &'a Url,
    timeout: Option<Duration>,
}

impl Try<'_> {
    /// The request with `token` (and a fresh proof of `dpop`'s key).
    fn send(
        self,
        token: &AccessToken,
        dpop: Option<&FetchDpop>,
    ) -> Result<impl std::future::Future<Output = Result<reqwest::Response>>> {
        let mut b = self
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        b = match dpop {
            None => b.bearer_auth(token.secret()),
            Some(d) => {
                let proof = d.proof(self.method.as_str(), self.url, token)?;
                let mut authorization =
                    reqwest::header::HeaderValue::from_str(&format!("DPoP {}", token.secret()))
                        .map_err(|_| {
                            Error::InvalidResponse("the access token is not a header value".into())
                        })?;
                authorization.set_sensitive(true);
                b.header(reqwest::header::AUTHORIZATION, authorization)
                    .header("DPoP", proof)
            }
        };
        if let Some(body) = self.body {
            b = b.body(body.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        let url = self.url.clone();
        Ok(async move {
            b.send()
                .await
                .map_err(|e| Error::Network(describe_reqwest(&e, &url)))
        })
    }
}

/// A header value as text without losing bytes: each byte becomes the code point of the same
/// number (Latin-1), as browsers' `Headers` do, so a JS `Response` can carry it unchanged.
fn header_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_map_to_latin1_code_points() {
        assert_eq!(header_text(b"text/plain"), "text/plain");
        // UTF-8 "é" is two bytes: two code points, not one (and never U+FFFD).
        assert_eq!(header_text("é".as_bytes()), "\u{c3}\u{a9}");
        assert_eq!(header_text(&[0xff, 0x80]), "\u{ff}\u{80}");
    }

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn scheme_credentials_and_allow_list_are_checked_in_that_order() {
        let list =
            Allowlist::parse(["https://api.example.com/v1/", "http://127.0.0.1:8080/"]).unwrap();
        check_allowed(&list, &u("https://api.example.com/v1/me")).unwrap();
        check_allowed(&list, &u("http://127.0.0.1:8080/x")).unwrap();
        let cases = [
            ("http://api.example.com/", "fetch_not_allowed", "plain http"),
            (
                "ftp://api.example.com/",
                "fetch_not_allowed",
                "scheme `ftp:`",
            ),
            (
                "https://user:pw@api.example.com/",
                "fetch_invalid_request",
                "credentials",
            ),
            (
                "https://evil.example.com/",
                "fetch_not_allowed",
                "not on the provider's fetchAllowlist",
            ),
            (
                "https://api.example.com/v1/..%2Fadmin",
                "fetch_not_allowed",
                "the path holds an encoded `/` (%2F), which servers resolve differently; \
                 refused under the path-prefix entry `https://api.example.com/v1/`",
            ),
        ];
        for (url, code, why) in cases {
            let e = check_allowed(&list, &u(url)).unwrap_err();
            assert_eq!(e.code(), code, "{url}");
            assert!(e.to_string().contains(why), "{url}: {e}");
        }
        assert_eq!(
            check_allowed(&Allowlist::default(), &u("https://api.example.com/"))
                .unwrap_err()
                .code(),
            "fetch_not_allowed"
        );
    }

    #[test]
    fn page_script_requests_convert_and_bad_input_is_refused() {
        let args: FetchArgs = serde_json::from_value(serde_json::json!({
            "method": "POST", "url": "https://a.example/x", "headers": [["a", "b"]],
            "timeoutMs": 5
        }))
        .unwrap();
        let r = FetchRequest::from_ipc(args.clone(), vec![0, 0xff, 2]).unwrap();
        assert_eq!(r.body.as_deref(), Some(&[0u8, 0xff, 2][..]));
        assert_eq!(r.timeout, Some(Duration::from_millis(5)));
        // An empty payload is no body.
        assert_eq!(FetchRequest::from_ipc(args, vec![]).unwrap().body, None);
        let args = FetchArgs {
            method: "GET".into(),
            url: "not a url".into(),
            headers: vec![],
            timeout_ms: None,
        };
        assert_eq!(
            FetchRequest::from_ipc(args, vec![]).unwrap_err().code(),
            "fetch_invalid_request"
        );
        // The old base64 field is refused, not ignored.
        let old = serde_json::from_value::<FetchArgs>(serde_json::json!({
            "method": "POST", "url": "https://a.example/x", "body": "AAEC"
        }));
        assert!(old
            .unwrap_err()
            .to_string()
            .contains("unknown field `body`"));
    }

    /// WHATWG Fetch "forbidden request-header", each case with its outcome.
    #[test]
    fn forbidden_request_headers() {
        let forbidden = [
            ("Accept-Charset", "utf-8"),
            ("accept-encoding", "gzip"),
            ("Access-Control-Request-Headers", "x"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Private-Network", "true"),
            ("Access-Control-Request-Anything", "x"),
            ("Connection", "close"),
            ("Content-Length", "0"),
            ("Cookie", "a=b"),
            ("Cookie2", "$Version=1"),
            ("Date", "now"),
            ("DNT", "1"),
            ("Expect", "100-continue"),
            ("Host", "other.example"),
            ("HOST", "other.example"),
            ("Keep-Alive", "timeout=5"),
            ("Origin", "https://evil.example"),
            ("Referer", "https://evil.example/"),
            ("Set-Cookie", "a=b"),
            ("TE", "trailers"),
            ("Trailer", "x"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "websocket"),
            ("Via", "1.1 x"),
            ("Proxy-Authorization", "Basic eDp5"),
            ("Proxy-Connection", "keep-alive"),
            ("proxy-", ""),
            ("Sec-Fetch-Mode", "cors"),
            ("sec-websocket-key", "x"),
            ("Sec-", ""),
        ];
        for (name, value) in forbidden {
            let why = forbidden_header(name, value).unwrap_or_else(|| panic!("{name}"));
            assert!(why.contains(&name.to_ascii_lowercase()), "{why}");
        }
        // Method overrides: forbidden when an item of the comma list is a forbidden method.
        let overrides = [
            ("X-HTTP-Method-Override", "TRACE", Some("TRACE")),
            ("x-http-method-override", "trace", Some("TRACE")),
            ("X-HTTP-Method", "GET, connect", Some("CONNECT")),
            ("X-Method-Override", " Track\t", Some("TRACK")),
            ("X-HTTP-Method-Override", "\"TRACE\"", Some("TRACE")),
            ("X-HTTP-Method-Override", "PATCH", None),
            ("X-HTTP-Method-Override", "DELETE, PUT", None),
            ("X-HTTP-Method-Override", "TRACEX", None),
            ("X-HTTP-Method-Override", "", None),
            ("X-Other-Override", "TRACE", None),
        ];
        for (name, value, method) in overrides {
            let got = forbidden_header(name, value);
            match method {
                Some(m) => assert!(
                    got.as_deref().is_some_and(|w| w.contains(m)),
                    "{name}: {value}: {got:?}"
                ),
                None => assert_eq!(got, None, "{name}: {value}"),
            }
        }
        // Allowed: everything else, near misses included.
        for name in [
            "Accept",
            "Accept-Language",
            "Content-Type",
            "Content-Language",
            "X-Request-Id",
            "Proxy",
            "Secret",
            "Hostname",
            "X-Host",
            "Cookies",
            "Dates",
            "Tee",
            "If-None-Match",
            "Range",
            "User-Agent",
            "Access-Control-Allow-Origin",
        ] {
            assert_eq!(forbidden_header(name, "x"), None, "{name}");
        }
    }

    #[test]
    fn forbidden_methods() {
        for (method, want) in [
            ("TRACE", Some("TRACE")),
            ("trace", Some("TRACE")),
            ("TrAcE", Some("TRACE")),
            ("TRACK", Some("TRACK")),
            ("track", Some("TRACK")),
            ("CONNECT", Some("CONNECT")),
            ("connect", Some("CONNECT")),
            ("GET", None),
            ("POST", None),
            ("PATCH", None),
            ("OPTIONS", None),
            ("TRACES", None),
            (" TRACE", None),
            ("", None),
        ] {
            assert_eq!(forbidden_method(method), want, "{method:?}");
        }
    }

    #[test]
    fn loopback_goes_direct_other_hosts_over_tls_only() {
        for (url, want) in [
            ("http://127.0.0.1:8080/x", Some(Route::Direct)),
            ("https://127.0.0.1:8443/x", Some(Route::Direct)),
            ("http://127.1.2.3/", Some(Route::Direct)),
            ("http://localhost:3000/", Some(Route::Direct)),
            ("https://LOCALHOST/", Some(Route::Direct)),
            ("http://[::1]:9/", Some(Route::Direct)),
            ("https://api.example.com/", Some(Route::SystemProxyOverTls)),
            ("https://10.1.2.3/", Some(Route::SystemProxyOverTls)),
            ("http://api.example.com/", None),
            ("http://10.1.2.3/", None),
            ("http://localhost.example.com/", None),
        ] {
            let got = route(&u(url));
            match want {
                Some(r) => assert_eq!(got.unwrap(), r, "{url}"),
                None => assert_eq!(got.unwrap_err().code(), "fetch_not_allowed", "{url}"),
            }
        }
    }
}
