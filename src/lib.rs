//! # tauri-plugin-token-vault
//!
//! OAuth 2.0 / OpenID Connect sign-in for Tauri v2 apps: authorization code + PKCE (S256) in
//! the **system browser** (RFC 8252), a loopback redirect on `127.0.0.1`, discovery, `state`,
//! `nonce`, RFC 9207 `iss` checks and ID tokens validated against the provider's JWKS.
//!
//! ## Contents
//! - [`init`] / [`Builder`]: register the plugin; configuration in [`config`].
//! - [`TokenVaultExt`]: `app.token_vault()` from Rust.
//! - The Tauri-independent core: [`oauth`] (protocol), [`redirect`] (browser step and
//!   loopback receiver), [`signin`] (the flow), [`secret`] (redacted, zeroized secret types),
//!   [`error`] (one error type with stable codes).
//!
//! ## Security
//! Tokens, codes and PKCE verifiers are secret newtypes: `Debug` prints `[redacted]`, memory is
//! wiped on drop, and no error message, log line or event contains one.

#![warn(missing_docs)]

use tauri::{
    plugin::{Builder as PluginBuilder, TauriPlugin},
    Manager, Runtime,
};

pub mod config;
pub mod error;
pub mod events;
pub mod fetch;
pub mod models;
pub mod oauth;
pub mod redirect;
pub mod secret;
pub mod session;
pub mod signin;
pub mod vault;

mod commands;
#[cfg(desktop)]
mod desktop;
#[cfg(mobile)]
mod mobile;
/// The mobile shell type-checked on desktop too (mobile targets cannot be built here: no NDK
/// or Xcode), so it cannot rot unseen.
#[cfg(all(test, desktop))]
#[allow(dead_code)]
#[path = "mobile.rs"]
mod mobile_compiles_on_desktop;

pub use commands::DEFAULT_ACCOUNT;
pub use config::{Config, ProviderConfig};
#[cfg(desktop)]
pub use desktop::TokenVault;
pub use error::{Error, Result};
pub use events::SESSION_CHANGED;
#[cfg(mobile)]
pub use mobile::TokenVault;

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
                #[cfg(desktop)]
                let vault = desktop::init(app, api, config)?;
                #[cfg(mobile)]
                let vault = mobile::init(app, api, config)?;
                app.manage(vault);
                Ok(())
            })
            .build()
    }
}

/// The plugin with configuration from `tauri.conf.json` → `plugins.token-vault`.
pub fn init<R: Runtime>() -> TauriPlugin<R, Option<Config>> {
    Builder::new().build()
}
