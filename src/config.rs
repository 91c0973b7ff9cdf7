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
use crate::url_policy::issuer::IssuerPolicy;
use crate::url_policy::{check_mobile_redirect_uri, check_secure_url, Allowlist};

mod presets;
pub use presets::Preset;

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

/// The whole plugin configuration: `plugins.token-vault` in `tauri.conf.json`, or built in
/// Rust.
///
/// ```
/// use tauri_plugin_token_vault::{Config, ProviderConfig};
///
/// let issuer = "https://example.eu.auth0.com/".parse()?;
/// let config = Config::default()
///     .service("com.example.app")
///     .provider("auth0", ProviderConfig::new(issuer, "AbCdEf123"));
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Credential-store service name the sessions are stored under; default: the app
    /// identifier.
    #[serde(default)]
    pub(crate) service: Option<String>,
    /// Providers by id (the id is what `login("<id>")` takes); each one's `preset` is filled
    /// in under what it sets.
    #[serde(default, deserialize_with = "providers_with_presets")]
    pub(crate) providers: HashMap<String, ProviderConfig>,
    /// iOS: the Keychain access group the sessions are stored in, to share them with the app's
    /// extensions: the full group name with the team prefix (`ABCDE12345.com.example.shared`),
    /// listed in the app's `keychain-access-groups` entitlement. Default: the app's own group.
    /// Other platforms ignore it.
    #[serde(default)]
    pub(crate) keychain_access_group: Option<String>,
}

/// Reads `providers`: each provider's `preset` settings under its own, then the provider.
fn providers_with_presets<'de, D>(
    d: D,
) -> std::result::Result<HashMap<String, ProviderConfig>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error as _;
    HashMap::<String, serde_json::Value>::deserialize(d)?
        .into_iter()
        .map(|(id, value)| {
            ProviderConfig::from_value(value)
                .map(|p| (id, p))
                .map_err(D::Error::custom)
        })
        .collect()
}

impl Config {
    /// Stores sessions under `service` in the credential store (default: the app identifier).
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Adds (or replaces) provider `id`.
    pub fn provider(mut self, id: impl Into<String>, provider: ProviderConfig) -> Self {
        self.providers.insert(id.into(), provider);
        self
    }

    /// The credential-store service name, when one is configured.
    pub fn service_name(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The iOS Keychain access group (`keychainAccessGroup`), when one is configured.
    pub fn keychain_access_group(&self) -> Option<&str> {
        self.keychain_access_group.as_deref()
    }

    /// Provider `id`, as read (its `preset` filled in) or added.
    ///
    /// ```
    /// use tauri_plugin_token_vault::Config;
    ///
    /// let config: Config = serde_json::from_str(
    ///     r#"{"providers":{"ms":{"preset":"entra","clientId":"00000000-0000-0000-0000-000000000000"}}}"#,
    /// )?;
    /// assert!(config.provider_config("ms").is_some());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn provider_config(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.get(id)
    }

    /// Checks every provider; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        // An empty group would silently mean the app's default group.
        if self.keychain_access_group.as_deref().map(str::trim) == Some("") {
            return Err(Error::config("keychainAccessGroup", "must not be empty"));
        }
        for (id, p) in &self.providers {
            if id.is_empty() {
                return Err(Error::config("providers", "provider id must not be empty"));
            }
            p.validate_at(&format!("providers.{id}"))?;
            // Sign-in on iOS and Android goes through the native authentication session.
            #[cfg(mobile)]
            p.mobile_redirect(&format!("providers.{id}"))?;
        }
        Ok(())
    }
}

/// Endpoints given explicitly: every endpoint of a provider without discovery, or, beside an
/// `issuer` that is discovered, the ones that replace what discovery found (Cognito's logout,
/// a revocation endpoint the metadata leaves out).
///
/// ```
/// use tauri_plugin_token_vault::Endpoints;
///
/// let endpoints = Endpoints::new(
///     "https://github.com/login/oauth/authorize".parse()?,
///     "https://github.com/login/oauth/access_token".parse()?,
/// );
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    /// Authorization endpoint (RFC 6749 §3.1); required without discovery.
    #[serde(default)]
    pub(crate) authorization: Option<Url>,
    /// Token endpoint (RFC 6749 §3.2); required without discovery.
    #[serde(default)]
    pub(crate) token: Option<Url>,
    /// JWKS for ID token validation; required when `openid` is requested.
    #[serde(default)]
    pub(crate) jwks_uri: Option<Url>,
    /// Revocation endpoint (RFC 7009).
    #[serde(default)]
    pub(crate) revocation: Option<Url>,
    /// UserInfo endpoint (OpenID Connect Core §5.3).
    #[serde(default)]
    pub(crate) userinfo: Option<Url>,
    /// RP-initiated logout endpoint.
    #[serde(default)]
    pub(crate) end_session: Option<Url>,
    /// Device authorization endpoint (RFC 8628 §3.1), for [`crate::SessionManager::login_with_device_code`].
    #[serde(default)]
    pub(crate) device_authorization: Option<Url>,
}

impl Endpoints {
    /// The authorization and token endpoints (RFC 6749 §3.1, §3.2).
    pub fn new(authorization: Url, token: Url) -> Self {
        Self {
            authorization: Some(authorization),
            token: Some(token),
            ..Self::default()
        }
    }

    /// No endpoint yet: overrides on top of discovery are added with the setters.
    ///
    /// ```
    /// use tauri_plugin_token_vault::{Endpoints, ProviderConfig};
    ///
    /// // Discovered from the issuer, with Cognito's logout endpoint (not in its metadata).
    /// let cognito = ProviderConfig::new(
    ///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf".parse()?,
    ///     "1example23456789",
    /// )
    /// .endpoints(Endpoints::overrides().end_session("https://auth.example.com/logout".parse()?));
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn overrides() -> Self {
        Self::default()
    }

    /// The authorization endpoint (RFC 6749 §3.1).
    pub fn authorization(mut self, url: Url) -> Self {
        self.authorization = Some(url);
        self
    }

    /// The token endpoint (RFC 6749 §3.2).
    pub fn token(mut self, url: Url) -> Self {
        self.token = Some(url);
        self
    }

    /// The JWKS for ID-token checks (required when the `openid` scope is requested).
    pub fn jwks_uri(mut self, url: Url) -> Self {
        self.jwks_uri = Some(url);
        self
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation(mut self, url: Url) -> Self {
        self.revocation = Some(url);
        self
    }

    /// The UserInfo endpoint (OpenID Connect Core §5.3).
    pub fn userinfo(mut self, url: Url) -> Self {
        self.userinfo = Some(url);
        self
    }

    /// The RP-initiated logout endpoint.
    pub fn end_session(mut self, url: Url) -> Self {
        self.end_session = Some(url);
        self
    }

    /// The device authorization endpoint (RFC 8628).
    pub fn device_authorization(mut self, url: Url) -> Self {
        self.device_authorization = Some(url);
        self
    }
}

/// Where the provider redirects back to (`redirect` in the configuration file; set from Rust
/// with [`ProviderConfig::redirect_port`] and [`ProviderConfig::redirect_path`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RedirectConfig {
    /// The loopback host the redirect URI names; default `127.0.0.1`.
    #[serde(default)]
    pub(crate) host: RedirectHost,
    /// Loopback port; 0 (default) picks a free ephemeral port (RFC 8252 §7.3).
    #[serde(default)]
    pub(crate) port: u16,
    /// Path of the redirect URI; default `/callback`.
    #[serde(default = "default_path")]
    pub(crate) path: String,
}

impl Default for RedirectConfig {
    fn default() -> Self {
        Self {
            host: RedirectHost::default(),
            port: 0,
            path: default_path(),
        }
    }
}

/// The mobile sign-in (`mobile` in the configuration file; set from Rust with
/// [`ProviderConfig::mobile_redirect_uri`] and [`ProviderConfig::ephemeral_session`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MobileConfig {
    /// The redirect URI of the native authentication session on iOS and Android: a private-use
    /// scheme in reverse-domain form (`com.example.app:/oauth/callback`, RFC 8252 §7.1) or a
    /// claimed `https` URL (App Links, associated domains; RFC 8252 §7.2). Required on mobile.
    #[serde(default)]
    pub(crate) redirect_uri: Option<Url>,
    /// iOS `prefersEphemeralWebBrowserSession`: no cookies shared with Safari (no single
    /// sign-on, no consent alert). Default false. Android ignores it.
    #[serde(default)]
    pub(crate) ephemeral_session: bool,
}

