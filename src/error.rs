//! The plugin's one error type, with a stable snake_case [`Error::code`] per variant.
//!
//! Errors reach page script as `{ code, message }`. No message ever contains a token, an
//! authorization code or a PKCE verifier: variants carry only our own text, URLs of endpoints,
//! and the `error` / `error_description` the provider sent.

use serde::{ser::SerializeStruct, Serialize, Serializer};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong. Match on [`Error::code`] for a stable identifier.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; `field` names the offending setting.
    #[error("invalid configuration `{field}`: {message}")]
    InvalidConfig {
        /// Path of the setting, e.g. `providers.google.issuer`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// No provider is configured under this id.
    #[error("unknown provider `{0}`")]
    UnknownProvider(String),
    /// Discovery (OpenID Connect Discovery / RFC 8414) failed or returned unusable metadata.
    #[error("discovery failed: {0}")]
    DiscoveryFailed(String),
    /// The issuer in the metadata or in an authorization response (RFC 9207) is not the configured one.
    #[error("issuer mismatch: expected `{expected}`, got `{found}`")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// What the provider sent (or `(missing)`).
        found: String,
    },
    /// The system browser could not be opened.
    #[error("could not open the system browser: {0}")]
    BrowserOpenFailed(String),
    /// The loopback redirect listener could not be started.
    #[error("could not start the loopback redirect listener: {0}")]
    RedirectListenerFailed(String),
    /// A sign-in is already running for this provider.
    #[error("a sign-in is already in progress for provider `{0}`")]
    LoginInProgress(String),
    /// The sign-in was cancelled by the application.
    #[error("sign-in cancelled")]
    LoginCancelled,
    /// The user did not finish signing in within the configured time.
    #[error("sign-in timed out after {0} s")]
    LoginTimedOut(u64),
    /// The provider refused the authorization request with `access_denied`.
    #[error("authorization denied by the provider: {}", describe(.error, .description))]
    AuthorizationDenied {
        /// The provider's `error` (RFC 6749 §4.1.2.1).
        error: String,
        /// The provider's `error_description`, if any.
        description: Option<String>,
    },
    /// The provider answered the authorization request with another error.
    #[error("authorization failed: {}", describe(.error, .description))]
    AuthorizationFailed {
        /// The provider's `error` (RFC 6749 §4.1.2.1).
        error: String,
        /// The provider's `error_description`, if any.
        description: Option<String>,
    },
    /// The redirect carried the right `state` but was otherwise unusable.
    #[error("invalid authorization response: {0}")]
    InvalidAuthorizationResponse(String),
    /// The token endpoint refused to exchange the authorization code.
    #[error("token exchange failed: {0}")]
    TokenExchangeFailed(String),
    /// No session for this provider and account: sign in first.
    #[error("not signed in to `{provider}` as account `{account}`")]
    NotSignedIn {
        /// Provider id.
        provider: String,
        /// Account name.
        account: String,
    },
    /// The provider refused the refresh token (`invalid_grant`: revoked, expired or reused):
    /// the session has ended and its record was wiped.
    #[error("session expired: {0}")]
    SessionExpired(String),
    /// The provider refused a refresh for another reason (`invalid_client`, `invalid_scope`…);
    /// the session is kept.
    #[error("token refresh failed: {0}")]
    RefreshFailed(String),
    /// The ID token failed validation.
    #[error("ID token invalid: {0}")]
    IdTokenInvalid(String),
    /// A transport error, a timeout or a 5xx: nothing was lost, try again.
    #[error("network error: {0}")]
    Network(String),
    /// A provider response could not be parsed.
    #[error("invalid response from the provider: {0}")]
    InvalidResponse(String),
    /// `fetch` to a URL outside the provider's allow-list (or plain http to a non-loopback
    /// host): no request was sent.
    #[error("fetch not allowed: {0}")]
    FetchNotAllowed(String),
    /// A `fetch` request that cannot be sent as given (method, header, URL, Authorization).
    #[error("invalid fetch request: {0}")]
    FetchInvalidRequest(String),
    /// A `fetch` response body over the configured `fetchMaxBodyBytes`.
    #[error("fetch response larger than {0} bytes")]
    FetchResponseTooLarge(usize),
    /// The OS credential store is missing, locked or failing; nothing was changed.
    #[error("credential store unavailable: {0}")]
    StoreUnavailable(String),
    /// A stored record could not be read back; the session is treated as signed out.
    #[error("stored session is corrupted: {0}")]
    StoreCorrupted(String),
    /// The stored record was written by a newer version of the app (a higher format version or
    /// fields this build does not know): refused and left intact, never wiped.
    #[error("stored session from a newer app version: {0}")]
    StoreUnsupportedVersion(String),
    /// The operation is not available on this platform (yet).
    #[error("not supported on this platform: {0}")]
    Unsupported(String),
    /// Something in this plugin went wrong that should not have.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe(error: &str, description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!("{error} ({d})"),
        _ => error.to_string(),
    }
}

