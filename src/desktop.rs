//! Desktop side of the Tauri shell: the managed [`TokenVault`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tauri::{plugin::PluginApi, AppHandle, Runtime};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::models::SessionInfo;
use crate::oauth::OAuthClient;
use crate::redirect::SystemBrowser;
use crate::signin::sign_in;

pub(crate) fn init<R: Runtime, C: serde::de::DeserializeOwned>(
    app: &AppHandle<R>,
    _api: PluginApi<R, C>,
    config: Config,
) -> Result<TokenVault<R>> {
    Ok(TokenVault {
        _app: app.clone(),
        config,
        clients: tokio::sync::Mutex::new(HashMap::new()),
        logins: Mutex::new(HashMap::new()),
    })
}

/// Access to the token-vault APIs (`app.token_vault()`).
pub struct TokenVault<R: Runtime> {
    _app: AppHandle<R>,
    config: Config,
    clients: tokio::sync::Mutex<HashMap<String, Arc<OAuthClient>>>,
    logins: Mutex<HashMap<String, CancellationToken>>,
}

impl<R: Runtime> TokenVault<R> {
    /// The provider ids configured.
    pub fn providers(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.config.providers.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The discovered client of `provider` (discovery runs once per provider per process).
    pub async fn client(&self, provider: &str) -> Result<Arc<OAuthClient>> {
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(provider) {
            return Ok(c.clone());
        }
        let config = self
            .config
            .providers
            .get(provider)
            .ok_or_else(|| Error::UnknownProvider(provider.to_string()))?
            .clone();
        let client = Arc::new(OAuthClient::discover(config).await?);
        clients.insert(provider.to_string(), client.clone());
        Ok(client)
    }

    /// Signs in with `provider` in the system browser. One sign-in per provider at a time.
    pub async fn login(
        &self,
        provider: &str,
        extra: BTreeMap<String, String>,
    ) -> Result<SessionInfo> {
        let client = self.client(provider).await?;
        let cancel = CancellationToken::new();
        {
            let mut logins = self.logins.lock().expect("logins lock");
            if logins.contains_key(provider) {
                return Err(Error::LoginInProgress(provider.to_string()));
            }
            logins.insert(provider.to_string(), cancel.clone());
        }
        let result = sign_in(&client, &SystemBrowser, &extra, cancel).await;
        self.logins.lock().expect("logins lock").remove(provider);
        result.map(|s| SessionInfo::from_signed_in(provider, &s))
    }

    /// Cancels the running sign-in of `provider`; returns whether one was running.
    pub fn cancel_login(&self, provider: &str) -> bool {
        match self.logins.lock().expect("logins lock").get(provider) {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }
}