/// The host of the loopback redirect URI (`redirect.host` in the configuration file). The
/// listener binds the loopback interface only, whichever is chosen.
///
/// ```
/// use tauri_plugin_token_vault::{ProviderConfig, RedirectHost};
///
/// // Microsoft Entra accepts any port only for `http://localhost`.
/// let entra = ProviderConfig::new(
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0".parse()?,
///     "00000000-0000-0000-0000-000000000000",
/// )
/// .redirect_host(RedirectHost::Localhost);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum RedirectHost {
    /// `http://127.0.0.1:<port>` (the default; RFC 8252 §7.3 recommends the IP literal).
    #[default]
    #[serde(rename = "127.0.0.1")]
    Ipv4Loopback,
    /// `http://localhost:<port>` (Microsoft Entra, Amazon Cognito, Slack). The listener binds
    /// `127.0.0.1` and, where the machine has IPv6, `::1` on the same port, so the browser
    /// reaches it whichever address it resolves `localhost` to.
    #[serde(rename = "localhost")]
    Localhost,
    /// `http://[::1]:<port>` (IPv6 loopback only).
    #[serde(rename = "[::1]")]
    Ipv6Loopback,
}

impl RedirectHost {
    /// The host as the redirect URI names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4Loopback => "127.0.0.1",
            Self::Localhost => "localhost",
            Self::Ipv6Loopback => "[::1]",
        }
    }

    /// The loopback addresses the listener binds, the one that must succeed first.
    #[cfg(desktop)] // the loopback listener is desktop-only
    pub(crate) fn addrs(self) -> &'static [std::net::IpAddr] {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
        const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
        match self {
            Self::Ipv4Loopback => &[V4],
            Self::Localhost => &[V4, V6],
            Self::Ipv6Loopback => &[V6],
        }
    }
}

/// How the client authenticates at the token and revocation endpoints
/// (`tokenEndpointAuthMethod`; OpenID Connect Core §9, RFC 8414 §2). Unset: `none` for a
/// client without a secret; with one, `client_secret_basic` unless the provider's metadata
/// lists only `client_secret_post`.
///
/// ```
/// use tauri_plugin_token_vault::{ProviderConfig, TokenEndpointAuthMethod};
///
/// let provider = ProviderConfig::new("https://id.example.com".parse()?, "my-app")
///     .client_secret("not-so-secret")
///     .token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretPost);
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenEndpointAuthMethod {
    /// A public client: only `client_id` in the request body (RFC 8252's native apps).
    None,
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the request body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A signed JWT client assertion (RFC 7523 §2.2), made per request by the hook set with
    /// [`ProviderConfig::client_credentials`].
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    /// The method's name in provider metadata and configuration (`client_secret_post`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// How tokens are revoked at logout (`revocationStyle`). Whatever the style, logout ends the
/// session here and wipes the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum RevocationStyle {
    /// RFC 7009 at the revocation endpoint, when the provider has one (the default); without
    /// one, logout reports `revoked: false` with the reason in `revocationSkipped`.
    #[default]
    #[serde(rename = "rfc7009")]
    Rfc7009,
    /// GitHub's `DELETE /applications/{client_id}/token` with HTTP Basic client credentials
    /// and `{"access_token": …}`, at `endpoints.revocation` (the `github` preset sets it).
    /// GitHub revokes access tokens this way; a refresh token is not sent.
    #[serde(rename = "github")]
    Github,
    /// No revocation call (Entra, Dex: the provider offers none). Logout reports
    /// `revoked: false` with the reason in `revocationSkipped`.
    #[serde(rename = "none")]
    None,
}

/// Pushed authorization requests (RFC 9126, `par` in the configuration file): the
/// authorization parameters (`state`, `nonce`, the PKCE challenge, the redirect URI, the scopes)
/// are sent to the provider directly, and the browser opens
/// `authorize?client_id=…&request_uri=…` only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ParMode {
    /// When the provider's metadata has a `pushed_authorization_request_endpoint` (the
    /// default); else the plain authorization request.
    #[default]
    Auto,
    /// Always; a provider without a PAR endpoint is `invalid_config` at first use.
    Required,
    /// Never (a provider whose PAR endpoint misbehaves), unless the provider's metadata says it
    /// requires PAR (`require_pushed_authorization_requests`).
    Off,
}

/// Sender-constrained tokens (DPoP, RFC 9449; `dpop` in the configuration file): the
/// provider binds a session's tokens to a key pair only this app holds, and every request that
/// uses them carries a proof signed with it. A copied token is useless without the key.
///
/// Resource servers must accept `Authorization: DPoP` with a proof: call them with
/// `authFetch` / [`crate::SessionManager::fetch`], which sign in Rust; a token from `getToken`
/// alone is refused by a server that checks the binding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DpopMode {
    /// Never (the default): bearer tokens.
    #[default]
    Off,
    /// When the provider's metadata lists `dpop_signing_alg_values_supported` with an
    /// algorithm this plugin signs with; bearer tokens otherwise (and when the provider
    /// answers a proof with a bearer token).
    Auto,
    /// Always: a sign-in whose tokens come back unbound fails (`invalid_response`).
    Required,
}

/// The signature algorithm of a session's DPoP key (`dpopSigningAlg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum DpopAlg {
    /// ECDSA with P-256 and SHA-256 (the default when the provider lists it, or lists none).
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519 (when the provider lists `EdDSA` and not `ES256`, or when configured).
    #[serde(rename = "EdDSA")]
    EdDsa,
}

/// What a [`ProviderConfig::client_credentials`] hook is asked for: the request it
/// authenticates.
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientAuthContext<'a> {
    /// The client id.
    pub client_id: &'a str,
    /// The provider's issuer (empty for a provider without one); the `aud` of an Apple client
    /// secret is `https://appleid.apple.com`.
    pub issuer: &'a str,
    /// The endpoint the request goes to (token or revocation): the `aud` of an RFC 7523
    /// client assertion.
    pub endpoint: &'a Url,
}

/// The credential a [`ProviderConfig::client_credentials`] hook produces for one request.
#[non_exhaustive]
pub enum ClientCredential {
    /// A client secret, sent as `tokenEndpointAuthMethod` says (`client_secret_basic` by
    /// default): e.g. Apple's client secret, an ES256 JWT the app signs.
    Secret(ClientSecret),
    /// An RFC 7523 client assertion (a signed JWT), sent as `client_assertion` with
    /// `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    Assertion(ClientSecret),
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Secret(_) => "ClientCredential::Secret([redacted])",
            Self::Assertion(_) => "ClientCredential::Assertion([redacted])",
        })
    }
}