impl Error {
    /// A stable snake_case identifier for the variant, safe to match on in Rust and JS.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfig { .. } => "invalid_config",
            Error::UnknownProvider(_) => "unknown_provider",
            Error::DiscoveryFailed(_) => "discovery_failed",
            Error::IssuerMismatch { .. } => "issuer_mismatch",
            Error::BrowserOpenFailed(_) => "browser_open_failed",
            Error::RedirectListenerFailed(_) => "redirect_listener_failed",
            Error::LoginInProgress(_) => "login_in_progress",
            Error::LoginCancelled => "login_cancelled",
            Error::LoginTimedOut(_) => "login_timed_out",
            Error::AuthorizationDenied { .. } => "authorization_denied",
            Error::AuthorizationFailed { .. } => "authorization_failed",
            Error::InvalidAuthorizationResponse(_) => "invalid_authorization_response",
            Error::TokenExchangeFailed(_) => "token_exchange_failed",
            Error::NotSignedIn { .. } => "not_signed_in",
            Error::SessionExpired(_) => "session_expired",
            Error::RefreshFailed(_) => "refresh_failed",
            Error::IdTokenInvalid(_) => "id_token_invalid",
            Error::Network(_) => "network",
            Error::InvalidResponse(_) => "invalid_response",
            Error::FetchNotAllowed(_) => "fetch_not_allowed",
            Error::FetchInvalidRequest(_) => "fetch_invalid_request",
            Error::FetchResponseTooLarge(_) => "fetch_response_too_large",
            Error::StoreUnavailable(_) => "store_unavailable",
            Error::StoreCorrupted(_) => "store_corrupted",
            Error::StoreUnsupportedVersion(_) => "store_unsupported_version",
            Error::Unsupported(_) => "unsupported",
            Error::Internal(_) => "internal",
        }
    }

    pub(crate) fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Serialized as `{ "code": "...", "message": "..." }` for the webview.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_code_and_message() {
        let e = Error::AuthorizationDenied {
            error: "access_denied".into(),
            description: Some("End-User aborted interaction".into()),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "authorization_denied");
        assert_eq!(
            v["message"],
            "authorization denied by the provider: access_denied (End-User aborted interaction)"
        );
    }

    /// One value of every variant.
    fn every_variant() -> Vec<Error> {
        vec![
            Error::config("a", "b"),
            Error::UnknownProvider("p".into()),
            Error::DiscoveryFailed(String::new()),
            Error::IssuerMismatch {
                expected: String::new(),
                found: String::new(),
            },
            Error::BrowserOpenFailed(String::new()),
            Error::RedirectListenerFailed(String::new()),
            Error::LoginInProgress(String::new()),
            Error::LoginCancelled,
            Error::LoginTimedOut(1),
            Error::AuthorizationDenied {
                error: String::new(),
                description: None,
            },
            Error::AuthorizationFailed {
                error: String::new(),
                description: None,
            },
            Error::InvalidAuthorizationResponse(String::new()),
            Error::TokenExchangeFailed(String::new()),
            Error::NotSignedIn {
                provider: String::new(),
                account: String::new(),
            },
            Error::SessionExpired(String::new()),
            Error::RefreshFailed(String::new()),
            Error::IdTokenInvalid(String::new()),
            Error::Network(String::new()),
            Error::InvalidResponse(String::new()),
            Error::FetchNotAllowed(String::new()),
            Error::FetchInvalidRequest(String::new()),
            Error::FetchResponseTooLarge(1),
            Error::StoreUnavailable(String::new()),
            Error::StoreCorrupted(String::new()),
            Error::StoreUnsupportedVersion(String::new()),
            Error::Unsupported(String::new()),
            Error::Internal(String::new()),
        ]
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let all = every_variant();
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        for c in &codes {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn error_codes_match_the_typescript_union_and_the_readme_table() {
        use super::contract_files::{readme_table, ts_union};
        let rust: std::collections::BTreeSet<String> = every_variant()
            .iter()
            .map(|e| e.code().to_string())
            .collect();
        assert_eq!(ts_union("ErrorCode"), rust, "guest-js/index.ts ErrorCode");
        let mut readme = readme_table("Errors");
        assert!(
            readme.remove("not_allowed"),
            "the JS-only `not_allowed` row"
        );
        assert_eq!(readme, rust, "README ## Errors");
    }
}

/// Readers of the other places the contract is written down (the TypeScript API and the
/// README), for tests that keep them in step with the Rust types.
#[cfg(test)]
pub(crate) mod contract_files {
    /// The members of `export type <name> = | 'a' | 'b'…` in guest-js/index.ts.
    pub(crate) fn ts_union(name: &str) -> std::collections::BTreeSet<String> {
        let ts = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/guest-js/index.ts"))
            .unwrap();
        let start = ts
            .find(&format!("export type {name} ="))
            .unwrap_or_else(|| panic!("no `export type {name}` in guest-js/index.ts"));
        ts[start..]
            .lines()
            .skip(1)
            .map_while(|l| l.trim().strip_prefix("| '"))
            .map(|l| l.trim_end_matches('\'').to_string())
            .collect()
    }

    /// The backticked snake_case names in the first column of the README table under `heading`.
    pub(crate) fn readme_table(heading: &str) -> std::collections::BTreeSet<String> {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let start = readme
            .find(&format!("\n## {heading}\n"))
            .unwrap_or_else(|| panic!("no `## {heading}` in the README"));
        readme[start..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .flat_map(|row| {
                let first = row.split('|').nth(1).unwrap_or("");
                first
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}
