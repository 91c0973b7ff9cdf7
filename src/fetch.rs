//! Authorized HTTP requests made in Rust, so page script never holds a token. No Tauri imports.
//!
//! The access token is attached only to URLs on the provider's `fetchAllowlist`; plain `http`
//! only to loopback hosts; redirects are returned to the caller, never followed (so a token is
//! never carried to another origin); a 401 makes the session refresh once (single flight,
//! shared with every other caller) and the request is retried once; response bodies are capped.

use std::time::Duration;

use oauth2::reqwest;
use url::Url;

use crate::config::is_loopback;
use crate::error::{Error, Result};
use crate::oauth::http::{describe_reqwest, read_capped};
use crate::secret::AccessToken;
use crate::session::SessionManager;

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

/// One `fetchAllowlist` entry: an origin, optionally with a path prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedPrefix {
    origin: url::Origin,
    path: String,
}

impl AllowedPrefix {
    /// Parses `https://api.example.com` or `https://api.example.com/v1/`.
    pub fn parse(entry: &str) -> std::result::Result<Self, String> {
        let u = Url::parse(entry).map_err(|e| format!("`{entry}` is not an absolute URL: {e}"))?;
        match u.scheme() {
            "https" => {}
            "http" if is_loopback(&u) => {}
            "http" => {
                return Err(format!(
                    "`{entry}`: plain http is allowed for loopback hosts only"
                ))
            }
            other => return Err(format!("`{entry}`: scheme `{other}` is not http(s)")),
        }
        if u.query().is_some()
            || u.fragment().is_some()
            || !u.username().is_empty()
            || u.password().is_some()
        {
            return Err(format!(
                "`{entry}`: an allow-list entry has no query, fragment or credentials"
            ));
        }
        Ok(Self {
            origin: u.origin(),
            path: u.path().to_string(),
        })
    }

    /// Whether `url` is covered: same origin, and under the path prefix (`/v1/` covers
    /// `/v1/x`; `/v1` covers `/v1` and `/v1/x` but not `/v1x`).
    pub fn allows(&self, url: &Url) -> bool {
        if url.origin() != self.origin {
            return false;
        }
        let p = url.path();
        if self.path == "/" || self.path.is_empty() || p == self.path {
            return true;
        }
        let prefix = if self.path.ends_with('/') {
            self.path.clone()
        } else {
            format!("{}/", self.path)
        };
        p.starts_with(&prefix)
    }
}

fn check_allowed(allowlist: &[String], url: &Url) -> Result<()> {
    let shown = url.origin().ascii_serialization();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(Error::FetchNotAllowed(format!(
                "{shown}: plain http to a non-loopback host would expose the token"
            )))
        }
        other => return Err(Error::FetchNotAllowed(format!("scheme `{other}`"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::FetchInvalidRequest(
            "URLs with credentials are refused".into(),
        ));
    }
    let allowed = allowlist
        .iter()
        .filter_map(|e| AllowedPrefix::parse(e).ok())
        .any(|a| a.allows(url));
    if allowed {
        Ok(())
    } else {
        Err(Error::FetchNotAllowed(format!(
            "{shown}{} is not on the provider's fetchAllowlist",
            url.path()
        )))
    }
}

impl SessionManager {
    /// Sends `request` with `Authorization: Bearer <access token>` of `(provider, account)`.
    /// On a 401 the session refreshes once (shared with every other caller) and the request
    /// is retried once.
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
    fn allow_list_matching() {
        let list = vec![
            "https://api.example.com".to_string(),
            "https://files.example.com/v1".to_string(),
            "http://127.0.0.1:8080/".to_string(),
        ];
        let ok = [
            "https://api.example.com/",
            "https://api.example.com/me?x=1",
            "https://api.example.com:443/deep/path",
            "https://files.example.com/v1",
            "https://files.example.com/v1/a/b",
            "http://127.0.0.1:8080/anything",
        ];
        for url in ok {
            check_allowed(&list, &u(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let refused = [
            ("https://api.example.com.evil.net/", "fetch_not_allowed"),
            ("https://evil.example.com/", "fetch_not_allowed"),
            ("http://api.example.com/", "fetch_not_allowed"),
            ("https://api.example.com:8443/", "fetch_not_allowed"),
            ("https://files.example.com/v1x", "fetch_not_allowed"),
            ("https://files.example.com/v2/a", "fetch_not_allowed"),
            ("https://files.example.com/", "fetch_not_allowed"),
            ("http://127.0.0.1:8081/", "fetch_not_allowed"),
            ("ftp://api.example.com/", "fetch_not_allowed"),
            ("https://user:pw@api.example.com/", "fetch_invalid_request"),
        ];
        for (url, code) in refused {
            assert_eq!(
                check_allowed(&list, &u(url)).unwrap_err().code(),
                code,
                "{url}"
            );
        }
        assert_eq!(
            check_allowed(&[], &u("https://api.example.com/"))
                .unwrap_err()
                .code(),
            "fetch_not_allowed"
        );
    }

    #[test]
    fn allow_list_entries_are_validated() {
        for bad in [
            "api.example.com",
            "http://api.example.com",
            "https://a.example/?q",
            "https://u:p@a.example",
            "ws://a.example",
        ] {
            assert!(AllowedPrefix::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "https://a.example",
            "https://a.example/v1/",
            "http://localhost:3000",
            "http://[::1]:9/",
        ] {
            AllowedPrefix::parse(good).unwrap();
        }
    }
}
