//! Authorized HTTP requests made in Rust, so page script never holds a token. No Tauri imports.
//!
//! The access token is attached only to URLs on the provider's `fetchAllowlist`; plain `http`
//! only to loopback hosts; redirects are returned to the caller, never followed (so a token is
//! never carried to another origin); a 401 makes the session refresh once (single flight,
//! shared with every other caller) and the request is retried once; response bodies are capped.

use std::time::Duration;

use oauth2::reqwest;
use url::Url;

use crate::error::{Error, Result};
use crate::http::{describe_reqwest, read_capped};
use crate::models::{FetchArgs, FetchResult};
use crate::secret::AccessToken;
use crate::session::SessionManager;
use crate::url_policy::{secure_scheme, Allowlist};

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
    if allowlist.allows(url) {
        Ok(())
    } else {
        Err(Error::FetchNotAllowed(format!(
            "{shown}{} is not on the provider's fetchAllowlist",
            url.path()
        )))
    }
}

impl TryFrom<FetchArgs> for FetchRequest {
    type Error = Error;

    /// Validates a request from page script (`authFetch`): an absolute URL and a base64 body.
    fn try_from(a: FetchArgs) -> Result<Self> {
        use base64::Engine;
        let url = Url::parse(&a.url)
            .map_err(|e| Error::FetchInvalidRequest(format!("URL `{}`: {e}", a.url)))?;
        let body = match a.body {
            Some(b) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| Error::FetchInvalidRequest(format!("body is not base64: {e}")))?,
            ),
            None => None,
        };
        Ok(FetchRequest {
            method: a.method,
            url,
            headers: a.headers,
            body,
            timeout: a.timeout_ms.map(Duration::from_millis),
        })
    }
}

impl From<FetchResponse> for FetchResult {
    fn from(r: FetchResponse) -> Self {
        use base64::Engine;
        Self {
            status: r.status,
            status_text: r.status_text,
            headers: r.headers,
            body: base64::engine::general_purpose::STANDARD.encode(&r.body),
            url: r.url.to_string(),
        }
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
        let config = self.provider_config(provider)?;
        check_allowed(&config.fetch_allowlist, &request.url)?;
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
            if name == reqwest::header::AUTHORIZATION {
                return Err(Error::FetchInvalidRequest(
                    "the Authorization header is set by the plugin".into(),
                ));
            }
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| Error::FetchInvalidRequest(format!("value of header `{name}`")))?;
            headers.append(name, value);
        }
        let max = config.fetch_max_body_bytes;
        let client = self.client(provider).await?;
        let http = client.http().reqwest().clone();

        let token = self.get_token(provider, account, Duration::ZERO).await?;
        let send = |token: AccessToken| {
            let mut b = http
                .request(method.clone(), request.url.clone())
                .headers(headers.clone())
                .bearer_auth(token.secret());
            if let Some(body) = &request.body {
                b = b.body(body.clone());
            }
            if let Some(t) = request.timeout {
                b = b.timeout(t);
            }
            let url = request.url.clone();
            async move {
                b.send()
                    .await
                    .map_err(|e| Error::Network(describe_reqwest(&e, &url)))
            }
        };
        let mut response = send(token.clone()).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            let fresh = self.refresh_if_current(provider, account, &token).await?;
            response = send(fresh).await?;
        }
        read_response(response, request.url, max).await
    }
}

async fn read_response(r: reqwest::Response, url: Url, max: usize) -> Result<FetchResponse> {
    let status = r.status();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), header_text(v.as_bytes())))
        .collect();
    let body = read_capped(r, max, &url)
        .await?
        .ok_or(Error::FetchResponseTooLarge(max))?;
    Ok(FetchResponse {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body,
        url,
    })
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
        let list = Allowlist::parse(["https://api.example.com", "http://127.0.0.1:8080/"]).unwrap();
        check_allowed(&list, &u("https://api.example.com/me")).unwrap();
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
            "body": "AAEC", "timeoutMs": 5
        }))
        .unwrap();
        let r = FetchRequest::try_from(args).unwrap();
        assert_eq!(r.body.as_deref(), Some(&[0u8, 1, 2][..]));
        assert_eq!(r.timeout, Some(Duration::from_millis(5)));
        for (url, body) in [
            ("not a url", None),
            ("https://a.example/", Some("not base64!")),
        ] {
            let args = FetchArgs {
                method: "GET".into(),
                url: url.into(),
                headers: vec![],
                body: body.map(String::from),
                timeout_ms: None,
            };
            assert_eq!(
                FetchRequest::try_from(args).unwrap_err().code(),
                "fetch_invalid_request"
            );
        }
    }
}
