//! Provider configuration: `tauri.conf.json` → `plugins.token-vault`, or built in Rust.
//!
//! ```json
//! {
//!   "plugins": {
//!     "token-vault": {
//!       "providers": {
//!         "auth0": {
//!           "issuer": "https://example.eu.auth0.com/",
//!           "clientId": "AbCdEf123",
//!           "scopes": ["openid", "profile", "offline_access"],
//!           "extraParams": { "audience": "https://api.example.com" }
//!         }
//!       }
//!     }
//!   }
//! }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};
use crate::secret::ClientSecret;

/// Authorization request parameters the plugin sets itself; `extraParams` may not override them.
const RESERVED_PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// The whole plugin configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Credential-store service name the sessions are stored under; default: the app
    /// identifier.
    #[serde(default)]
    pub service: Option<String>,
    /// Providers by id (the id is what `login("<id>")` takes).
    #[serde(default)]
    pub providers: HashMap<String, ProviderConfig>,
}

impl Config {
    /// Checks every provider; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (id, p) in &self.providers {
            if id.is_empty() {
                return Err(Error::config("providers", "provider id must not be empty"));
            }
            p.validate(&format!("providers.{id}"))?;
        }
        Ok(())
    }
}

/// Endpoints given explicitly, for providers without discovery.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    /// Authorization endpoint (RFC 6749 §3.1).
    pub authorization: Url,
    /// Token endpoint (RFC 6749 §3.2).
    pub token: Url,
    /// JWKS for ID token validation; required when `openid` is requested.
    #[serde(default)]
    pub jwks_uri: Option<Url>,
    /// Revocation endpoint (RFC 7009).
    #[serde(default)]
    pub revocation: Option<Url>,
    /// UserInfo endpoint (OpenID Connect Core §5.3).
    #[serde(default)]
    pub userinfo: Option<Url>,
    /// RP-initiated logout endpoint.
    #[serde(default)]
    pub end_session: Option<Url>,
}

/// Where the provider redirects back to.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectConfig {
    /// Loopback port on 127.0.0.1; 0 (default) picks a free ephemeral port (RFC 8252 §7.3).
    #[serde(default)]
    pub port: u16,
    /// Path of the redirect URI; default `/callback`.
    #[serde(default = "default_path")]
    pub path: String,
}

impl Default for RedirectConfig {
    fn default() -> Self {
        Self {
            port: 0,
            path: default_path(),
        }
    }
}

fn default_path() -> String {
    "/callback".into()
}
fn default_scopes() -> Vec<String> {
    vec!["openid".into()]
}
fn default_true() -> bool {
    true
}
fn default_clock_skew() -> u64 {
    60
}
fn default_login_timeout() -> u64 {
    300
}
fn default_http_timeout() -> u64 {
    30
}
fn default_fetch_max_body() -> usize {
    10 * 1024 * 1024
}

/// One OAuth 2.0 / OpenID Connect provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfig {
    /// Issuer identifier; its metadata is discovered (OpenID Connect Discovery, then RFC 8414)
    /// and the returned `issuer` must equal this value exactly.
    #[serde(default)]
    pub issuer: Option<Url>,
    /// Explicit endpoints instead of discovery (or overriding nothing when `issuer` is set too:
    /// with both, discovery wins and this is an error).
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    /// The OAuth client id registered at the provider.
    pub client_id: String,
    /// Optional client secret (e.g. Google desktop clients). Not confidential in a native app
    /// (RFC 8252 §8.5), but never logged.
    #[serde(default)]
    pub client_secret: Option<ClientSecret>,
    /// Scopes to request; default `["openid"]`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Extra authorization request parameters (`audience`, `prompt`, `login_hint`…).
    #[serde(default)]
    pub extra_params: BTreeMap<String, String>,
    /// Loopback redirect settings (desktop).
    #[serde(default)]
    pub redirect: RedirectConfig,
    /// Extra trusted CA certificates: PEM text, or a path to a PEM file.
    #[serde(default)]
    pub ca_certificates: Vec<String>,
    /// Allowed clock skew for ID token `exp`/`iat`, in seconds; default 60.
    #[serde(default = "default_clock_skew")]
    pub clock_skew_secs: u64,
    /// How long a sign-in may take before it fails with `login_timed_out`; default 300 s.
    #[serde(default = "default_login_timeout")]
    pub login_timeout_secs: u64,
    /// Timeout of each HTTP request to the provider; default 30 s.
    #[serde(default = "default_http_timeout")]
    pub http_timeout_secs: u64,
    /// Refresh the access token when it expires within this many seconds; default 60.
    #[serde(default = "default_clock_skew")]
    pub refresh_leeway_secs: u64,
    /// Origins (`https://api.example.com`) or URL prefixes (`https://api.example.com/v1/`)
    /// that may receive this provider's access token through `fetch`. Empty: `fetch` is off.
    #[serde(default)]
    pub fetch_allowlist: Vec<String>,
    /// Largest response body `fetch` returns, in bytes; default 10 MiB.
    #[serde(default = "default_fetch_max_body")]
    pub fetch_max_body_bytes: usize,
    /// OpenID Connect Core §11: when `offline_access` is requested, also send `prompt=consent`
    /// (unless `extraParams` sets a `prompt`). Default true; some providers (Entra ID) want false.
    #[serde(default = "default_true")]
    pub offline_access_prompt_consent: bool,
}

