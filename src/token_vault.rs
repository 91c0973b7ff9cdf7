//! The Tauri shell's managed state: one [`TokenVault`] for every platform, over the core
//! [`SessionManager`]. Only the browser step differs by platform: the system browser and a
//! loopback redirect on desktop; on iOS and Android the native authentication session
//! (`crate::mobile`), with the provider's `mobile.redirectUri`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tauri::{plugin::PluginApi, AppHandle, Emitter, Manager, Runtime};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::SESSION_CHANGED;
#[cfg(feature = "fetch")]
use crate::fetch::{FetchRequest, FetchResponse, StartedFetch};
use crate::models::{LogoutResult, SessionStatus};
use crate::secret::AccessToken;
use crate::session::{LoginCancel, LogoutReport, SessionManager};

pub(crate) fn init<R: Runtime, C: serde::de::DeserializeOwned>(
    app: &AppHandle<R>,
    api: PluginApi<R, C>,
    config: Config,
) -> Result<TokenVault<R>> {
    #[cfg(mobile)]
    let native = crate::mobile::register(&api)?;
    #[cfg(desktop)]
    let _ = api;
    let service = config
        .service
        .clone()
        .unwrap_or_else(|| app.config().identifier.clone());
    let mut sessions = SessionManager::new(&service, config.providers.clone());
    // Paths only: nothing is read or created here (init does no store, network or disk
    // access); the lock and cache directories are made at first use.
    if let Ok(dir) = app.path().app_data_dir() {
        sessions = sessions
            .with_lock_dir(dir.join("token-vault-locks"))
            .with_cache_dir(dir.join("token-vault-cache"));
    }
    if let Some(group) = config.keychain_access_group() {
        sessions = sessions.with_keychain_access_group(group);
    }
    let sessions = Arc::new(sessions);
    let mut events = sessions.subscribe();
    let emitter = app.clone();
    tauri::async_runtime::spawn(crate::task::boxed(async move {
        while let Some(e) = events.recv().await {
            let _ = emitter.emit(SESSION_CHANGED, &e);
        }
    }));
    Ok(TokenVault {
        _app: app.clone(),
        sessions,
        logins: Mutex::new(HashMap::new()),
        #[cfg(mobile)]
        native,
    })
}

/// Access to the token-vault APIs from Rust (`app.token_vault()`, see
/// [`TokenVaultExt`](crate::TokenVaultExt)). All platforms.
pub struct TokenVault<R: Runtime> {
    _app: AppHandle<R>,
    sessions: Arc<SessionManager>,
    logins: Mutex<HashMap<String, LoginCancel>>,
    /// The native authentication session (iOS, Android).
    #[cfg(mobile)]
    native: crate::mobile::NativeAuthSession<R>,
}

impl<R: Runtime> TokenVault<R> {
    /// The provider ids configured.
    pub fn providers(&self) -> Vec<String> {
        self.sessions.provider_ids()
    }

    /// The core session manager (tokens, refresh, logout).
    pub fn session_manager(&self) -> &Arc<SessionManager> {
        &self.sessions
    }

    /// Signs `account` in with `provider` and stores the session: in the system browser on
    /// desktop, in the native authentication session on iOS and Android (with the provider's
    /// `mobile.redirectUri`). One sign-in per provider at a time.
    pub async fn login(
        &self,
        provider: &str,
        account: &str,
        extra: BTreeMap<String, String>,
    ) -> Result<SessionStatus> {
        let (cancel, _slot) = self.take_slot(provider)?;
        self.login_with(provider, account, &extra, cancel).await
    }