type CredentialFn = dyn Fn(&ClientAuthContext<'_>) -> Result<ClientCredential> + Send + Sync;

/// A hook that produces the client's credential per request (set in Rust only).
#[derive(Clone)]
pub(crate) struct ClientCredentialsHook(std::sync::Arc<CredentialFn>);

impl ClientCredentialsHook {
    /// Calls the hook.
    pub(crate) fn credential(&self, ctx: &ClientAuthContext<'_>) -> Result<ClientCredential> {
        (self.0)(ctx)
    }
}

impl std::fmt::Debug for ClientCredentialsHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCredentialsHook(..)")
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
fn default_token_lifetime() -> u64 {
    300
}
fn default_http_timeout() -> u64 {
    30
}
fn default_dead_refresh_token_errors() -> Vec<String> {
    vec!["invalid_grant".to_string()]
}
fn default_fetch_max_body() -> usize {
    10 * 1024 * 1024
}
fn default_fetch_max_stream() -> u64 {
    1024 * 1024 * 1024
}

/// One OAuth 2.0 / OpenID Connect provider: `plugins.token-vault.providers.<id>` in
/// `tauri.conf.json` (camelCase keys, see the README), or built in Rust with setters.
///
/// ```
/// use tauri_plugin_token_vault::{Allowlist, ProviderConfig};
///
/// let provider = ProviderConfig::new("https://example.eu.auth0.com/".parse()?, "AbCdEf123")
///     .scopes(["openid", "profile", "offline_access"])
///     .extra_param("audience", "https://api.example.com")
///     .fetch_allowlist(Allowlist::parse(["https://api.example.com"])?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfig {
    /// Issuer identifier; its metadata is discovered (OpenID Connect Discovery, then RFC 8414)
    /// and the returned `issuer` must equal this value exactly.
    #[serde(default)]
    pub(crate) issuer: Option<Url>,
    /// Explicit endpoints: with `issuer` (and discovery on), each one given replaces what
    /// discovery found; without discovery, the provider's endpoints (`authorization` and
    /// `token` required).
    #[serde(default)]
    pub(crate) endpoints: Option<Endpoints>,
    /// Whether the `issuer`'s metadata is discovered; default: when `issuer` is set. `false`
    /// with an `issuer` is the manual mode of an OpenID provider without discovery: every
    /// endpoint from `endpoints`, ID tokens checked against `issuer` as written (a bare origin
    /// gets a trailing `/`).
    #[serde(default)]
    pub(crate) discovery: Option<bool>,
    /// The OAuth client id registered at the provider.
    pub(crate) client_id: String,
    /// Optional client secret (e.g. Google desktop clients). Not confidential in a native app
    /// (RFC 8252 §8.5), but never logged.
    #[serde(default)]
    pub(crate) client_secret: Option<ClientSecret>,
    /// How the client authenticates at the token and revocation endpoints; default from the
    /// secret and the provider's metadata ([`TokenEndpointAuthMethod`]).
    #[serde(default)]
    pub(crate) token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// The preset filled in (read by [`Config`] from `preset`; not a field of its own).
    #[serde(skip)]
    pub(crate) preset: Option<Preset>,
    /// A Rust hook producing the client's credential per request (not in the file).
    #[serde(skip)]
    pub(crate) client_credentials: Option<ClientCredentialsHook>,
    /// How tokens are revoked at logout; default RFC 7009.
    #[serde(default)]
    pub(crate) revocation_style: RevocationStyle,
    /// Pushed authorization requests (RFC 9126); default `auto`.
    #[serde(default)]
    pub(crate) par: ParMode,
    /// Sender-constrained tokens (RFC 9449); default `off`.
    #[serde(default)]
    pub(crate) dpop: DpopMode,
    /// The DPoP key's algorithm; default from the provider's metadata ([`DpopAlg`]).
    #[serde(default)]
    pub(crate) dpop_signing_alg: Option<DpopAlg>,
    /// Keep new DPoP keys in the platform's hardware (the Secure Enclave on macOS and iOS);
    /// default false (software keys, in the credential store record).
    #[serde(default)]
    pub(crate) dpop_hardware_key: bool,
    /// Scopes to request; default `["openid"]`.
    #[serde(default = "default_scopes")]
    pub(crate) scopes: Vec<String>,
    /// Extra authorization request parameters (`audience`, `prompt`, `login_hint`…).
    #[serde(default)]
    pub(crate) extra_params: BTreeMap<String, String>,
    /// Loopback redirect settings (desktop).
    #[serde(default)]
    pub(crate) redirect: RedirectConfig,
    /// The native authentication session's redirect (iOS, Android).
    #[serde(default)]
    pub(crate) mobile: MobileConfig,
    /// Extra trusted CA certificates: PEM text, or a path to a PEM file.
    #[serde(default)]
    pub(crate) ca_certificates: Vec<String>,
    /// Allowed clock skew for ID token `exp`/`iat`, in seconds; default 60.
    #[serde(default = "default_clock_skew")]
    pub(crate) clock_skew_secs: u64,
    /// How long a sign-in may take before it fails with `login_timed_out`; default 300 s.
    #[serde(default = "default_login_timeout")]
    pub(crate) login_timeout_secs: u64,
    /// Timeout of each HTTP request to the provider; default 30 s.
    #[serde(default = "default_http_timeout")]
    pub(crate) http_timeout_secs: u64,
    /// Refresh the access token when it expires within this many seconds; default 60.
    #[serde(default = "default_clock_skew")]
    pub(crate) refresh_leeway_secs: u64,
    /// The lifetime assumed for an access token whose response has no `expires_in`, in
    /// seconds; default 300 (it is refreshed after that, and on a 401).
    #[serde(default = "default_token_lifetime")]
    pub(crate) default_token_lifetime_secs: u64,
    /// Origins (`https://api.example.com`) or URL prefixes (`https://api.example.com/v1/`)
    /// that may receive this provider's access token through `fetch`. Empty: `fetch` is off.
    #[serde(default)]
    pub(crate) fetch_allowlist: Allowlist,
    /// Largest response body `fetch` returns, in bytes; default 10 MiB.
    #[serde(default = "default_fetch_max_body")]
    pub(crate) fetch_max_body_bytes: usize,
    /// Largest response body `authFetch` streams to page script (bodies over
    /// `fetchMaxBodyBytes` flow as a `ReadableStream`), in bytes; default 1 GiB.
    #[serde(default = "default_fetch_max_stream")]
    pub(crate) fetch_max_stream_bytes: u64,
    /// OpenID Connect Core §11: when `offline_access` is requested, also send `prompt=consent`
    /// (unless `extraParams` sets a `prompt`). Default true; some providers (Entra ID) want false.
    #[serde(default = "default_true")]
    pub(crate) offline_access_prompt_consent: bool,
    /// The RFC 6749 §5.2 `error` codes of a refused refresh that mean "this refresh token is
    /// dead": the session ends (`session_expired`, store wiped). Any other refusal is
    /// `refresh_failed` and keeps the session. The whole set (default `["invalid_grant"]`);
    /// Dex answers a dead token with `invalid_request`: `["invalid_grant", "invalid_request"]`.
    #[serde(default = "default_dead_refresh_token_errors")]
    pub(crate) dead_refresh_token_errors: Vec<String>,
    /// The issuer the provider publishes and its ID tokens carry, with one `{tenantid}` path
    /// segment (Microsoft Entra `/common`, `/organizations`:
    /// `https://login.microsoftonline.com/{tenantid}/v2.0`). Needs `issuer`, same origin.
    /// Discovery then also accepts metadata naming this template verbatim; an ID token must
    /// carry a tenant id `tid` and `iss` = the template with that `tid`.
    #[serde(default)]
    pub(crate) issuer_template: Option<String>,
    /// With `issuerTemplate`: the tenant ids (`tid`) whose ID tokens are accepted; empty (the
    /// default): any tenant.
    #[serde(default)]
    pub(crate) allowed_tenants: Vec<String>,
    /// Extra exact `iss` values accepted in ID tokens and RFC 9207 authorization responses
    /// (Google: `accounts.google.com`); never for the discovered metadata `issuer`.
    #[serde(default)]
    pub(crate) issuer_aliases: Vec<String>,
    /// For providers that issue no refresh token (GitHub OAuth apps): keep the access token
    /// of a sign-in whose response has no refresh token in the credential store, so the
    /// session survives a restart. Default false (such a session lasts as long as the process).
    /// Without `expires_in` that access token does not expire; once it expires, or an API
    /// answers it with a 401 (`fetch`), the session ends (`session_expired`): nothing can renew
    /// it. A sign-in that gets a refresh token stores only that, as always.
    #[serde(default)]
    pub(crate) persist_access_token: bool,
}

impl ProviderConfig {
    /// A provider discovered from `issuer`, with default settings.
    pub fn new(issuer: Url, client_id: impl Into<String>) -> Self {
        Self {
            issuer: Some(issuer),
            endpoints: None,
            discovery: None,
            client_id: client_id.into(),
            client_secret: None,
            token_endpoint_auth_method: None,
            preset: None,
            client_credentials: None,
            revocation_style: RevocationStyle::default(),
            par: ParMode::default(),
            dpop: DpopMode::default(),
            dpop_signing_alg: None,
            dpop_hardware_key: false,
            scopes: default_scopes(),
            extra_params: BTreeMap::new(),
            redirect: RedirectConfig::default(),
            mobile: MobileConfig::default(),
            ca_certificates: Vec::new(),
            clock_skew_secs: default_clock_skew(),
            login_timeout_secs: default_login_timeout(),
            http_timeout_secs: default_http_timeout(),
            refresh_leeway_secs: default_clock_skew(),
            default_token_lifetime_secs: default_token_lifetime(),
            fetch_allowlist: Allowlist::default(),
            fetch_max_body_bytes: default_fetch_max_body(),
            fetch_max_stream_bytes: default_fetch_max_stream(),
            offline_access_prompt_consent: true,
            dead_refresh_token_errors: default_dead_refresh_token_errors(),
            issuer_template: None,
            allowed_tenants: Vec::new(),
            issuer_aliases: Vec::new(),
            persist_access_token: false,
        }
    }

