//! Types the app and page script see (camelCase JSON). None of them carries a token. A leaf
//! module: it imports nothing of the crate but `error`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Signed in or not. All platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum SessionState {
    /// A session exists (an access token may need a refresh).
    SignedIn,
    /// No session.
    SignedOut,
}

/// Why a session changed ([`SessionEvent::reason`]); serialized in snake_case, the same
/// strings as the `SessionChangeReason` union of the webview API. All platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionChangeReason {
    /// Signed in through the browser.
    Login,
    /// A stored session was found at first use in this process.
    Restored,
    /// Signed out by `logout`.
    Logout,
    /// The provider refused the refresh token (`invalid_grant`): revoked, expired or reused.
    SessionExpired,
    /// The stored record could not be read; it was wiped.
    StoreCorrupted,
    /// Another process of the app signed out (the record disappeared from the store).
    SignedOutElsewhere,
    /// The stored record belongs to another issuer or client than configured now.
    ConfigurationChanged,
}

impl SessionChangeReason {
    /// Every reason, in declaration order.
    pub const ALL: [SessionChangeReason; 7] = [
        Self::Login,
        Self::Restored,
        Self::Logout,
        Self::SessionExpired,
        Self::StoreCorrupted,
        Self::SignedOutElsewhere,
        Self::ConfigurationChanged,
    ];

    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Restored => "restored",
            Self::Logout => "logout",
            Self::SessionExpired => "session_expired",
            Self::StoreCorrupted => "store_corrupted",
            Self::SignedOutElsewhere => "signed_out_elsewhere",
            Self::ConfigurationChanged => "configuration_changed",
        }
    }
}

/// Compares with the serialized name (`reason == "session_expired"`).
impl PartialEq<str> for SessionChangeReason {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Compares with the serialized name (`reason == "session_expired"`).
impl PartialEq<&str> for SessionChangeReason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for SessionChangeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user needs to approve a device-code sign-in (RFC 8628) on another device: show
/// `user_code` and `verification_uri`, or a QR code of `verification_uri_complete`. Given to
/// the callback of [`crate::SessionManager::login_with_device_code`]; page script gets it as
/// the `token-vault://device-code` event. The device code itself (what the app polls with) is
/// never in it. The user code approves this sign-in for whoever enters it: show it, never log
/// it (`Debug` leaves it and the complete URI out).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeviceCode {
    /// The provider id.
    pub provider: String,
    /// The account being signed in.
    pub account: String,
    /// The code the user enters.
    pub user_code: String,
    /// Where the user enters it.
    pub verification_uri: String,
    /// The verification URI with the code in it, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// Seconds until the codes expire (the sign-in then fails with `login_timed_out`).
    pub expires_in_secs: u64,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("provider", &self.provider)
            .field("account", &self.account)
            .field("user_code", &"[redacted]")
            .field("verification_uri", &self.verification_uri)
            .field("expires_in_secs", &self.expires_in_secs)
            .finish_non_exhaustive()
    }
}

