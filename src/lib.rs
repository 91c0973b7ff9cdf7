//! # tauri-plugin-token-vault
//!
//! OAuth 2.0 / OpenID Connect sign-in for Tauri v2 apps: authorization code + PKCE (S256) in
//! the **system browser** (RFC 8252), a loopback redirect on `127.0.0.1`, discovery, `state`,
//! `nonce`, RFC 9207 `iss` checks and ID tokens validated against the provider's JWKS. The
//! refresh token lives in the OS credential store and nowhere else; access tokens live in
//! memory (or, for a provider that issues no refresh token and has `persistAccessToken`, in the
//! credential store in its place); page script can make authorized requests without ever
//! holding a token.
//!
//! ## Contents
//! - **Plugin**: [`init`] / [`Builder`] register it; [`TokenVaultExt`] gives `app.token_vault()`,
//!   the managed [`TokenVault`].
//! - **Core** (no Tauri needed, usable from plain Rust): [`SessionManager`] (sign-in, tokens on
//!   demand with single-flight refresh, logout), [`SessionStatus`], [`SessionEvent`] /
//!   [`SessionEvents`] with [`SessionChangeReason`], [`LogoutReport`], [`LoginCancel`], the
//!   browser step [`Browser`] / [`SystemBrowser`] (desktop) or [`AuthSession`] (mobile), and
//!   authorized requests [`FetchRequest`] /
//!   [`FetchResponse`] ([`SessionManager::fetch`], feature `fetch`).
//!
//! ## Features
//! - `fetch` (default): authorized requests made in Rust and the webview's `authFetch`;
//!   without it the `fetch` command answers `unsupported`.
//! - `rustls-tls` (default) or `native-tls`: the TLS library for every request.
//! - `test-util`: the `testing` module, for this crate's own tests (not covered by semver).
//! - **Configuration**: [`Config`], [`ProviderConfig`], [`Endpoints`], [`Allowlist`].
//! - **Errors**: [`Error`] (every variant has a stable [`Error::code`]) and [`Result`].
//! - **Secrets**: [`AccessToken`], [`RefreshToken`], [`IdToken`], [`ClientSecret`].
//!
//! ## Security
//! Tokens, codes and PKCE verifiers are secret newtypes: `Debug` prints `[redacted]`, memory is
//! wiped on drop, and no error message, log line or event contains one. The raw access token
//! reaches page script only through the opt-in `allow-get-token` permission.
//!
//! ## Example
//! Register the plugin in the app's `tauri::Builder` (in `main.rs`: `tauri::Builder::default()`),
//! with a provider from Rust in addition to those in `tauri.conf.json`:
//! ```
//! use tauri_plugin_token_vault::{Allowlist, Builder, ProviderConfig};
//!
//! fn with_sign_in<R: tauri::Runtime>(
//!     app: tauri::Builder<R>,
//! ) -> Result<tauri::Builder<R>, tauri_plugin_token_vault::Error> {
//!     let auth0 = ProviderConfig::new("https://example.eu.auth0.com/".parse().unwrap(), "AbCdEf123")
//!         .scopes(["openid", "profile", "offline_access"])
//!         .fetch_allowlist(Allowlist::parse(["https://api.example.com"])?);
//!     Ok(app.plugin(Builder::new().provider("auth0", auth0).build()))
//! }
//! ```

#![deny(missing_docs)]

#[cfg(not(any(feature = "rustls-tls", feature = "native-tls")))]
compile_error!("enable one TLS backend: the `rustls-tls` (default) or the `native-tls` feature");

use tauri::{
    plugin::{Builder as PluginBuilder, TauriPlugin},
    Manager, Runtime,
};

mod commands;
mod config;
mod error;
mod events;
#[cfg(feature = "fetch")]
mod fetch;
mod http;
#[cfg(mobile)]
mod mobile;
mod models;
mod oauth;
mod redirect;
mod secret;
mod session;
// The sign-in flows (desktop loopback receiver, mobile authentication session);
// `SignedIn::subject` is read by the `testing` re-export's users only.
#[cfg_attr(not(feature = "test-util"), allow(dead_code))]
mod signin;
mod task;
mod token_vault;
mod url_policy;
mod vault;

