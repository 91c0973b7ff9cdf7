//! Types exchanged with the webview (camelCase JSON). None of them carries a token.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::signin::SignedIn;

/// A signed-in session as page script sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Provider id from the configuration. All platforms.
    pub provider: String,
    /// The ID token's `sub`, when OpenID Connect is used. All platforms.
    pub subject: Option<String>,
    /// The validated ID token claims (`name`, `email`…). All platforms.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// Granted scopes. All platforms.
    pub scopes: Vec<String>,
    /// When the access token expires, in milliseconds since the Unix epoch. All platforms.
    pub expires_at: Option<u64>,
}

impl SessionInfo {
    /// Builds the page-script view of a sign-in (claims, scopes, expiry; never tokens).
    pub fn from_signed_in(provider: &str, s: &SignedIn) -> Self {
        let claims = s
            .claims
            .as_ref()
            .and_then(|c| match serde_json::to_value(c) {
                Ok(serde_json::Value::Object(m)) => Some(m),
                _ => None,
            });
        Self {
            provider: provider.to_string(),
            subject: s.subject().map(String::from),
            claims,
            scopes: s.tokens.scopes.clone(),
            expires_at: s.tokens.expires_at.map(epoch_millis),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
