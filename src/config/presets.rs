//! Provider presets (`"preset": "entra"`…): the configuration-file settings each known
//! provider needs, filled in under what the file sets itself.
//!
//! A preset is the provider's defaults written in the configuration file's own keys, so
//! every value is overridable the same way it is set, and the README's table of presets is
//! rendered from the same data (a test compares them).

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A known provider whose quirks the plugin fills in (`preset` in the configuration file,
/// [`crate::ProviderConfig::from_preset`] in Rust). Every value a preset sets can be
/// overridden by setting it.
///
/// ```
/// use tauri_plugin_token_vault::{Preset, ProviderConfig};
///
/// // Any Microsoft Entra tenant, work or school accounts and personal ones.
/// let entra = ProviderConfig::from_preset(Preset::Entra, "00000000-0000-0000-0000-000000000000");
/// entra.validate()?;
/// # Ok::<(), tauri_plugin_token_vault::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Preset {
    /// Microsoft Entra ID (Azure AD) v2.0 endpoints.
    Entra,
    /// Google (OpenID Connect, desktop-app clients).
    Google,
    /// Auth0.
    Auth0,
    /// Okta.
    Okta,
    /// Keycloak.
    Keycloak,
    /// Amazon Cognito user pools.
    Cognito,
    /// GitHub OAuth apps (no OpenID Connect, no discovery).
    Github,
    /// GitLab (gitlab.com; set `issuer` for a self-managed instance).
    Gitlab,
    /// Sign in with Apple.
    Apple,
    /// Dex.
    Dex,
}

/// What a preset sets, and what the configuration must still give.
pub(crate) struct PresetSpec {
    /// The configuration-file settings it fills in.
    pub(crate) defaults: Map<String, Value>,
    /// The settings it cannot know (a tenant's issuer, the client's secret).
    pub(crate) required: &'static [&'static str],
}

/// The Entra tenant names that stand for several tenants: their metadata publishes the
/// issuer with a `{tenantid}` placeholder.
pub(crate) const ENTRA_MULTI_TENANT: &[&str] = &["common", "organizations"];

/// Entra's tenant of personal Microsoft accounts: `/consumers` publishes its issuer.
pub(crate) const ENTRA_CONSUMERS_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

impl Preset {
    /// Every preset, in the README's order.
    pub const ALL: [Preset; 10] = [
        Preset::Entra,
        Preset::Google,
        Preset::Auth0,
        Preset::Okta,
        Preset::Keycloak,
        Preset::Cognito,
        Preset::Github,
        Preset::Gitlab,
        Preset::Apple,
        Preset::Dex,
    ];