    /// A known provider's settings ([`Preset`]) for client `client_id`; each can be
    /// overridden with the setters. Presets for a provider with tenants of its own (Auth0,
    /// Okta, Keycloak, Cognito, Dex) still need [`Self::issuer`].
    ///
    /// ```
    /// use tauri_plugin_token_vault::{Preset, ProviderConfig};
    ///
    /// let okta = ProviderConfig::from_preset(Preset::Okta, "0oa1example")
    ///     .issuer("https://example.okta.com/oauth2/default".parse()?);
    /// okta.validate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_preset(preset: Preset, client_id: impl Into<String>) -> Self {
        let mut file = serde_json::Map::new();
        file.insert("preset".into(), preset.as_str().into());
        file.insert("clientId".into(), client_id.into().into());
        Self::from_value(serde_json::Value::Object(file))
            .expect("every preset reads as a configuration (a unit test checks each)")
    }

    /// Reads one provider of the configuration file: its `preset` settings (when it names one)
    /// under its own, then the provider.
    pub(crate) fn from_value(value: serde_json::Value) -> std::result::Result<Self, String> {
        let serde_json::Value::Object(mut file) = value else {
            return serde_json::from_value(value).map_err(|e| e.to_string());
        };
        let preset = match file.remove("preset") {
            None => None,
            Some(p) => Some(serde_json::from_value::<Preset>(p).map_err(|e| e.to_string())?),
        };
        if let Some(preset) = preset {
            let client_id = file
                .get("clientId")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            presets::fill_in(&mut file, preset.spec(&client_id).defaults);
        }
        let mut config: Self =
            serde_json::from_value(serde_json::Value::Object(file)).map_err(|e| e.to_string())?;
        config.preset = preset;
        Ok(config)
    }

    /// A provider with explicit endpoints instead of discovery (an OpenID provider among
    /// these also needs [`Self::issuer`] to check its ID tokens against).
    pub fn with_endpoints(endpoints: Endpoints, client_id: impl Into<String>) -> Self {
        let mut p = Self::new(
            Url::parse("https://unset.invalid/").expect("a URL"),
            client_id,
        );
        p.issuer = None;
        p.endpoints = Some(endpoints);
        p.discovery = Some(false);
        p
    }

    /// Endpoints: overrides on top of discovery, or all of them with discovery off
    /// ([`Self::discovery`]). Each endpoint given replaces the one set before (a preset's);
    /// the others stay, as in the configuration file.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        let Endpoints {
            authorization,
            token,
            jwks_uri,
            revocation,
            userinfo,
            end_session,
            device_authorization,
        } = endpoints;
        let set = self.endpoints.get_or_insert_with(Endpoints::default);
        for (slot, given) in [
            (&mut set.authorization, authorization),
            (&mut set.token, token),
            (&mut set.jwks_uri, jwks_uri),
            (&mut set.revocation, revocation),
            (&mut set.userinfo, userinfo),
            (&mut set.end_session, end_session),
            (&mut set.device_authorization, device_authorization),
        ] {
            if given.is_some() {
                *slot = given;
            }
        }
        self
    }

    /// Whether the issuer's metadata is discovered (default: when an issuer is set).
    pub fn discovery(mut self, on: bool) -> Self {
        self.discovery = Some(on);
        self
    }

    /// Whether the metadata comes from discovery.
    pub(crate) fn discovers(&self) -> bool {
        self.issuer.is_some() && self.discovery != Some(false)
    }

    /// The issuer to discover from (its metadata's `issuer` must equal it exactly).
    pub fn issuer(mut self, issuer: Url) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// The OAuth client id registered at the provider. Under the `github` preset, the
    /// revocation endpoint it filled in (which names the client) follows.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        if self.preset == Some(Preset::Github) {
            let filled = Url::parse(&presets::github_revocation(&self.client_id)).ok();
            if let Some(e) = self.endpoints.as_mut() {
                if e.revocation.is_some() && e.revocation == filled {
                    e.revocation = Url::parse(&presets::github_revocation(&client_id)).ok();
                }
            }
        }
        self.client_id = client_id;
        self
    }

    /// A client secret (e.g. Google desktop clients). Not confidential in a native app
    /// (RFC 8252 §8.5), but never logged.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(ClientSecret::new(secret));
        self
    }

    /// How the client authenticates at the token and revocation endpoints (default: `none`
    /// without a secret, else `client_secret_basic` unless the provider lists only
    /// `client_secret_post`).
    pub fn token_endpoint_auth_method(mut self, method: TokenEndpointAuthMethod) -> Self {
        self.token_endpoint_auth_method = Some(method);
        self
    }

    /// A hook that produces the client's credential for each token and revocation request:
    /// a client secret made fresh (Apple's ES256 JWT secret) or an RFC 7523 client assertion
    /// (`private_key_jwt`). It runs on the async runtime: keep it quick (sign, no I/O). An
    /// error it returns fails the request with that error.
    ///
    /// ```
    /// use tauri_plugin_token_vault::{ClientCredential, ClientSecret, ProviderConfig};
    ///
    /// # fn sign_apple_client_secret(client_id: &str) -> String { String::new() }
    /// let apple = ProviderConfig::new("https://appleid.apple.com".parse()?, "com.example.app")
    ///     .client_credentials(|ctx| {
    ///         // An ES256 JWT signed with the app's key from Apple (kid, team id as iss,
    ///         // aud https://appleid.apple.com, sub = the client id).
    ///         let jwt = sign_apple_client_secret(ctx.client_id);
    ///         Ok(ClientCredential::Secret(ClientSecret::new(jwt)))
    ///     });
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn client_credentials<F>(mut self, hook: F) -> Self
    where
        F: Fn(&ClientAuthContext<'_>) -> Result<ClientCredential> + Send + Sync + 'static,
    {
        self.client_credentials = Some(ClientCredentialsHook(std::sync::Arc::new(hook)));
        self
    }

    /// How tokens are revoked at logout (default RFC 7009 when the provider offers it).
    pub fn revocation_style(mut self, style: RevocationStyle) -> Self {
        self.revocation_style = style;
        self
    }

    /// The scopes to request (default `["openid"]`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// An extra authorization request parameter (`audience`, `prompt`, `login_hint`…).
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.insert(name.into(), value.into());
        self
    }

    /// The loopback host the redirect URI names (default [`RedirectHost::Ipv4Loopback`],
    /// `127.0.0.1`).
    pub fn redirect_host(mut self, host: RedirectHost) -> Self {
        self.redirect.host = host;
        self
    }

    /// The loopback redirect port (default 0: a free ephemeral port, RFC 8252 §7.3).
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.redirect.port = port;
        self
    }

    /// The redirect URI's path (default `/callback`).
    pub fn redirect_path(mut self, path: impl Into<String>) -> Self {
        self.redirect.path = path.into();
        self
    }

    /// The redirect URI of the native authentication session on iOS and Android (required
    /// there): a private-use scheme in reverse-domain form (`com.example.app:/oauth/callback`,
    /// RFC 8252 §7.1) or a claimed `https` URL (RFC 8252 §7.2).
    ///
    /// ```
    /// use tauri_plugin_token_vault::ProviderConfig;
    ///
    /// let p = ProviderConfig::new("https://accounts.example.com".parse()?, "app")
    ///     .mobile_redirect_uri("com.example.app:/oauth/callback".parse()?);
    /// p.validate()?;
    /// // Not reverse-domain: refused (another app could register `myapp:` too).
    /// let bad = ProviderConfig::new("https://accounts.example.com".parse()?, "app")
    ///     .mobile_redirect_uri("myapp:/callback".parse()?);
    /// assert_eq!(bad.validate().unwrap_err().code(), "invalid_config");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mobile_redirect_uri(mut self, uri: Url) -> Self {
        self.mobile.redirect_uri = Some(uri);
        self
    }

    /// iOS `prefersEphemeralWebBrowserSession` for the native sign-in (default false): no
    /// cookies shared with Safari, so no single sign-on and no consent alert.
    pub fn ephemeral_session(mut self, ephemeral: bool) -> Self {
        self.mobile.ephemeral_session = ephemeral;
        self
    }

    /// Pushed authorization requests (RFC 9126): [`ParMode::Auto`] (the default) pushes when
    /// the provider has a PAR endpoint.
    pub fn par(mut self, mode: ParMode) -> Self {
        self.par = mode;
        self
    }

    /// Sender-constrained tokens (DPoP, RFC 9449): [`DpopMode::Off`] by default.
    ///
    /// ```
    /// use tauri_plugin_token_vault::{DpopMode, ProviderConfig};
    ///
    /// let p = ProviderConfig::new("https://accounts.example.com".parse()?, "app")
    ///     .dpop(DpopMode::Required);
    /// p.validate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop = mode;
        self
    }

    /// The DPoP key's algorithm, instead of the one chosen from the provider's metadata.
    pub fn dpop_signing_alg(mut self, alg: DpopAlg) -> Self {
        self.dpop_signing_alg = Some(alg);
        self
    }

    /// Keeps new DPoP keys in the platform's hardware where the plugin can (the Secure Enclave
    /// on macOS and iOS: the private key never leaves it, the record holds its Keychain label),
    /// instead of a software key kept in the credential-store record. ES256 only (the Secure
    /// Enclave has no Ed25519). Where there is no such hardware, or it refuses (no Secure
    /// Enclave, an app without the Keychain entitlement), the key is a software key and a
    /// warning is logged. Elsewhere: software keys.
    pub fn dpop_hardware_key(mut self, hardware: bool) -> Self {
        self.dpop_hardware_key = hardware;
        self
    }

    /// Extra trusted CA certificates, replacing any set before: PEM text, or paths to PEM files.
    pub fn ca_certificates<I, S>(mut self, certificates: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ca_certificates = certificates.into_iter().map(Into::into).collect();
        self
    }

    /// Allowed clock skew for ID token `exp`/`iat`, in seconds (default 60).
    pub fn clock_skew_secs(mut self, secs: u64) -> Self {
        self.clock_skew_secs = secs;
        self
    }

    /// How long a sign-in may take before `login_timed_out` (default 300 s).
    pub fn login_timeout_secs(mut self, secs: u64) -> Self {
        self.login_timeout_secs = secs;
        self
    }

    /// Timeout of each HTTP request to the provider (default 30 s).
    pub fn http_timeout_secs(mut self, secs: u64) -> Self {
        self.http_timeout_secs = secs;
        self
    }

    /// Refresh the access token when it expires within this many seconds (default 60).
    pub fn refresh_leeway_secs(mut self, secs: u64) -> Self {
        self.refresh_leeway_secs = secs;
        self
    }

    /// The lifetime assumed for an access token the provider gives no `expires_in` for
    /// (default 300 s): it is refreshed after that instead of being kept forever.
    pub fn default_token_lifetime_secs(mut self, secs: u64) -> Self {
        self.default_token_lifetime_secs = secs;
        self
    }

    /// Where `fetch` may send this provider's access token (default: nowhere).
    pub fn fetch_allowlist(mut self, allowlist: Allowlist) -> Self {
        self.fetch_allowlist = allowlist;
        self
    }

    /// Largest response body `fetch` returns, in bytes (default 10 MiB). Page script's
    /// `authFetch` receives a larger body as a stream (see [`Self::fetch_max_stream_bytes`]).
    pub fn fetch_max_body_bytes(mut self, bytes: usize) -> Self {
        self.fetch_max_body_bytes = bytes;
        self
    }

    /// Largest response body `authFetch` streams to page script, in bytes (default 1 GiB): a
    /// body over [`Self::fetch_max_body_bytes`] flows to page script as a `ReadableStream`
    /// (memory stays bounded), and one over this cap errors that stream with
    /// `fetch_response_too_large`.
    pub fn fetch_max_stream_bytes(mut self, bytes: u64) -> Self {
        self.fetch_max_stream_bytes = bytes;
        self
    }

    /// Whether to send `prompt=consent` when `offline_access` is requested and no `prompt`
    /// is set (OpenID Connect Core §11; default true).
    pub fn offline_access_prompt_consent(mut self, on: bool) -> Self {
        self.offline_access_prompt_consent = on;
        self
    }

    /// The `error` codes of a refused refresh that end the session as `session_expired`
    /// (default `["invalid_grant"]`; the whole set: list `invalid_grant` too). Others are
    /// `refresh_failed` and keep the session.
    pub fn dead_refresh_token_errors<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dead_refresh_token_errors = codes.into_iter().map(Into::into).collect();
        self
    }

    /// The issuer a multi-tenant provider publishes and its ID tokens carry, with one
    /// `{tenantid}` path segment (`issuerTemplate`). An ID token is accepted only with a
    /// tenant id `tid` claim (ASCII letters, digits, `-`) and `iss` equal to this template
    /// with that `tid`; limit the tenants with [`Self::allowed_tenants`].
    ///
    /// ```
    /// use tauri_plugin_token_vault::ProviderConfig;
    ///
    /// // Microsoft Entra, any work or school account, only two tenants.
    /// let entra = ProviderConfig::new(
    ///     "https://login.microsoftonline.com/organizations/v2.0".parse()?,
    ///     "00000000-0000-0000-0000-000000000000",
    /// )
    /// .issuer_template("https://login.microsoftonline.com/{tenantid}/v2.0")
    /// .allowed_tenants([
    ///     "9188040d-6c67-4c5b-b112-36a304b66dad",
    ///     "72f988bf-86f1-41af-91ab-2d7cd011db47",
    /// ]);
    /// entra.validate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issuer_template(mut self, template: impl Into<String>) -> Self {
        self.issuer_template = Some(template.into());
        self
    }

    /// The tenant ids (`tid`) accepted under [`Self::issuer_template`], replacing any set
    /// before (default: empty, any tenant). Compared exactly (Entra writes them in lower case).
    pub fn allowed_tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_tenants = tenants.into_iter().map(Into::into).collect();
        self
    }

    /// Extra exact `iss` values accepted in ID tokens and RFC 9207 authorization responses,
    /// replacing any set before (`issuerAliases`). Never used for the discovered metadata
    /// `issuer`, and compared byte for byte (no case folding, no trailing `/`).
    ///
    /// ```
    /// use tauri_plugin_token_vault::ProviderConfig;
    ///
    /// // Google's ID tokens may name their issuer without the scheme.
    /// let google = ProviderConfig::new("https://accounts.google.com".parse()?, "1234.apps.googleusercontent.com")
    ///     .issuer_aliases(["accounts.google.com"]);
    /// google.validate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issuer_aliases<I, S>(mut self, aliases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuer_aliases = aliases.into_iter().map(Into::into).collect();
        self
    }

    /// The `issuerTemplate` in effect. An accessor rather than the field: a provider preset
    /// may derive it from the issuer.
    pub(crate) fn issuer_template_in_effect(&self) -> Option<String> {
        match (&self.issuer_template, self.preset, &self.issuer) {
            (Some(t), _, _) => Some(t.clone()),
            // Entra's multi-tenant issuers publish `{tenantid}`; a tenant's own issuer is exact.
            (None, Some(Preset::Entra), Some(issuer)) => presets::entra_issuer_template(issuer),
            _ => None,
        }
    }

    /// The issuer a stored session records, the metadata naming `metadata_issuer`: that one,
    /// except under an issuer template, whose metadata issuer (Entra's literal `{tenantid}`)
    /// is not the configured `issuer` a restored record is compared with; there the configured
    /// one.
    pub(crate) fn record_issuer(&self, metadata_issuer: &str) -> String {
        match (&self.issuer, self.issuer_template_in_effect()) {
            (Some(configured), Some(_)) => configured.to_string(),
            _ => metadata_issuer.to_string(),
        }
    }

    /// The issuers this provider's ID tokens and authorization responses may name, once its
    /// metadata names `metadata_issuer`.
    pub(crate) fn issuer_policy(&self, metadata_issuer: &str) -> Result<IssuerPolicy> {
        IssuerPolicy::new(
            metadata_issuer,
            self.issuer_template_in_effect().as_deref(),
            &self.allowed_tenants,
            &self.issuer_aliases,
        )
    }

    /// Whether the access token of a sign-in without refresh token is kept in the credential
    /// store (`persistAccessToken`, default false; for providers that issue no refresh token,
    /// like GitHub OAuth apps). Such a session survives a restart and ends (`session_expired`)
    /// when its access token expires or an API answers it with a 401.
    pub fn persist_access_token(mut self, on: bool) -> Self {
        self.persist_access_token = on;
        self
    }

    /// Allowed clock skew.
    pub(crate) fn clock_skew(&self) -> Duration {
        Duration::from_secs(self.clock_skew_secs)
    }

    /// Sign-in timeout.
    pub(crate) fn login_timeout(&self) -> Duration {
        Duration::from_secs(self.login_timeout_secs)
    }

    /// Whether the `openid` scope is requested (ID token expected).
    pub(crate) fn is_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == "openid")
    }

    /// Reads `ca_certificates` into PEM bytes (file paths are read here).
    pub(crate) fn ca_certificate_pems(&self, field: &str) -> Result<Vec<Vec<u8>>> {
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

    /// Checks the settings; an `invalid_config` error names the bad field
    /// (`provider.clientId`, `provider.fetchAllowlist[0]`…).
    pub fn validate(&self) -> Result<()> {
        self.validate_at("provider")
    }

    /// Checks the settings; `field` is this provider's path for error messages.
    pub(crate) fn validate_at(&self, field: &str) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::config(
                format!("{field}.clientId"),
                "must not be empty",
            ));
        }
        self.validate_preset(field)?;
        if self.issuer.is_none() && self.endpoints.is_none() {
            return Err(Error::config(
                format!("{field}.issuer"),
                "set `issuer` (discovery) or `endpoints`",
            ));
        }
        if self.issuer.is_none() && self.discovery == Some(true) {
            return Err(Error::config(
                format!("{field}.discovery"),
                "discovery needs an `issuer`",
            ));
        }
        if let Some(issuer) = &self.issuer {
            check_secure_url(issuer, &format!("{field}.issuer"))?;
            if issuer.query().is_some() || issuer.fragment().is_some() {
                return Err(Error::config(
                    format!("{field}.issuer"),
                    "an issuer has no query or fragment",
                ));
            }
        }
        let e = self.endpoints.clone().unwrap_or_default();
        for (name, u) in [
            ("authorization", &e.authorization),
            ("token", &e.token),
            ("jwksUri", &e.jwks_uri),
            ("revocation", &e.revocation),
            ("userinfo", &e.userinfo),
            ("endSession", &e.end_session),
            ("deviceAuthorization", &e.device_authorization),
        ] {
            if let Some(u) = u {
                check_secure_url(u, &format!("{field}.endpoints.{name}"))?;
            }
        }
        if !self.discovers() {
            for (name, u) in [("authorization", &e.authorization), ("token", &e.token)] {
                if u.is_none() {
                    return Err(Error::config(
                        format!("{field}.endpoints.{name}"),
                        "required without discovery",
                    ));
                }
            }
            if self.is_openid() && self.issuer.is_none() {
                return Err(Error::config(
                    format!("{field}.issuer"),
                    "required with the `openid` scope: ID tokens are checked against it",
                ));
            }
            if self.is_openid() && e.jwks_uri.is_none() {
                return Err(Error::config(
                    format!("{field}.endpoints.jwksUri"),
                    "required when the `openid` scope is requested without discovery",
                ));
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
        if self.default_token_lifetime_secs == 0 {
            return Err(Error::config(
                format!("{field}.defaultTokenLifetimeSecs"),
                "must be > 0",
            ));
        }
        if self.http_timeout_secs == 0 {
            return Err(Error::config(
                format!("{field}.httpTimeoutSecs"),
                "must be > 0",
            ));
        }
        if self.fetch_max_body_bytes == 0 {
            return Err(Error::config(
                format!("{field}.fetchMaxBodyBytes"),
                "must be > 0",
            ));
        }
        if self.fetch_max_stream_bytes == 0 {
            return Err(Error::config(
                format!("{field}.fetchMaxStreamBytes"),
                "must be > 0",
            ));
        }
        if self
            .dead_refresh_token_errors
            .iter()
            .any(|c| c.trim().is_empty())
        {
            return Err(Error::config(
                format!("{field}.deadRefreshTokenErrors"),
                "an error code must not be empty",
            ));
        }
        if let Some(uri) = &self.mobile.redirect_uri {
            check_mobile_redirect_uri(uri, &format!("{field}.mobile.redirectUri"))?;
        }
        self.validate_client_auth(field)?;
        self.validate_issuer_relaxations(field)?;
        self.ca_certificate_pems(field)?;
        Ok(())
    }

    /// The native sign-in's redirect URI, or `invalid_config` naming `field`'s
    /// `mobile.redirectUri` when none is configured.
    pub(crate) fn mobile_redirect(&self, field: &str) -> Result<&Url> {
        self.mobile.redirect_uri.as_ref().ok_or_else(|| {
            Error::config(
                format!("{field}.mobile.redirectUri"),
                "required for sign-in on iOS and Android: a reverse-domain custom scheme \
                 (`com.example.app:/oauth/callback`) or a claimed `https` URL, registered at the \
                 provider",
            )
        })
    }

    /// What the preset cannot fill in is given; Entra's `/consumers` is spelled as the
    /// tenant its metadata names.
    fn validate_preset(&self, field: &str) -> Result<()> {
        let Some(preset) = self.preset else {
            return Ok(());
        };
        for &required in preset.spec(&self.client_id).required {
            let missing = match required {
                "issuer" => self.issuer.is_none(),
                "clientSecret" => self.client_secret.is_none() && self.client_credentials.is_none(),
                _ => false,
            };
            if missing {
                let why = match (preset, required) {
                    (Preset::Apple, _) => "the `apple` preset needs the client secret: an ES256 JWT the app \
                         signs, best made per request with `ProviderConfig::client_credentials`"
                        .to_string(),
                    (_, "clientSecret") => format!(
                        "the `{}` preset needs the client's secret (not confidential in a native \
                         app, RFC 8252 §8.5)",
                        preset.as_str()
                    ),
                    _ => format!(
                        "the `{}` preset needs your tenant's issuer (see the README's preset section)",
                        preset.as_str()
                    ),
                };
                return Err(Error::config(format!("{field}.{required}"), why));
            }
        }
        if preset == Preset::Entra {
            let consumers = self
                .issuer
                .as_ref()
                .and_then(|i| i.path_segments())
                .and_then(|mut s| s.next())
                == Some("consumers");
            if consumers {
                return Err(Error::config(
                    format!("{field}.issuer"),
                    format!(
                        "`/consumers` publishes the issuer of its tenant: use \
                         https://login.microsoftonline.com/{}/v2.0",
                        presets::ENTRA_CONSUMERS_TENANT
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `tokenEndpointAuthMethod`, the secret or hook it needs, and `revocationStyle`.
    fn validate_client_auth(&self, field: &str) -> Result<()> {
        let has_secret = self.client_secret.is_some() || self.client_credentials.is_some();
        match self.token_endpoint_auth_method {
            Some(TokenEndpointAuthMethod::None) if has_secret => {
                return Err(Error::config(
                    format!("{field}.tokenEndpointAuthMethod"),
                    "`none` sends no client secret: remove `clientSecret` or choose \
                     `client_secret_basic` or `client_secret_post`",
                ))
            }
            Some(
                m @ (TokenEndpointAuthMethod::ClientSecretBasic
                | TokenEndpointAuthMethod::ClientSecretPost),
            ) if !has_secret => {
                return Err(Error::config(
                    format!("{field}.clientSecret"),
                    format!("required by `tokenEndpointAuthMethod` {}", m.as_str()),
                ))
            }
            Some(TokenEndpointAuthMethod::PrivateKeyJwt) if self.client_credentials.is_none() => {
                return Err(Error::config(
                    format!("{field}.tokenEndpointAuthMethod"),
                    "`private_key_jwt` needs the client-assertion hook, set in Rust with \
                     `ProviderConfig::client_credentials`",
                ))
            }
            _ => {}
        }
        if self.revocation_style == RevocationStyle::Github {
            if !has_secret {
                return Err(Error::config(
                    format!("{field}.clientSecret"),
                    "required by `revocationStyle` github (HTTP Basic client credentials)",
                ));
            }
            if self
                .endpoints
                .as_ref()
                .and_then(|e| e.revocation.as_ref())
                .is_none()
            {
                return Err(Error::config(
                    format!("{field}.endpoints.revocation"),
                    "required by `revocationStyle` github (https://api.github.com/applications/<clientId>/token)",
                ));
            }
        }
        Ok(())
    }

    /// `issuerTemplate`, `allowedTenants`, `issuerAliases`: each bounded, each naming its field.
    fn validate_issuer_relaxations(&self, field: &str) -> Result<()> {
        use crate::url_policy::issuer::{check_template, is_tenant_id};
        let template = self.issuer_template_in_effect();
        if let Some(t) = &template {
            let f = format!("{field}.issuerTemplate");
            let Some(issuer) = &self.issuer else {
                return Err(Error::config(f, "needs an `issuer`"));
            };
            check_template(t, issuer, &f)?;
            if !self.issuer_aliases.is_empty() {
                return Err(Error::config(
                    format!("{field}.issuerAliases"),
                    "cannot be combined with `issuerTemplate`: an alias would bypass the tenant check",
                ));
            }
        }
        if !self.allowed_tenants.is_empty() && template.is_none() {
            return Err(Error::config(
                format!("{field}.allowedTenants"),
                "only applies with `issuerTemplate`",
            ));
        }
        for (i, t) in self.allowed_tenants.iter().enumerate() {
            if !is_tenant_id(t) {
                return Err(Error::config(
                    format!("{field}.allowedTenants[{i}]"),
                    "a tenant id is 1 to 64 ASCII letters, digits and `-` (the `tid` claim, not a domain)",
                ));
            }
        }
        if !self.issuer_aliases.is_empty() && self.issuer.is_none() {
            return Err(Error::config(
                format!("{field}.issuerAliases"),
                "needs an `issuer`",
            ));
        }
        for (i, a) in self.issuer_aliases.iter().enumerate() {
            if a.is_empty() || a.chars().any(char::is_whitespace) {
                return Err(Error::config(
                    format!("{field}.issuerAliases[{i}]"),
                    "must not be empty or contain whitespace",
                ));
            }
        }
        Ok(())
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
        assert_eq!(p.redirect.host, RedirectHost::Ipv4Loopback);
        assert_eq!(p.redirect.port, 0);
        assert_eq!(p.redirect.path, "/callback");
        assert_eq!(p.clock_skew_secs, 60);
        assert_eq!(p.login_timeout_secs, 300);
        assert!(p.offline_access_prompt_consent);
        assert_eq!(p.dead_refresh_token_errors, ["invalid_grant"]);
        assert!(!p.persist_access_token);
        let dex = parse(
            r#"{"providers":{"dex":{"issuer":"https://x","clientId":"c","deadRefreshTokenErrors":["invalid_grant","invalid_request"]}}}"#,
        )
        .unwrap();
        dex.validate().unwrap();
        assert_eq!(
            dex.providers["dex"].dead_refresh_token_errors,
            ["invalid_grant", "invalid_request"]
        );
        let built = ProviderConfig::new("https://x".parse().unwrap(), "c")
            .dead_refresh_token_errors(["invalid_request"]);
        assert_eq!(built.dead_refresh_token_errors, ["invalid_request"]);
    }

    #[test]
    fn persist_access_token_is_opt_in_and_must_be_a_boolean() {
        let on = parse(
            r#"{"providers":{"gh":{"issuer":"https://x","clientId":"c","persistAccessToken":true}}}"#,
        )
        .unwrap();
        on.validate().unwrap();
        assert!(on.providers["gh"].persist_access_token);
        let built =
            ProviderConfig::new("https://x".parse().unwrap(), "c").persist_access_token(true);
        assert!(built.persist_access_token);
        assert!(!built.persist_access_token(false).persist_access_token);
        let e = parse(
            r#"{"providers":{"gh":{"issuer":"https://x","clientId":"c","persistAccessToken":"yes"}}}"#,
        )
        .unwrap_err();
        assert!(e.contains("expected a boolean"), "{e}");
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
                r#"{"providers":{"p":{"issuer":"https://x","discovery":false,"endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c"}}}"#,
                "providers.p.endpoints.jwksUri",
            ),
            (
                r#"{"providers":{"p":{"endpoints":{"authorization":"https://x/a","token":"https://x/t","jwksUri":"https://x/k"},"clientId":"c"}}}"#,
                "providers.p.issuer",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","discovery":false,"endpoints":{"authorization":"https://x/a"},"clientId":"c","scopes":["api"]}}}"#,
                "providers.p.endpoints.token",
            ),
            (
                r#"{"providers":{"p":{"endpoints":{"token":"https://x/t"},"clientId":"c","scopes":["api"]}}}"#,
                "providers.p.endpoints.authorization",
            ),
            (
                r#"{"providers":{"p":{"discovery":true,"endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c","scopes":["api"]}}}"#,
                "providers.p.discovery",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","endpoints":{"endSession":"http://x/logout"},"clientId":"c"}}}"#,
                "providers.p.endpoints.endSession",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","deadRefreshTokenErrors":["invalid_grant",""]}}}"#,
                "providers.p.deadRefreshTokenErrors",
            ),
            (
                r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","deadRefreshTokenErrors":[" "]}}}"#,
                "providers.p.deadRefreshTokenErrors",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(invalid_field(json), field, "{json}");
        }
    }

    /// `mobile.redirectUri`: what is accepted, and what each bad one gets.
    #[test]
    fn mobile_redirect_uris_are_reverse_domain_schemes_or_claimed_https() {
        let with = |uri: &str| {
            format!(
                r#"{{"providers":{{"p":{{"issuer":"https://x","clientId":"c","mobile":{{"redirectUri":"{uri}"}}}}}}}}"#
            )
        };
        for good in [
            "com.example.app:/oauth/callback",
            "com.googleusercontent.apps.123-abc:/oauthredirect",
            "https://app.example.com/oauth/callback",
        ] {
            let c = parse(&with(good)).unwrap();
            c.validate().unwrap();
            let p = &c.providers["p"];
            assert_eq!(p.mobile_redirect("p").unwrap().as_str(), good);
            assert!(!p.mobile.ephemeral_session);
        }
        for (bad, why) in [
            ("myapp:/callback", "reverse-domain"),
            ("com.example.app://callback", "no host"),
            ("com.example.app:callback", "starts with `/`"),
            ("com.example.app:/cb?x=1", "no query or fragment"),
            ("com.example.app:/cb#f", "no query or fragment"),
            ("http://127.0.0.1/callback", "plain http"),
            ("not a URL", "relative URL without a base"),
        ] {
            match parse(&with(bad)).map(|c| c.validate()) {
                Ok(Err(Error::InvalidConfig { field, message })) => {
                    assert_eq!(field, "providers.p.mobile.redirectUri", "{bad}");
                    assert!(message.contains(why), "{bad}: {message}");
                }
                // Not even a URL: refused while reading the file.
                Err(e) => assert!(e.contains(why), "{bad}: {e}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let e = parse(
            r#"{"providers":{"p":{"issuer":"https://x","clientId":"c","mobile":{"redirectUri":"com.x.y:/cb","scheme":"x"}}}}"#,
        )
        .unwrap_err();
        assert!(e.contains("unknown field `scheme`"), "{e}");
        // None configured: the mobile sign-in names the field.
        let none = ProviderConfig::new("https://x".parse().unwrap(), "c");
        match none.mobile_redirect("providers.p") {
            Err(Error::InvalidConfig { field, .. }) => {
                assert_eq!(field, "providers.p.mobile.redirectUri")
            }
            other => panic!("{other:?}"),
        }
        let built = none
            .mobile_redirect_uri("com.example.app:/cb".parse().unwrap())
            .ephemeral_session(true);
        built.validate().unwrap();
        assert!(built.mobile.ephemeral_session);
    }

    const ENTRA: &str = "https://login.microsoftonline.com/organizations/v2.0";
    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    /// `issuerTemplate`, `allowedTenants`, `issuerAliases`: the valid forms, from the file and
    /// from the setters, and the policy they give.
    #[test]
    fn issuer_template_tenants_and_aliases_are_read() {
        let c = parse(&format!(
            r#"{{"providers":{{
                "entra":{{"issuer":"{ENTRA}","clientId":"c","issuerTemplate":"{TEMPLATE}","allowedTenants":["{TENANT}"]}},
                "google":{{"issuer":"https://accounts.google.com","clientId":"c","issuerAliases":["accounts.google.com"]}},
                "plain":{{"issuer":"https://x","clientId":"c"}}
            }}}}"#
        ))
        .unwrap();
        c.validate().unwrap();
        let entra = &c.providers["entra"];
        assert_eq!(entra.issuer_template_in_effect().as_deref(), Some(TEMPLATE));
        assert_eq!(entra.allowed_tenants, [TENANT]);
        assert_eq!(
            c.providers["google"].issuer_aliases,
            ["accounts.google.com"]
        );
        let plain = &c.providers["plain"];
        assert_eq!(plain.issuer_template_in_effect(), None);
        assert!(plain.allowed_tenants.is_empty() && plain.issuer_aliases.is_empty());
        assert_eq!(
            plain.issuer_policy("https://x/").unwrap(),
            IssuerPolicy::exact("https://x/")
        );

        let built = ProviderConfig::new(ENTRA.parse().unwrap(), "c")
            .issuer_template(TEMPLATE)
            .allowed_tenants([TENANT]);
        built.validate().unwrap();
        assert_eq!(
            built.issuer_policy(TEMPLATE).unwrap(),
            entra.issuer_policy(TEMPLATE).unwrap()
        );
        let tid = serde_json::json!(TENANT);
        let iss = TEMPLATE.replace("{tenantid}", TENANT);
        built
            .issuer_policy(TEMPLATE)
            .unwrap()
            .check_id_token(&iss, Some(&tid))
            .unwrap();
        let google = ProviderConfig::new("https://accounts.google.com".parse().unwrap(), "c")
            .issuer_aliases(["accounts.google.com"]);
        google.validate().unwrap();
        google
            .issuer_policy("https://accounts.google.com")
            .unwrap()
            .check_id_token("accounts.google.com", None)
            .unwrap();
        // Manual mode (no discovery) takes a template too.
        let manual = parse(&format!(
            r#"{{"providers":{{"m":{{"issuer":"{ENTRA}","discovery":false,"clientId":"c","issuerTemplate":"{TEMPLATE}",
                "endpoints":{{"authorization":"https://x/a","token":"https://x/t","jwksUri":"https://x/k"}}}}}}}}"#
        ))
        .unwrap();
        manual.validate().unwrap();
    }

    /// A session's record names an issuer that the restore check (`record_matches`: parsed as
    /// a URL, equal to the configured `issuer`) takes for this provider's: under a template the
    /// configured issuer, not Entra's `{tenantid}` metadata issuer; otherwise the metadata's
    /// string, as before.
    #[test]
    fn a_templated_providers_record_names_the_configured_issuer() {
        let restores = |p: &ProviderConfig, record_issuer: &str| {
            Url::parse(record_issuer).ok().as_ref() == p.issuer.as_ref()
        };
        let entra = ProviderConfig::new(ENTRA.parse().unwrap(), "c").issuer_template(TEMPLATE);
        let recorded = entra.record_issuer(TEMPLATE);
        assert_eq!(recorded, ENTRA);
        assert!(restores(&entra, &recorded));
        assert!(
            !restores(&entra, TEMPLATE),
            "the metadata issuer would not restore"
        );
        let plain = ProviderConfig::new("https://idp.example".parse().unwrap(), "c");
        assert_eq!(
            plain.record_issuer("https://idp.example"),
            "https://idp.example"
        );
        assert!(restores(
            &plain,
            &plain.record_issuer("https://idp.example")
        ));
    }

    /// Each bad `issuerTemplate`, `allowedTenants` or `issuerAliases` is refused naming its
    /// field.
    #[test]
    fn bad_issuer_relaxations_name_the_field() {
        let provider = |extra: &str| {
            format!(r#"{{"providers":{{"p":{{"issuer":"{ENTRA}","clientId":"c",{extra}}}}}}}"#)
        };
        let template = |t: &str| provider(&format!(r#""issuerTemplate":"{t}""#));
        let t = "providers.p.issuerTemplate";
        let mut cases = vec![];
        for bad in [
            // Not exactly one placeholder.
            "https://login.microsoftonline.com/common/v2.0",
            "https://login.microsoftonline.com/{tenantid}/{tenantid}/v2.0",
            "https://login.microsoftonline.com/{TENANTID}/v2.0",
            // Not a whole path segment, or not in the path.
            "https://login.microsoftonline.com/t-{tenantid}/v2.0",
            "https://login.microsoftonline.com/{tenantid}x/v2.0",
            "https://{tenantid}.login.microsoftonline.com/v2.0",
            "https://login.microsoftonline.com{tenantid}/v2.0",
            // Not https, another origin, a query, not normalised, not a URL.
            "http://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com:8443/{tenantid}/v2.0",
            "https://sts.windows.net/{tenantid}/",
            "https://login.microsoftonline.com/{tenantid}/v2.0?x=1",
            "https://login.microsoftonline.com/{tenantid}/v2.0#x",
            "https://LOGIN.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/{tenantid}/../v2.0",
            "https://login.microsoftonline.com/{tenantid}/v 2.0",
            "/{tenantid}/v2.0",
            "",
        ] {
            cases.push((template(bad), t.to_string()));
        }
        let more = [
            // A template needs an issuer.
            (
                format!(
                    r#"{{"providers":{{"p":{{"endpoints":{{"authorization":"https://x/a","token":"https://x/t"}},"clientId":"c","scopes":["api"],"issuerTemplate":"{TEMPLATE}"}}}}}}"#
                ),
                t,
            ),
            // Tenants without a template, or not tenant ids.
            (
                provider(&format!(r#""allowedTenants":["{TENANT}"]"#)),
                "providers.p.allowedTenants",
            ),
            (
                provider(&format!(
                    r#""issuerTemplate":"{TEMPLATE}","allowedTenants":["{TENANT}","contoso.onmicrosoft.com"]"#
                )),
                "providers.p.allowedTenants[1]",
            ),
            (
                provider(&format!(r#""issuerTemplate":"{TEMPLATE}","allowedTenants":[""]"#)),
                "providers.p.allowedTenants[0]",
            ),
            (
                provider(&format!(r#""issuerTemplate":"{TEMPLATE}","allowedTenants":["a/b"]"#)),
                "providers.p.allowedTenants[0]",
            ),
            (
                provider(&format!(r#""issuerTemplate":"{TEMPLATE}","allowedTenants":["%2F"]"#)),
                "providers.p.allowedTenants[0]",
            ),
            // Aliases: not empty, no whitespace, an issuer, no template beside them.
            (
                provider(r#""issuerAliases":[""]"#),
                "providers.p.issuerAliases[0]",
            ),
            (
                provider(r#""issuerAliases":["accounts.google.com","a b"]"#),
                "providers.p.issuerAliases[1]",
            ),
            (
                provider(r#""issuerAliases":["x\t"]"#),
                "providers.p.issuerAliases[0]",
            ),
            (
                r#"{"providers":{"p":{"endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c","scopes":["api"],"issuerAliases":["x"]}}}"#.to_string(),
                "providers.p.issuerAliases",
            ),
            (
                provider(&format!(
                    r#""issuerTemplate":"{TEMPLATE}","issuerAliases":["https://evil.example"]"#
                )),
                "providers.p.issuerAliases",
            ),
        ];
        cases.extend(more.into_iter().map(|(j, f)| (j, f.to_string())));
        for (json, field) in &cases {
            assert_eq!(&invalid_field(json), field, "{json}");
        }
        // The builder's values go through the same checks.
        let e = ProviderConfig::new(ENTRA.parse().unwrap(), "c")
            .issuer_template("https://evil.example/{tenantid}/v2.0")
            .validate()
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidConfig { field, .. } if field == "provider.issuerTemplate"),
            "{e:?}"
        );
        let e = parse(&provider(r#""issuerAliases":"accounts.google.com""#)).unwrap_err();
        assert!(e.contains("sequence"), "{e}");
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected_by_name() {
        let e = parse(r#"{"providers":{"p":{"issuer":"https://x","clientID":"c"}}}"#).unwrap_err();
        assert!(e.contains("clientID"), "{e}");
        let e = parse(r#"{"providers":{"p":{"issuer":"not a url","clientId":"c"}}}"#).unwrap_err();
        assert!(e.contains("relative URL"), "{e}");
    }

    /// `endpoints` beside a discovered `issuer` are overrides (valid with any subset); with
    /// `discovery: false` they are the whole set, and `openid` needs the `issuer` its ID
    /// tokens are checked against.
    #[test]
    fn endpoints_override_discovery_or_replace_it() {
        let c = parse(
            r#"{"providers":{
                "cognito":{"issuer":"https://x","endpoints":{"endSession":"https://x/logout"},"clientId":"c"},
                "manual":{"issuer":"https://x","discovery":false,"clientId":"c","endpoints":{"authorization":"https://x/a","token":"https://x/t","jwksUri":"https://x/k"}},
                "github":{"endpoints":{"authorization":"https://x/a","token":"https://x/t"},"clientId":"c","scopes":["read:user"]}
            }}"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert!(c.providers["cognito"].discovers());
        assert!(!c.providers["manual"].discovers());
        assert!(!c.providers["github"].discovers());
    }

    /// `redirect.host` takes the three loopback spellings and nothing else (a LAN address or a
    /// name other than `localhost` is refused, with the accepted values named).
    #[test]
    fn redirect_host_is_one_of_the_loopback_spellings() {
        for (host, want) in [
            ("127.0.0.1", RedirectHost::Ipv4Loopback),
            ("localhost", RedirectHost::Localhost),
            ("[::1]", RedirectHost::Ipv6Loopback),
        ] {
            let c = parse(&format!(
                r#"{{"providers":{{"p":{{"issuer":"https://x","clientId":"c","redirect":{{"host":"{host}"}}}}}}}}"#
            ))
            .unwrap();
            assert_eq!(c.providers["p"].redirect.host, want);
            assert_eq!(want.as_str(), host);
            let addrs: Vec<String> = want.addrs().iter().map(|a| a.to_string()).collect();
            let expected: &[&str] = match want {
                RedirectHost::Localhost => &["127.0.0.1", "::1"],
                RedirectHost::Ipv6Loopback => &["::1"],
                _ => &["127.0.0.1"],
            };
            assert_eq!(addrs, expected, "the IPv4 address first: it must bind");
        }
        for bad in ["0.0.0.0", "192.168.1.2", "::1", "example.com", "LOCALHOST"] {
            let e = parse(&format!(
                r#"{{"providers":{{"p":{{"issuer":"https://x","clientId":"c","redirect":{{"host":"{bad}"}}}}}}}}"#
            ))
            .unwrap_err();
            assert!(e.contains("localhost") && e.contains("[::1]"), "{bad}: {e}");
        }
    }

    #[test]
    fn keychain_access_group_is_read_and_must_not_be_empty() {
        let c = parse(r#"{"keychainAccessGroup":"ABCDE12345.com.example.shared"}"#).unwrap();
        assert_eq!(
            c.keychain_access_group(),
            Some("ABCDE12345.com.example.shared")
        );
        c.validate().unwrap();
        assert_eq!(parse("{}").unwrap().keychain_access_group(), None);
        assert_eq!(
            invalid_field(r#"{"keychainAccessGroup":" "}"#),
            "keychainAccessGroup"
        );
        assert!(parse(r#"{"keychainAccessGroup":7}"#).is_err());
    }
}
