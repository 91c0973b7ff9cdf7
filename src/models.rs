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