pub use commands::DEFAULT_ACCOUNT;
pub use config::{
    ClientAuthContext, ClientCredential, Config, DpopAlg, DpopMode, Endpoints, ParMode, Preset,
    ProviderConfig, RedirectHost, RevocationStyle, TokenEndpointAuthMethod,
};
pub use error::{Error, Result};
pub use events::{DEVICE_CODE, SESSION_CHANGED};
#[cfg(feature = "fetch")]
pub use fetch::{FetchRequest, FetchResponse};
pub use models::{
    DeviceCode, LogoutResult, SessionChangeReason, SessionEvent, SessionState, SessionStatus,
};
pub use redirect::native::{AuthSession, AuthSessionFuture, AuthSessionRequest};
pub use redirect::{Browser, SystemBrowser};
pub use secret::{AccessToken, ClientSecret, IdToken, RefreshToken};
pub use session::{LoginCancel, LogoutReport, SessionEvents, SessionManager};
pub use token_vault::TokenVault;
pub use url_policy::Allowlist;

/// Test seams and lower-level parts for this crate's own integration tests, benchmarks and
/// store conformance runs (feature `test-util`). Not covered by semver.
#[cfg(feature = "test-util")]
pub mod testing {
    pub use crate::http::HttpClient;
    pub use crate::oauth::client::{OAuthClient, TokenSet};
    pub use crate::oauth::id_token::{IdTokenClaims, IdTokenVerifier};
    #[cfg(desktop)]
    pub use crate::signin::sign_in;
    pub use crate::signin::{sign_in_with_device_code, sign_in_with_session, SignedIn};
    pub use crate::vault::{
        conformance, Record, Vault, ACCESS_TOKEN_RECORD_VERSION, RECORD_VERSION, WINDOWS_BLOB_LIMIT,
    };
}

/// The README's Rust examples, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Extension to reach the plugin from any [`Manager`] (`app.token_vault()`).
pub trait TokenVaultExt<R: Runtime> {
    /// The managed [`TokenVault`].
    fn token_vault(&self) -> &TokenVault<R>;
}

impl<R: Runtime, T: Manager<R>> TokenVaultExt<R> for T {
    fn token_vault(&self) -> &TokenVault<R> {
        self.state::<TokenVault<R>>().inner()
    }
}

/// Builds the plugin with providers given in Rust, added to those in `tauri.conf.json`.
///
/// ```
/// use tauri_plugin_token_vault::{Builder, ProviderConfig};
///
/// fn plugin<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R, Option<tauri_plugin_token_vault::Config>> {
///     let google = ProviderConfig::new(
///         "https://accounts.google.com".parse().unwrap(),
///         "123.apps.googleusercontent.com",
///     )
///     .client_secret("GOCSPX-not-really-secret") // Google desktop clients have one (RFC 8252 §8.5)
///     .scopes(["openid", "email"]);
///     Builder::new().provider("google", google).build()
/// }
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    providers: Vec<(String, ProviderConfig)>,
}

impl Builder {
    /// A builder with no providers beyond the configuration file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) provider `id`.
    pub fn provider(mut self, id: impl Into<String>, config: ProviderConfig) -> Self {
        self.providers.push((id.into(), config));
        self
    }

    /// Builds the plugin. Invalid configuration fails app start-up with a message naming the field.
    pub fn build<R: Runtime>(self) -> TauriPlugin<R, Option<Config>> {
        PluginBuilder::<R, Option<Config>>::new("token-vault")
            .invoke_handler(tauri::generate_handler![
                commands::login,
                commands::login_device_code,
                commands::cancel_login,
                commands::logout,
                commands::session,
                commands::sessions,
                commands::refresh,
                commands::get_token,
                commands::fetch,
            ])
            .setup(move |app, api| {
                let mut config = api.config().clone().unwrap_or_default();
                for (id, p) in self.providers {
                    config.providers.insert(id, p);
                }
                config.validate()?;
                let vault = token_vault::init(app, api, config)?;
                app.manage(vault);
                #[cfg(feature = "fetch")]
                app.manage(commands::FetchRegistry::default());
                Ok(())
            })
            .build()
    }
}

/// The plugin with configuration from `tauri.conf.json` → `plugins.token-vault`.
///
/// ```
/// // In main.rs: tauri::Builder::default().plugin(tauri_plugin_token_vault::init())…
/// fn register<R: tauri::Runtime>(app: tauri::Builder<R>) -> tauri::Builder<R> {
///     app.plugin(tauri_plugin_token_vault::init())
/// }
/// ```
pub fn init<R: Runtime>() -> TauriPlugin<R, Option<Config>> {
    Builder::new().build()
}