    /// The preset's name in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Entra => "entra",
            Preset::Google => "google",
            Preset::Auth0 => "auth0",
            Preset::Okta => "okta",
            Preset::Keycloak => "keycloak",
            Preset::Cognito => "cognito",
            Preset::Github => "github",
            Preset::Gitlab => "gitlab",
            Preset::Apple => "apple",
            Preset::Dex => "dex",
        }
    }

    /// The settings this preset fills in for client `client_id` (GitHub's revocation URL
    /// names it), and what must still be given.
    pub(crate) fn spec(self, client_id: &str) -> PresetSpec {
        // The OpenID Connect providers that issue refresh tokens for `offline_access` without
        // a forced consent screen: `prompt=consent` would show one at every sign-in (Okta).
        let offline = || {
            json!({
                "scopes": ["openid", "profile", "offline_access"],
                "offlineAccessPromptConsent": false,
            })
        };
        let (defaults, required): (Value, &'static [&'static str]) = match self {
            Preset::Entra => (
                json!({
                    "issuer": "https://login.microsoftonline.com/common/v2.0",
                    "scopes": ["openid", "profile", "offline_access"],
                    "offlineAccessPromptConsent": false,
                    // Entra accepts any port only for http://localhost.
                    "redirect": { "host": "localhost" },
                    // Entra has no revocation endpoint.
                    "revocationStyle": "none",
                }),
                &["clientId"],
            ),
            Preset::Google => (
                json!({
                    "issuer": "https://accounts.google.com",
                    // Google's ID tokens may name the issuer without the scheme.
                    "issuerAliases": ["accounts.google.com"],
                    // Google refuses `offline_access`; desktop clients get refresh tokens.
                    "scopes": ["openid", "email", "profile"],
                    "offlineAccessPromptConsent": false,
                }),
                // Google's desktop clients have a secret (not confidential, RFC 8252 §8.5).
                &["clientId", "clientSecret"],
            ),
            Preset::Auth0 | Preset::Okta | Preset::Keycloak => (offline(), &["issuer", "clientId"]),
            Preset::Cognito => (
                json!({
                    // Cognito refuses `offline_access`; the code grant always gives a refresh
                    // token.
                    "scopes": ["openid", "email", "profile"],
                    "offlineAccessPromptConsent": false,
                    // Cognito allows plain http for localhost only.
                    "redirect": { "host": "localhost" },
                }),
                &["issuer", "clientId"],
            ),
            Preset::Github => (
                json!({
                    "discovery": false,
                    "endpoints": {
                        "authorization": "https://github.com/login/oauth/authorize",
                        "token": "https://github.com/login/oauth/access_token",
                        "revocation": github_revocation(client_id),
                    },
                    "scopes": ["read:user"],
                    "tokenEndpointAuthMethod": "client_secret_post",
                    "revocationStyle": "github",
                    // OAuth apps' tokens never expire and come without a refresh token.
                    "persistAccessToken": true,
                    // GitHub Apps' expiring tokens: a dead refresh token is `bad_refresh_token`.
                    "deadRefreshTokenErrors": ["invalid_grant", "bad_refresh_token"],
                }),
                &["clientId", "clientSecret"],
            ),
            Preset::Gitlab => (
                json!({
                    "issuer": "https://gitlab.com",
                    // GitLab refuses `offline_access`; it always gives a refresh token.
                    "scopes": ["openid", "profile"],
                    "offlineAccessPromptConsent": false,
                }),
                &["clientId"],
            ),
            Preset::Apple => (
                json!({
                    "issuer": "https://appleid.apple.com",
                    "scopes": ["openid"],
                    "offlineAccessPromptConsent": false,
                    "tokenEndpointAuthMethod": "client_secret_post",
                }),
                // The secret is an ES256 JWT the app signs: `ProviderConfig::client_credentials`.
                &["clientId", "clientSecret"],
            ),
            Preset::Dex => (
                json!({
                    "scopes": ["openid", "profile", "offline_access"],
                    "offlineAccessPromptConsent": false,
                    // Dex lets a public client redirect to `localhost` on any port.
                    "redirect": { "host": "localhost" },
                    // Dex answers a dead refresh token with `invalid_request`.
                    "deadRefreshTokenErrors": ["invalid_grant", "invalid_request"],
                    // Dex has no revocation endpoint.
                    "revocationStyle": "none",
                }),
                &["issuer", "clientId"],
            ),
        };
        let Value::Object(defaults) = defaults else {
            unreachable!("a preset is a JSON object")
        };
        PresetSpec { defaults, required }
    }
}

/// GitHub's revocation endpoint for `client_id`: `/applications/{client_id}/token`, the id
/// one escaped path segment (whatever it holds, it cannot change the URL's shape).
pub(crate) fn github_revocation(client_id: &str) -> String {
    let mut url = url::Url::parse("https://api.github.com/applications").expect("a URL");
    url.path_segments_mut()
        .expect("an https URL has a path")
        .push(client_id)
        .push("token");
    url.into()
}

/// Puts `defaults` under `config`: a key the configuration has keeps its value, objects
/// (`redirect`, `endpoints`) are merged key by key, anything else missing is added.
pub(crate) fn fill_in(config: &mut Map<String, Value>, defaults: Map<String, Value>) {
    for (key, default) in defaults {
        match (config.get_mut(&key), default) {
            (None, default) => {
                config.insert(key, default);
            }
            (Some(Value::Object(set)), Value::Object(default)) => fill_in(set, default),
            (Some(_), _) => {}
        }
    }
}

/// The `issuerTemplate` Entra's metadata implies for `issuer`: multi-tenant issuers (`common`,
/// `organizations`) publish `https://login.microsoftonline.com/{tenantid}/v2.0`; a tenant's
/// own issuer needs none.
pub(crate) fn entra_issuer_template(issuer: &url::Url) -> Option<String> {
    let mut segments = issuer.path_segments()?;
    let tenant = segments.next()?;
    ENTRA_MULTI_TENANT.contains(&tenant).then(|| {
        format!(
            "{}/{{tenantid}}/v2.0",
            issuer.origin().ascii_serialization()
        )
    })
}

#[cfg(test)]
mod tests;