/// Sent on every session change (Rust: [`crate::SessionManager::subscribe`]; page script:
/// the `token-vault://session-changed` event). Carries no token. All platforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionEvent {
    /// Provider id.
    pub provider: String,
    /// Account name.
    pub account: String,
    /// The new state.
    pub state: SessionState,
    /// Why.
    pub reason: SessionChangeReason,
    /// The subject, when signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The ID token claims, when known (without the sign-in's `nonce`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A session as seen from outside (no tokens). All platforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionStatus {
    /// Provider id.
    pub provider: String,
    /// Account name.
    pub account: String,
    /// Whether a session exists.
    pub signed_in: bool,
    /// The ID token's `sub`.
    pub subject: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Access-token expiry in milliseconds since the epoch, when one is held in memory.
    pub expires_at: Option<u64>,
    /// The latest validated ID token claims held in memory (without the sign-in's `nonce`).
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// For a session with DPoP-bound tokens (RFC 9449), the thumbprint of its key (RFC 7638,
    /// the `cnf.jkt` the provider bound them to); `None` for bearer tokens. Such tokens are
    /// usable only through `fetch` / `authFetch`, which sign a proof for every request.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// What `logout` did, as page script sees it. All platforms.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LogoutResult {
    /// Whether the provider confirmed the revocation (RFC 7009).
    pub revoked: bool,
    /// Why revocation failed (`{ code, message }`); the session is wiped anyway.
    pub revocation_error: Option<Error>,
    /// Why no revocation was attempted, when none was: the provider offers none (no
    /// revocation endpoint, `revocationStyle` `none`). Not an error.
    pub revocation_skipped: Option<String>,
    /// Whether the provider offers RP-initiated logout in the browser (the URL itself carries
    /// the ID token and stays in Rust: [`crate::LogoutReport::end_session_url`]).
    pub end_session_available: bool,
    /// Whether the credential store no longer holds the session (when `false`, the session
    /// still ended in this process; the next logout tries the store again).
    pub store_cleared: bool,
    /// Why the store could not be cleared (`{ code, message }`), if it could not.
    pub store_error: Option<Error>,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One `fetch` IPC call from page script (`authFetch`): the JSON side channel, sent
/// percent-encoded in the `Token-Vault-Fetch` IPC header; the request body (if any) is the
/// call's raw payload. `op` names what to do.
#[cfg(feature = "fetch")]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum FetchCall {
    /// Send a request. The answer is one raw IPC response: see `commands::fetch`.
    #[serde(rename_all = "camelCase")]
    Send {
        /// The caller's id of this request (for `cancel` and `ack`), unique per webview.
        #[serde(default)]
        id: Option<String>,
        /// Provider id (default: the only one configured).
        #[serde(default)]
        provider: Option<String>,
        /// Account name (default: `default`).
        #[serde(default)]
        account: Option<String>,
        /// A `Channel` (`__CHANNEL__:<n>`) to stream a body over `fetchMaxBodyBytes` on;
        /// without one such a body is `fetch_response_too_large`.
        #[serde(default)]
        channel: Option<String>,
        /// The request.
        request: FetchArgs,
    },
    /// Cancel request `id`: in flight, the request is dropped (its connection closed); while
    /// streaming, the stream ends. Unknown or finished ids are no error.
    Cancel {
        /// The request's id.
        id: String,
    },
    /// Page script consumed `bytes` more of request `id`'s stream: Rust may send that much
    /// more (flow control, so a slow reader keeps memory bounded).
    Ack {
        /// The request's id.
        id: String,
        /// How many bytes.
        bytes: u64,
    },
}

/// A `fetch` request from page script (`authFetch`), without its body.
#[cfg(feature = "fetch")]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FetchArgs {
    /// HTTP method.
    pub method: String,
    /// Absolute URL (must be on the provider's `fetchAllowlist`).
    pub url: String,
    /// Header pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Timeout in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// The head of a `fetch` response for page script (the JSON part of the raw IPC response).
#[cfg(feature = "fetch")]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FetchHead<'a> {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub status_text: &'a str,
    /// Header pairs.
    pub headers: &'a [(String, String)],
    /// The URL that answered.
    pub url: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::contract_files::{readme_table, ts_union};

    #[test]
    fn session_change_reasons_match_the_typescript_union_and_the_readme_table() {
        let rust: std::collections::BTreeSet<String> = SessionChangeReason::ALL
            .iter()
            .map(|r| {
                let json = serde_json::to_value(r).unwrap();
                assert_eq!(json, r.as_str(), "serde and as_str agree");
                r.as_str().to_string()
            })
            .collect();
        assert_eq!(rust.len(), SessionChangeReason::ALL.len());
        assert_eq!(
            ts_union("SessionChangeReason"),
            rust,
            "guest-js/index.ts SessionChangeReason"
        );
        assert_eq!(readme_table("Events"), rust, "README ## Events");
    }
}
