//! Types exchanged with the webview (camelCase JSON). None of them carries a token.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::Error;
pub use crate::session::{SessionEvent, SessionState, SessionStatus};

/// What `logout` did, as page script sees it. All platforms.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutResult {
    /// Whether the provider confirmed the revocation (RFC 7009).
    pub revoked: bool,
    /// Why revocation failed (`{ code, message }`); the session is wiped anyway.
    pub revocation_error: Option<Error>,
    /// Whether the provider offers RP-initiated logout in the browser (the URL itself carries
    /// the ID token and stays in Rust: `TokenVault::end_session_url`).
    pub end_session_available: bool,
}

/// Milliseconds since the Unix epoch.
pub fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A `fetch` request from page script (`authFetch`). All platforms.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchArgs {
    /// HTTP method.
    pub method: String,
    /// Absolute URL (must be on the provider's `fetchAllowlist`).
    pub url: String,
    /// Header pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Body, standard base64; `null` for none.
    #[serde(default)]
    pub body: Option<String>,
    /// Timeout in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// A `fetch` response for page script. All platforms.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchResult {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub status_text: String,
    /// Header pairs.
    pub headers: Vec<(String, String)>,
    /// Body, standard base64.
    pub body: String,
    /// The URL that answered.
    pub url: String,
}

impl FetchArgs {
    /// Validates and converts to the core request.
    pub fn into_request(self) -> Result<crate::fetch::FetchRequest, Error> {
        use base64::Engine;
        let url = url::Url::parse(&self.url)
            .map_err(|e| Error::FetchInvalidRequest(format!("URL `{}`: {e}", self.url)))?;
        let body = match self.body {
            Some(b) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| Error::FetchInvalidRequest(format!("body is not base64: {e}")))?,
            ),
            None => None,
        };
        Ok(crate::fetch::FetchRequest {
            method: self.method,
            url,
            headers: self.headers,
            body,
            timeout: self.timeout_ms.map(std::time::Duration::from_millis),
        })
    }
}

impl From<crate::fetch::FetchResponse> for FetchResult {
    fn from(r: crate::fetch::FetchResponse) -> Self {
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