impl ProviderConfig {
    /// A provider discovered from `issuer`, with default settings.
    pub fn new(issuer: Url, client_id: impl Into<String>) -> Self {
        Self {
            issuer: Some(issuer),
            endpoints: None,
            client_id: client_id.into(),
            client_secret: None,
            scopes: default_scopes(),
            extra_params: BTreeMap::new(),
            redirect: RedirectConfig::default(),
            ca_certificates: Vec::new(),
            clock_skew_secs: default_clock_skew(),
            login_timeout_secs: default_login_timeout(),
            http_timeout_secs: default_http_timeout(),
            refresh_leeway_secs: default_clock_skew(),
            fetch_allowlist: Vec::new(),
            fetch_max_body_bytes: default_fetch_max_body(),
            offline_access_prompt_consent: true,
        }
    }

    /// Allowed clock skew.
    pub fn clock_skew(&self) -> Duration {
        Duration::from_secs(self.clock_skew_secs)
    }

    /// Sign-in timeout.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs)
    }

    /// Whether the `openid` scope is requested (ID token expected).
    pub fn is_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == "openid")
    }

    /// Reads `ca_certificates` into PEM bytes (file paths are read here).
    pub fn ca_certificate_pems(&self, field: &str) -> Result<Vec<Vec<u8>>> {
        self.ca_certificates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.trim_start().starts_with("-----BEGIN") {
                    Ok(c.as_bytes().to_vec())
                } else {
                    std::fs::read(PathBuf::from(c)).map_err(|e| {
                        Error::config(
                            format!("{field}.caCertificates[{i}]"),
                            format!("cannot read `{c}`: {e}"),
                        )
                    })
                }
            })
            .collect()
    }

    /// Checks the settings; `field` is this provider's path for error messages.
    pub fn validate(&self, field: &str) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::config(
                format!("{field}.clientId"),
                "must not be empty",
            ));
        }
        match (&self.issuer, &self.endpoints) {
            (None, None) => {
                return Err(Error::config(
                    format!("{field}.issuer"),
                    "set `issuer` (discovery) or `endpoints`",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    format!("{field}.endpoints"),
                    "set either `issuer` or `endpoints`, not both",
                ))
            }
            (Some(issuer), None) => {
                check_secure_url(issuer, &format!("{field}.issuer"))?;
                if issuer.query().is_some() || issuer.fragment().is_some() {
                    return Err(Error::config(
                        format!("{field}.issuer"),
                        "an issuer has no query or fragment",
                    ));
                }
            }
            (None, Some(e)) => {
                check_secure_url(
                    &e.authorization,
                    &format!("{field}.endpoints.authorization"),
                )?;
                check_secure_url(&e.token, &format!("{field}.endpoints.token"))?;
                for (name, u) in [
                    ("jwksUri", &e.jwks_uri),
                    ("revocation", &e.revocation),
                    ("userinfo", &e.userinfo),
                    ("endSession", &e.end_session),
                ] {
                    if let Some(u) = u {
                        check_secure_url(u, &format!("{field}.endpoints.{name}"))?;
                    }
                }
                if self.is_openid() && e.jwks_uri.is_none() {
                    return Err(Error::config(
                        format!("{field}.endpoints.jwksUri"),
                        "required when the `openid` scope is requested",
                    ));
                }
            }
        }
        if self.scopes.is_empty() {
            return Err(Error::config(
                format!("{field}.scopes"),
                "must not be empty",
            ));
        }
        for s in &self.scopes {
            if s.is_empty()
                || s.chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\\')
            {
                return Err(Error::config(
                    format!("{field}.scopes"),
                    format!("`{s}` is not a valid scope token (RFC 6749 §3.3)"),
                ));
            }
        }
        for k in self.extra_params.keys() {
            if RESERVED_PARAMS.contains(&k.as_str()) {
                return Err(Error::config(
                    format!("{field}.extraParams.{k}"),
                    "is set by the plugin and cannot be overridden",
                ));
            }
        }
        if !self.redirect.path.starts_with('/') || self.redirect.path.contains(['?', '#']) {
            return Err(Error::config(
                format!("{field}.redirect.path"),
                "must start with `/` and have no query or fragment",
            ));
        }
        if self.login_timeout_secs == 0 {
            return Err(Error::config(
                format!("{field}.loginTimeoutSecs"),
                "must be > 0",
            ));
        }
        if self.http_timeout_secs == 0 {
            return Err(Error::config(
                format!("{field}.httpTimeoutSecs"),
                "must be > 0",
            ));
        }
        for (i, entry) in self.fetch_allowlist.iter().enumerate() {
            crate::fetch::AllowedPrefix::parse(entry)
                .map_err(|m| Error::config(format!("{field}.fetchAllowlist[{i}]"), m))?;
        }
        if self.fetch_max_body_bytes == 0 {
            return Err(Error::config(
                format!("{field}.fetchMaxBodyBytes"),
                "must be > 0",
            ));
        }
        self.ca_certificate_pems(field)?;
        Ok(())
    }
}