    /// The provider's sign-in slot (one sign-in per provider at a time) and its cancel handle.
    /// The slot is freed however the sign-in's future ends: finished, failed, or dropped by its
    /// caller mid-flight (a Rust `timeout`/`select!`), which also closes the listener.
    fn take_slot<'a>(&'a self, provider: &'a str) -> Result<(LoginCancel, LoginSlot<'a>)> {
        let cancel = LoginCancel::new();
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        if logins.contains_key(provider) {
            return Err(Error::LoginInProgress(provider.to_string()));
        }
        logins.insert(provider.to_string(), cancel.clone());
        drop(logins);
        Ok((
            cancel,
            LoginSlot {
                logins: &self.logins,
                provider,
            },
        ))
    }

    /// Signs `account` in with `provider` through the device authorization grant (RFC 8628):
    /// the user code and verification URI go to every window as the `token-vault://device-code`
    /// event ([`crate::DeviceCode`]); returns once the user approved on another device. Shares
    /// the provider's one-sign-in-at-a-time slot and `cancel_login` with [`Self::login`].
    pub async fn login_with_device_code(
        &self,
        provider: &str,
        account: &str,
        extra: BTreeMap<String, String>,
    ) -> Result<SessionStatus> {
        let (cancel, _slot) = self.take_slot(provider)?;
        let app = self._app.clone();
        let show = move |code: &crate::DeviceCode| {
            let _ = app.emit(crate::events::DEVICE_CODE, code);
        };
        core::login_with_device_code(&self.sessions, provider, account, &show, &extra, cancel).await
    }

    /// Signs out: revokes at the provider, wipes the store, notifies every window. The report
    /// carries the RP-initiated logout URL (with `id_token_hint`) when the provider has one.
    pub async fn logout_with_report(&self, provider: &str, account: &str) -> Result<LogoutReport> {
        core::logout(&self.sessions, provider, account).await
    }

    /// Signs out (see [`Self::logout_with_report`]); the page-script view of the result.
    pub async fn logout(&self, provider: &str, account: &str) -> Result<LogoutResult> {
        let r = self.logout_with_report(provider, account).await?;
        Ok(LogoutResult {
            revoked: r.revoked,
            revocation_error: r.revocation_error,
            revocation_skipped: r.revocation_skipped,
            end_session_available: r.end_session_url.is_some(),
            store_cleared: r.store_cleared,
            store_error: r.store_error,
        })
    }

    /// The session of `account` at `provider`.
    pub async fn session(&self, provider: &str, account: &str) -> Result<SessionStatus> {
        core::status(&self.sessions, provider, account).await
    }

    /// Every known session (and the default account of every provider).
    pub async fn sessions(&self) -> Result<Vec<SessionStatus>> {
        core::sessions(&self.sessions).await
    }

    /// Refreshes now.
    pub async fn refresh(&self, provider: &str, account: &str) -> Result<SessionStatus> {
        core::refresh(&self.sessions, provider, account).await
    }

    /// A valid access token (raw: the `get_token` command is opt-in for page script).
    pub async fn get_token(
        &self,
        provider: &str,
        account: &str,
        min_ttl: std::time::Duration,
    ) -> Result<String> {
        let t: AccessToken = core::get_token(&self.sessions, provider, account, min_ttl).await?;
        Ok(t.secret().to_string())
    }

    /// An authorized request made in Rust (`provider` defaults to the only configured one).
    /// Feature `fetch`.
    #[cfg(feature = "fetch")]
    pub async fn fetch(
        &self,
        provider: Option<&str>,
        account: &str,
        request: FetchRequest,
    ) -> Result<FetchResponse> {
        let provider = self.fetch_provider(provider)?;
        core::fetch(&self.sessions, &provider, account, request).await
    }

    /// [`Self::fetch`] up to the response head (page script's `authFetch`).
    #[cfg(feature = "fetch")]
    pub(crate) async fn start_fetch(
        &self,
        provider: Option<&str>,
        account: &str,
        request: FetchRequest,
    ) -> Result<StartedFetch> {
        let provider = self.fetch_provider(provider)?;
        core::start_fetch(&self.sessions, &provider, account, request).await
    }

    /// `provider`, or the only configured one.
    #[cfg(feature = "fetch")]
    fn fetch_provider(&self, provider: Option<&str>) -> Result<String> {
        match provider {
            Some(p) => Ok(p.to_string()),
            None => {
                let ids = self.sessions.provider_ids();
                match ids.as_slice() {
                    [only] => Ok(only.clone()),
                    _ => Err(Error::FetchInvalidRequest(format!(
                        "name the provider (configured: {})",
                        ids.join(", ")
                    ))),
                }
            }
        }
    }

    /// Cancels the running sign-in of `provider`; returns whether one was running.
    pub fn cancel_login(&self, provider: &str) -> bool {
        match self
            .logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(provider)
        {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    #[cfg(desktop)]
    async fn login_with(
        &self,
        provider: &str,
        account: &str,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        core::login(
            &self.sessions,
            provider,
            account,
            &crate::SystemBrowser,
            extra,
            cancel,
        )
        .await
    }

    #[cfg(mobile)]
    async fn login_with(
        &self,
        provider: &str,
        account: &str,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        core::login_with_session(
            &self.sessions,
            provider,
            account,
            &self.native,
            extra,
            cancel,
        )
        .await
    }
}

/// The session manager's futures, boxed by non-generic functions. `TokenVault<R>` and the
/// commands are generic over the app's runtime, so whatever they hold by value is compiled in
/// the app's crate (once per codegen unit that needs it, drop glue included); behind these
/// boxes the session futures' code and drop glue are compiled once, here. Issue 14: the
/// sign-in future alone had six ~10 kB copies of its drop glue in an app.
mod core {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;

    use crate::error::Result;
    use crate::models::SessionStatus;
    use crate::secret::AccessToken;
    use crate::session::{LoginCancel, LogoutReport, SessionManager};

    /// A boxed session future.
    pub(super) type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

    #[cfg(desktop)]
    pub(super) fn login<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        browser: &'a (dyn crate::Browser + Sync),
        extra: &'a BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Boxed<'a, SessionStatus> {
        Box::pin(s.login(provider, account, browser, extra, cancel))
    }

    #[cfg(mobile)]
    pub(super) fn login_with_session<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        session: &'a (dyn crate::AuthSession + Sync),
        extra: &'a BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Boxed<'a, SessionStatus> {
        Box::pin(s.login_with_session(provider, account, session, extra, cancel))
    }

    pub(super) fn login_with_device_code<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        show: &'a (dyn Fn(&crate::DeviceCode) + Send + Sync),
        extra: &'a BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Boxed<'a, SessionStatus> {
        Box::pin(s.login_with_device_code(provider, account, show, extra, cancel))
    }

    pub(super) fn logout<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
    ) -> Boxed<'a, LogoutReport> {
        Box::pin(s.logout(provider, account))
    }

    pub(super) fn status<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
    ) -> Boxed<'a, SessionStatus> {
        Box::pin(s.status(provider, account))
    }

    pub(super) fn sessions(s: &SessionManager) -> Boxed<'_, Vec<SessionStatus>> {
        Box::pin(s.sessions(crate::DEFAULT_ACCOUNT))
    }

    pub(super) fn refresh<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
    ) -> Boxed<'a, SessionStatus> {
        Box::pin(s.refresh(provider, account))
    }

    pub(super) fn get_token<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        min_ttl: std::time::Duration,
    ) -> Boxed<'a, AccessToken> {
        Box::pin(s.get_token(provider, account, min_ttl))
    }

    #[cfg(feature = "fetch")]
    pub(super) fn fetch<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        request: crate::fetch::FetchRequest,
    ) -> Boxed<'a, crate::fetch::FetchResponse> {
        Box::pin(s.fetch(provider, account, request))
    }

    #[cfg(feature = "fetch")]
    pub(super) fn start_fetch<'a>(
        s: &'a SessionManager,
        provider: &'a str,
        account: &'a str,
        request: crate::fetch::FetchRequest,
    ) -> Boxed<'a, crate::fetch::StartedFetch> {
        Box::pin(s.start_fetch(provider, account, request))
    }
}

/// The running sign-in of one provider; removing it on drop frees the provider for the next.
struct LoginSlot<'a> {
    logins: &'a Mutex<HashMap<String, LoginCancel>>,
    provider: &'a str,
}

impl Drop for LoginSlot<'_> {
    fn drop(&mut self) {
        self.logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(self.provider);
    }
}
