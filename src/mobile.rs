//! Mobile side of the Tauri shell. The native authentication sessions
//! (ASWebAuthenticationSession / Custom Tabs) are not implemented yet: every call answers
//! `unsupported`.

use std::collections::BTreeMap;

use tauri::{plugin::PluginApi, AppHandle, Runtime};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::models::LogoutResult;
use crate::session::SessionStatus;

pub(crate) fn init<R: Runtime, C: serde::de::DeserializeOwned>(
    app: &AppHandle<R>,
    _api: PluginApi<R, C>,
    config: Config,
) -> Result<TokenVault<R>> {
    Ok(TokenVault {
        _app: app.clone(),
        config,
    })
}

/// Access to the token-vault APIs (`app.token_vault()`).
pub struct TokenVault<R: Runtime> {
    _app: AppHandle<R>,
    config: Config,
}

impl<R: Runtime> TokenVault<R> {
    /// The provider ids configured.
    pub fn providers(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.config.providers.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Not yet available on mobile.
    pub async fn login(
        &self,
        _provider: &str,
        _account: &str,
        _extra: BTreeMap<String, String>,
    ) -> Result<SessionStatus> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn logout(&self, _provider: &str, _account: &str) -> Result<LogoutResult> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn session(&self, _provider: &str, _account: &str) -> Result<SessionStatus> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn sessions(&self) -> Result<Vec<SessionStatus>> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn refresh(&self, _provider: &str, _account: &str) -> Result<SessionStatus> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn get_token(
        &self,
        _provider: &str,
        _account: &str,
        _min_ttl: std::time::Duration,
    ) -> Result<String> {
        Err(unsupported())
    }

    /// Not yet available on mobile.
    pub async fn fetch(
        &self,
        _provider: Option<&str>,
        _account: &str,
        _request: crate::fetch::FetchRequest,
    ) -> Result<crate::fetch::FetchResponse> {
        Err(unsupported())
    }

    /// Not yet available on mobile; returns false.
    pub fn cancel_login(&self, _provider: &str) -> bool {
        false
    }
}

fn unsupported() -> Error {
    Error::Unsupported("token-vault on mobile (native sign-in sessions are not written yet)".into())
}