/// `https`, or plain `http` only on a loopback host (local development).
pub(crate) fn check_secure_url(u: &Url, field: &str) -> Result<()> {
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(u) => Ok(()),
        other => Err(Error::config(
            field,
            format!("must be an https URL (got `{other}:`); plain http is allowed only for loopback hosts"),
        )),
    }
}

pub(crate) fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<Config, String> {
        serde_json::from_str::<Config>(json).map_err(|e| e.to_string())
    }

    fn invalid_field(json: &str) -> String {
        match parse(json).unwrap().validate() {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("expected invalid_config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_applied() {
        let c = parse(r#"{"providers":{"p":{"issuer":"https://id.example.com","clientId":"c"}}}"#)
            .unwrap();
        c.validate().unwrap();
        let p = &c.providers["p"];
        assert_eq!(p.scopes, ["openid"]);
        assert_eq!(p.redirect.port, 0);
        assert_eq!(p.redirect.path, "/callback");
        assert_eq!(p.clock_skew_secs, 60);
        assert_eq!(p.login_timeout_secs, 300);
        assert!(p.offline_access_prompt_consent);
    }

    #[test]
    fn client_secret_is_not_printed_by_debug() {
        let c = parse(
            r#"{"providers":{"g":{"issuer":"https://accounts.google.com","clientId":"c","clientSecret":"GOCSPX-abc"}}}"#,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("GOCSPX-abc"));
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":""}}}"#,
                "providers.p.clientId",
            ),
            (
                r#"{"providers":{"p":{"clientId":"c"}}}"#,
                "providers.p.issuer",
            ),
            (
                r#"{"providers":{"p":{"issuer":"http://id.example.com","clientId":"c"}}}"#,
                "providers.p.issuer",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x?a=b","clientId":"c"}}}"#,
                "providers.p.issuer",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","scopes":["open id"]}}}"#,
                "providers.p.scopes",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","scopes":[]}}}"#,
                "providers.p.scopes",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","extraParams":{"state":"x"}}}}"#,
                "providers.p.extraParams.state",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","redirect":{"path":"cb"}}}}"#,
                "providers.p.redirect.path",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","loginTimeoutSecs":0}}}"#,
                "providers.p.loginTimeoutSecs",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","caCertificates":["/nonexistent/ca.pem"]}}}"#,
                "providers.p.caCertificates[0]",
            ),
            (
                r#"{"providers":{"p":{"endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c"}}}"#,
                "providers.p.endpoints.jwksUri",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c"}}}"#,
                "providers.p.endpoints",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(invalid_field(json), field, "{json}");
        }
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected_by_name() {
        let e = parse(r#"{"providers":{"p":{"issuer":"https://x","clientID":"c"}}}"#).unwrap_err();
        assert!(e.contains("clientID"), "{e}");
        let e = parse(r#"{"providers":{"p":{"issuer":"not a url","clientId":"c"}}}"#).unwrap_err();
        assert!(e.contains("relative URL"), "{e}");
    }

    #[test]
    fn http_is_allowed_on_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost/realms/x",
            "http://[::1]:9/",
        ] {
            check_secure_url(&Url::parse(ok).unwrap(), "f").unwrap();
        }
        for bad in ["http://10.0.0.1", "http://example.com", "ftp://127.0.0.1"] {
            assert!(
                check_secure_url(&Url::parse(bad).unwrap(), "f").is_err(),
                "{bad}"
            );
        }
    }
}
