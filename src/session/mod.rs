//! The session manager: per (provider, account) state, lazy restore from the credential
//! store, sign-in, status and logout with revocation, and session-changed notifications. No
//! Tauri imports. Tokens on demand and the refresh policy are in `refresh`, per-account state
//! in `account`, the cross-process lock in `lock`.
//!
//! ## Contracts
//! - **Store reads**: once per account per process, at first use (and again, under the
//!   cross-process lock, just before a refresh). Never on the hot path.
//! - **Across processes**: an advisory file lock per account in `lock_dir` around a refresh,
//!   then the store is re-read, so two app instances never use the same rotated token twice.
//! - **Events**: every change of a session's state is announced once, with a
//!   [`SessionChangeReason`]; no event carries a token.

mod account;
mod lock;
mod refresh;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, UNIX_EPOCH};

use tokio::sync::{broadcast, Mutex};
use tokio_util::sync::CancellationToken;
use url::Url;

use self::account::{Access, Account, Inner};
use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::models::{DeviceCode, SessionChangeReason, SessionEvent, SessionState, SessionStatus};
use crate::oauth::dpop::{self, DpopBinding, DpopKey, StoredKey};
use crate::oauth::{Clock, DiskCache, IdTokenClaims, OAuthClient};
use crate::redirect::native::AuthSession;
#[cfg(desktop)]
use crate::redirect::Browser;
use crate::secret::{AccessToken, IdToken, RefreshToken};
#[cfg(desktop)]
use crate::signin::sign_in;
use crate::signin::{sign_in_with_device_code, sign_in_with_session};
use crate::vault::{Record, StoredDpopKey, Vault};

/// Cancels a running [`SessionManager::login`] (cheap to clone; every clone cancels the same
/// sign-in). The sign-in then ends with `login_cancelled` and its loopback listener closes.
#[derive(Debug, Clone, Default)]
pub struct LoginCancel(CancellationToken);

impl LoginCancel {
    /// A handle that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the sign-in (idempotent).
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Session-changed notifications of one [`SessionManager`] ([`SessionManager::subscribe`]).
#[derive(Debug)]
pub struct SessionEvents(broadcast::Receiver<SessionEvent>);

impl SessionEvents {
    /// The next event; `None` once the manager is gone. A receiver that fell more than 64
    /// events behind skips the oldest ones.
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        loop {
            match self.0.recv().await {
                Ok(e) => return Some(e),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        loop {
            match self.0.try_recv() {
                Ok(e) => return Some(e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// What `logout` did. `Debug` leaves out the end-session URL's query (it holds the ID token).
#[derive(Clone)]
pub struct LogoutReport {
    /// Whether the provider confirmed the revocation of the refresh token (or access token
    /// when there was no refresh token).
    pub revoked: bool,
    /// Why revocation failed, if it did (the session is wiped anyway).
    pub revocation_error: Option<Error>,
    /// Why no revocation was attempted, when none was: the provider offers none (no
    /// revocation endpoint, `revocationStyle` `none`). Not an error.
    pub revocation_skipped: Option<String>,
    /// The RP-initiated logout URL to open in the browser, when the provider has one. It
    /// carries the ID token as `id_token_hint`: never log it.
    pub end_session_url: Option<Url>,
    /// Whether the credential store no longer holds the session. When `false` the session
    /// still ended in this process, and the next logout tries the store again.
    pub store_cleared: bool,
    /// Why the store could not be cleared, if it could not.
    pub store_error: Option<Error>,
}

impl std::fmt::Debug for LogoutReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.end_session_url.as_ref().map(|u| {
            let mut shown = u.clone();
            shown.set_query(Some("[redacted]"));
            shown.to_string()
        });
        f.debug_struct("LogoutReport")
            .field("revoked", &self.revoked)
            .field("revocation_error", &self.revocation_error)
            .field("revocation_skipped", &self.revocation_skipped)
            .field("end_session_url", &url)
            .field("store_cleared", &self.store_cleared)
            .field("store_error", &self.store_error)
            .finish()
    }
}

/// The accounts by provider, then account name. Hashed with foldhash rather than the standard
/// library's SipHash: two lookups are on `get_token`'s hot path, and SipHash's were a third of
/// its time. Keys are configured provider ids and account names from the app; foldhash's
/// per-process random seed still keeps colliding names from being computed in advance.
type Accounts = HashMap<String, HashMap<String, Arc<Account>, FoldHash>, FoldHash>;
type FoldHash = foldhash::quality::RandomState;

/// The browser step of a sign-in.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// The system browser and a loopback redirect (desktop).
    #[cfg(desktop)]
    Browser(&'a dyn Browser),
    /// A platform authentication session with the provider's `mobile.redirectUri`.
    Session(&'a dyn AuthSession),
    /// The device authorization grant; the callback shows the user code.
    Device(&'a (dyn Fn(&DeviceCode) + Send + Sync)),
}

struct Provider {
    config: ProviderConfig,
    /// The provider's client, built at first use (one build at a time); dropped when a
    /// request made with warm-start-cached metadata fails, so the next call discovers again.
    client: Mutex<Option<Arc<OAuthClient>>>,
}

/// Where the vault comes from: created on first use so that a missing store is an error of
/// the call that needs it, not of start-up.
enum VaultSource {
    #[cfg_attr(not(any(test, feature = "test-util")), allow(dead_code))]
    Ready(Vault),
    Platform(String),
}

/// The session manager: sign-in, tokens on demand, logout, for any number of providers and
/// accounts. Share it in an `Arc`. The plugin's [`crate::TokenVault::session_manager`] is one;
/// plain Rust programs (a CLI, a service) build their own.
///
/// ```no_run
/// use std::collections::HashMap;
/// use std::time::Duration;
/// use tauri_plugin_token_vault::{LoginCancel, ProviderConfig, SessionManager, SystemBrowser};
///
/// # async fn run() -> tauri_plugin_token_vault::Result<()> {
/// let google = ProviderConfig::new("https://accounts.google.com".parse().unwrap(), "123.apps.googleusercontent.com")
///     .client_secret("GOCSPX-not-really-secret")
///     .scopes(["openid", "email"]);
/// let sessions = SessionManager::new("com.example.app", HashMap::from([("google".into(), google)]))
///     .with_lock_dir("/path/to/app-data/token-vault-locks");
/// let mut events = sessions.subscribe();
/// let status = sessions
///     .login("google", "default", &SystemBrowser, &Default::default(), LoginCancel::new())
///     .await?;
/// assert!(status.signed_in);
/// // From memory while fresh; refreshed (once, for every concurrent caller) when not.
/// let token = sessions.get_token("google", "default", Duration::from_secs(30)).await?;
/// while let Some(e) = events.try_recv() {
///     println!("{}/{}: {:?} ({})", e.provider, e.account, e.state, e.reason);
/// }
/// # Ok(())
/// # }
/// ```
pub struct SessionManager {
    providers: HashMap<String, Provider>,
    vault_source: VaultSource,
    vault: std::sync::OnceLock<Vault>,
    /// iOS Keychain access group of the platform vault ([`Self::with_keychain_access_group`]).
    keychain_access_group: Option<String>,
    lock_dir: Option<PathBuf>,
    /// The warm-start cache of discovery documents and JWKS (`None`: not cached).
    cache_dir: Option<PathBuf>,
    accounts: RwLock<Accounts>,
    events: broadcast::Sender<SessionEvent>,
    /// Provider requests go through this instead of reqwest (unit tests); `None` in use.
    transport: Option<Arc<dyn Transport>>,
    /// The clock token lifetimes are measured with (a fixed one in unit tests).
    clock: Clock,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("lock_dir", &self.lock_dir)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `providers`, storing records in the platform credential store under
    /// `service` (opened at first use).
    pub fn new(service: &str, providers: HashMap<String, ProviderConfig>) -> Self {
        Self::build(VaultSource::Platform(service.to_string()), providers)
    }

    /// A manager over a given vault (tests: keyring-core's in-memory mock store).
    #[cfg(any(test, feature = "test-util"))]
    pub fn with_vault(vault: Vault, providers: HashMap<String, ProviderConfig>) -> Self {
        Self::build(VaultSource::Ready(vault), providers)
    }

    fn build(vault_source: VaultSource, providers: HashMap<String, ProviderConfig>) -> Self {
        let providers = providers
            .into_iter()
            .map(|(id, config)| {
                (
                    id,
                    Provider {
                        config,
                        client: Mutex::new(None),
                    },
                )
            })
            .collect();
        Self {
            providers,
            vault_source,
            vault: std::sync::OnceLock::new(),
            keychain_access_group: None,
            lock_dir: None,
            cache_dir: None,
            accounts: RwLock::new(Accounts::default()),
            events: broadcast::channel(64).0,
            transport: None,
            clock: Clock::system(),
        }
    }

    /// Sends every provider request (discovery, JWKS, token, refresh, revocation) through
    /// `transport` (unit tests script the provider).
    #[cfg(test)]
    pub(crate) fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Measures token lifetimes with `clock` (unit tests move a fixed clock by hand).
    #[cfg(test)]
    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Coordinates refreshes with other processes of the same app through advisory lock
    /// files in `dir` (the app's data directory).
    pub fn with_lock_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = Some(dir.into());
        self
    }

    /// Keeps each provider's discovery document and JWKS in `dir` (the app's data directory)
    /// for their HTTP lifetime (at most 24 h), so that the first `get_token` after a launch
    /// needs no discovery or JWKS request: one token-endpoint round trip. Neither is secret.
    /// A request that fails with cached metadata drops the entry and the next call discovers
    /// again; an ID token with an unknown `kid` refetches the JWKS. Nothing is read or created
    /// until a provider is first used.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// On iOS, stores the sessions in Keychain access group `group` (shared with the app's
    /// extensions; the full name with the team prefix, from the app's `keychain-access-groups`
    /// entitlement) instead of the app's default group. Accepted and ignored on other platforms
    /// and by a manager over a given vault.
    pub fn with_keychain_access_group(mut self, group: impl Into<String>) -> Self {
        self.keychain_access_group = Some(group.into());
        self
    }

    /// Session-changed notifications from now on.
    pub fn subscribe(&self) -> SessionEvents {
        SessionEvents(self.events.subscribe())
    }

    /// The configured provider ids.
    pub fn provider_ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.providers.keys().cloned().collect();
        ids.sort();
        ids
    }

    fn provider(&self, id: &str) -> Result<&Provider> {
        self.providers
            .get(id)
            .ok_or_else(|| Error::UnknownProvider(id.to_string()))
    }

    /// The provider's UserInfo endpoint (OpenID Connect Core §5.3), from its metadata
    /// (discovered on first use) or its configured endpoints; `None` when it has none.
    pub async fn userinfo_endpoint(&self, provider: &str) -> Result<Option<Url>> {
        Ok(self
            .client(provider)
            .await?
            .metadata()
            .userinfo_endpoint
            .clone())
    }

    /// The discovered client of `provider` (discovery runs once per process).
    pub(crate) async fn client(&self, provider: &str) -> Result<Arc<OAuthClient>> {
        let p = self.provider(provider)?;
        let mut slot = p.client.lock().await;
        if let Some(c) = &*slot {
            return Ok(Arc::clone(c));
        }
        let cache = match &self.cache_dir {
            Some(dir) => {
                let pems = p
                    .config
                    .ca_certificate_pems(&format!("providers.{provider}"))?;
                Some(DiskCache::new(dir, self.clock.clone(), &pems))
            }
            None => None,
        };
        let client = Arc::new(
            OAuthClient::discover_with(
                p.config.clone(),
                self.transport.clone(),
                self.clock.clone(),
                cache,
            )
            .await?,
        );
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// After a failed provider request made with `client`: when its metadata came from the
    /// warm-start cache and the failure could mean the metadata is out of date (the endpoint
    /// did not answer, or not as expected), the entry and the client are dropped, so the next
    /// call discovers again. `error` is returned unchanged by the caller.
    pub(crate) async fn after_provider_failure(
        &self,
        provider: &str,
        client: &Arc<OAuthClient>,
        error: &Error,
    ) {
        let stale = matches!(error, Error::Network(_) | Error::InvalidResponse(_));
        if !(stale && client.metadata_from_cache()) {
            return;
        }
        client.forget_cached_metadata().await;
        if let Ok(p) = self.provider(provider) {
            let mut slot = p.client.lock().await;
            if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, client)) {
                *slot = None;
            }
        }
    }

    fn vault(&self) -> Result<Vault> {
        if let Some(v) = self.vault.get() {
            return Ok(v.clone());
        }
        let v = match &self.vault_source {
            VaultSource::Ready(v) => v.clone(),
            VaultSource::Platform(service) => {
                Vault::platform_in_access_group(service, self.keychain_access_group.as_deref())?
            }
        };
        Ok(self.vault.get_or_init(|| v).clone())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Vault) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let vault = self.vault()?;
        crate::task::spawn_blocking(move || f(vault))
            .await
            .map_err(|e| Error::Internal(format!("store task: {e}")))?
    }

    fn account(&self, provider: &str, account: &str) -> Result<Arc<Account>> {
        {
            let map = self.accounts.read().unwrap_or_else(|e| e.into_inner());
            if let Some(a) = map.get(provider).and_then(|m| m.get(account)) {
                return Ok(a.clone());
            }
        }
        let leeway = Duration::from_secs(self.provider(provider)?.config.refresh_leeway_secs);
        // The account names a store entry (`<provider>/<account>`, parts `…#<n>`): keep it short
        // and free of the separators so two accounts can never share an entry.
        if account.is_empty()
            || account.len() > 128
            || account
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '#')
        {
            return Err(Error::config(
                "account",
                "must be 1 to 128 characters, without `/`, `#` or control characters",
            ));
        }
        let mut map = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        Ok(map
            .entry(provider.to_string())
            .or_default()
            .entry(account.to_string())
            .or_insert_with(|| {
                Arc::new(Account {
                    provider: provider.to_string(),
                    account: account.to_string(),
                    access: Default::default(),
                    generation: AtomicU64::new(0),
                    inner: Mutex::new(Inner::default()),
                    flight: Arc::default(),
                    clock: self.clock.clone(),
                    leeway,
                })
            })
            .clone())
    }

    fn emit(
        &self,
        acct: &Account,
        state: SessionState,
        reason: SessionChangeReason,
        claims: Option<&IdTokenClaims>,
        subject: Option<String>,
    ) {
        let event = SessionEvent {
            provider: acct.provider.clone(),
            account: acct.account.clone(),
            state,
            reason,
            subject,
            claims: claims.and_then(claims_map),
        };
        // No receiver is fine.
        let _ = self.events.send(event);
    }

    /// Signs in through `browser` and stores the session: its refresh token; without one, its
    /// access token when the provider has `persistAccessToken` (otherwise the session lasts
    /// as long as the process). Replaces an existing session of the same account, whose tokens
    /// are revoked best-effort. Desktop: the system browser and a loopback redirect (iOS and
    /// Android use [`Self::login_with_session`]).
    #[cfg(desktop)]
    pub async fn login(
        &self,
        provider: &str,
        account: &str,
        browser: &dyn Browser,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        self.login_via(provider, account, Step::Browser(browser), extra, cancel)
            .await
    }

    /// Signs in through a platform authentication session (the plugin's on iOS and Android:
    /// `ASWebAuthenticationSession`, Custom Tabs) with the provider's `mobile.redirectUri`, and
    /// stores the session like [`Self::login`] (on desktop) does. Without a
    /// `mobile.redirectUri`: `invalid_config`, before anything is opened.
    ///
    /// ```no_run
    /// use tauri_plugin_token_vault::{AuthSession, AuthSessionFuture, AuthSessionRequest, LoginCancel, SessionManager};
    ///
    /// /// A session that hands the URL to another device and waits for the redirect.
    /// struct Elsewhere;
    /// impl AuthSession for Elsewhere {
    ///     fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a> {
    ///         Box::pin(async move { todo!("present {:?}, answer the redirect URL", request) })
    ///     }
    /// }
    ///
    /// # async fn run(sessions: SessionManager) -> tauri_plugin_token_vault::Result<()> {
    /// let status = sessions
    ///     .login_with_session("google", "default", &Elsewhere, &Default::default(), LoginCancel::new())
    ///     .await?;
    /// assert!(status.signed_in);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login_with_session(
        &self,
        provider: &str,
        account: &str,
        session: &dyn AuthSession,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        self.login_via(provider, account, Step::Session(session), extra, cancel)
            .await
    }

    /// Signs in with the device authorization grant (RFC 8628: no browser on this host; the
    /// user approves on another device) and stores the session like [`Self::login`] does.
    /// `show` gets the user code and the verification URI to display as soon as the provider
    /// issued them; the call returns once the user approved. The user's refusal ⇒
    /// `authorization_denied`; the codes expired ⇒ `login_timed_out`; `cancel` ⇒
    /// `login_cancelled`; a provider without a device authorization endpoint ⇒ `unsupported`.
    ///
    /// ```no_run
    /// use tauri_plugin_token_vault::{DeviceCode, LoginCancel, SessionManager};
    ///
    /// # async fn run(sessions: SessionManager) -> tauri_plugin_token_vault::Result<()> {
    /// let show = |code: &DeviceCode| {
    ///     eprintln!("Open {} and enter {}", code.verification_uri, code.user_code);
    /// };
    /// let status = sessions
    ///     .login_with_device_code("github", "default", &show, &Default::default(), LoginCancel::new())
    ///     .await?;
    /// assert!(status.signed_in);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login_with_device_code(
        &self,
        provider: &str,
        account: &str,
        show: &(dyn Fn(&DeviceCode) + Send + Sync),
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        self.login_via(provider, account, Step::Device(show), extra, cancel)
            .await
    }

    /// [`Self::login`] and [`Self::login_with_session`]: only the browser step differs.
    async fn login_via(
        &self,
        provider: &str,
        account: &str,
        step: Step<'_>,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<SessionStatus> {
        let acct = self.account(provider, account)?;
        let client = self.client(provider).await?;
        // The browser step may take minutes: not under the account lock.
        let signed = self
            .sign_in_step(provider, account, &client, step, extra, cancel)
            .await;
        let signed = match signed {
            Ok(signed) => signed,
            Err(e) => {
                self.after_provider_failure(provider, &client, &e).await;
                return Err(e);
            }
        };
        let mut inner = acct.inner.lock().await;
        // A refresh of the replaced session still in flight finishes first: it must not
        // store its rotated token over the new session.
        let mut flight = acct.flight.clone().lock_owned().await;
        let _cross_process = self.cross_process_lock(&acct).await?;
        let replaced = self.live_tokens(&acct, &inner, &flight).await;
        let tokens = signed.tokens;
        // No refresh token: the access token is kept instead when the provider is configured
        // to (`persistAccessToken`); without `expires_in` it then does not expire.
        let keep_access = tokens.refresh_token.is_none() && client.config().persist_access_token;
        let expires_at = match keep_access && tokens.lifetime_assumed {
            true => None,
            false => tokens.expires_at,
        };
        match (&tokens.refresh_token, keep_access) {
            (Some(_), _) | (None, true) => {
                let record = Record {
                    v: match keep_access {
                        true => crate::vault::ACCESS_TOKEN_RECORD_VERSION,
                        false => crate::vault::RECORD_VERSION,
                    },
                    issuer: client.config().record_issuer(&client.metadata().issuer),
                    client_id: client.config().client_id.clone(),
                    scopes: tokens.scopes.clone(),
                    subject: signed.claims.as_ref().map(|c| c.sub.clone()),
                    refresh_token: tokens.refresh_token.clone(),
                    access_token: keep_access.then(|| tokens.access_token.clone()),
                    access_token_expires_at: expires_at.filter(|_| keep_access).map(epoch_secs),
                    dpop_key: tokens.dpop.as_deref().map(stored_key),
                    id_token: tokens.id_token.clone(),
                    saved_at: self.now_secs(),
                };
                let (p, a, r) = (provider.to_string(), account.to_string(), record.clone());
                if let Err(e) = self.blocking(move |v| v.save_record(&p, &a, &r)).await {
                    // The store failed since the check above: nobody will ever hold this
                    // token, so it must not stay live at the provider.
                    let dpop = tokens.dpop.clone().map(|k| client.dpop_binding(k));
                    let revoked = match &tokens.refresh_token {
                        Some(rt) => client.revoke_refresh_token(rt, dpop.as_ref()).await,
                        None => {
                            client
                                .revoke_access_token(&tokens.access_token, dpop.as_ref())
                                .await
                        }
                    };
                    if let Err(r) = revoked {
                        log::warn!("revoking the sign-in that could not be stored: {r}");
                    }
                    return Err(e);
                }
                inner.record = Some(record);
            }
            (None, false) => {
                // No refresh token (no offline_access): a session for this process only.
                let (p, a) = (provider.to_string(), account.to_string());
                self.blocking(move |v| v.delete_record(&p, &a)).await?;
                inner.record = None;
            }
        }
        *flight = None;
        inner.loaded = true;
        inner.claims = signed.claims;
        inner.scopes = tokens.scopes.clone();
        inner.last_error = None;
        acct.set_access(Some(Access {
            token: tokens.access_token.clone(),
            expires_at,
            dpop: tokens.dpop.clone(),
        }));
        acct.generation.fetch_add(1, Ordering::AcqRel);
        let subject = inner.claims.as_ref().map(|c| c.sub.clone());
        self.emit(
            &acct,
            SessionState::SignedIn,
            SessionChangeReason::Login,
            inner.claims.as_ref(),
            subject,
        );
        // The replaced session's refresh tokens (or persisted access token), now that the new
        // one is stored: revoked best-effort (a failure leaves a token nobody holds any more;
        // it is not the new session's error).
        let new_rt = tokens.refresh_token.as_ref().map(RefreshToken::secret);
        let replaced_dpop = replaced.dpop.map(|k| client.dpop_binding(k));
        for rt in replaced.refresh {
            if Some(rt.secret()) == new_rt {
                continue;
            }
            if let Err(e) = client
                .revoke_refresh_token(&rt, replaced_dpop.as_ref())
                .await
            {
                log::warn!("revoking the replaced session of {provider}/{account}: {e}");
            }
        }
        for at in replaced.access {
            if at.secret() == tokens.access_token.secret() {
                continue;
            }
            if let Err(e) = client
                .revoke_access_token(&at, replaced_dpop.as_ref())
                .await
            {
                log::warn!("revoking the replaced session of {provider}/{account}: {e}");
            }
        }
        Ok(self.status_of(&acct, &inner))
    }

    /// The browser step of [`Self::login_via`] (with the store checked first) and the code
    /// exchange: the signed-in tokens.
    async fn sign_in_step(
        &self,
        provider: &str,
        account: &str,
        client: &OAuthClient,
        step: Step<'_>,
        extra: &BTreeMap<String, String>,
        cancel: LoginCancel,
    ) -> Result<crate::signin::SignedIn> {
        match step {
            #[cfg(desktop)]
            Step::Browser(browser) => {
                self.check_store(provider, account).await?;
                sign_in(client, browser, extra, cancel.0).await
            }
            Step::Session(session) => {
                let field = format!("providers.{provider}");
                let uri = client.config().mobile_redirect(&field)?.clone();
                self.check_store(provider, account).await?;
                sign_in_with_session(client, session, &uri, extra, cancel.0).await
            }
            Step::Device(show) => {
                self.check_store(provider, account).await?;
                let (p, a) = (provider.to_string(), account.to_string());
                let relay = move |d: &crate::oauth::client::DeviceAuthorization| {
                    show(&DeviceCode {
                        provider: p.clone(),
                        account: a.clone(),
                        user_code: d.user_code().to_string(),
                        verification_uri: d.verification_uri().to_string(),
                        verification_uri_complete: d
                            .verification_uri_complete()
                            .map(str::to_string),
                        expires_in_secs: d.expires_in().as_secs(),
                    })
                };
                sign_in_with_device_code(client, &relay, extra, cancel.0).await
            }
        }
    }

    /// A session that cannot be stored would be lost: the store must answer before the user
    /// goes through the browser (what it holds does not matter here).
    async fn check_store(&self, provider: &str, account: &str) -> Result<()> {
        let (p, a) = (provider.to_string(), account.to_string());
        match self.blocking(move |v| v.load_record(&p, &a)).await {
            Ok(_) | Err(Error::StoreCorrupted(_) | Error::StoreUnsupportedVersion(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every refresh token of `acct` that may be live, each once: a rotated one whose save
    /// failed (parked in `flight`), the stored one (read again: another process or an
    /// abandoned refresh may have rotated it since this process read it), the one in memory.
    /// Likewise the persisted access tokens of sessions without refresh token. Also the newest
    /// ID token among them, and the store's read error if it had one. A stored record of
    /// another issuer or client (the configuration changed) is not this provider's to revoke
    /// and is left out.
    async fn live_tokens(&self, acct: &Account, inner: &Inner, flight: &Option<Record>) -> Live {
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        let stored = self.blocking(move |v| v.load_record(&p, &a)).await;
        let unreadable = stored.as_ref().err().cloned();
        let stored = stored
            .ok()
            .flatten()
            .filter(|r| self.record_matches(&acct.provider, r));
        let mut live = Live {
            refresh: Vec::new(),
            access: Vec::new(),
            id_token: None,
            dpop: None,
            unreadable,
        };
        for record in [flight.clone(), stored, inner.record.clone()]
            .into_iter()
            .flatten()
        {
            if live.dpop.is_none() {
                live.dpop = record_dpop_key(&record).ok().flatten();
            }
            live.id_token = live.id_token.or(record.id_token);
            if let Some(rt) = record.refresh_token {
                if !live.refresh.iter().any(|t| t.secret() == rt.secret()) {
                    live.refresh.push(rt);
                }
            }
            if let Some(at) = record.access_token {
                if !live.access.iter().any(|t| t.secret() == at.secret()) {
                    live.access.push(at);
                }
            }
        }
        live
    }

    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn provider_config(&self, provider: &str) -> Result<&ProviderConfig> {
        Ok(&self.provider(provider)?.config)
    }

    async fn wipe(
        &self,
        acct: &Account,
        inner: &mut Inner,
        reason: SessionChangeReason,
    ) -> Result<()> {
        forget_dpop_key(inner.record.as_ref());
        inner.record = None;
        inner.claims = None;
        inner.scopes.clear();
        acct.set_access(None);
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        let deleted = self.blocking(move |v| v.delete_record(&p, &a)).await;
        self.emit(acct, SessionState::SignedOut, reason, None, None);
        deleted
    }

    /// The session of `(provider, account)`, restoring it from the store on first use.
    pub async fn status(&self, provider: &str, account: &str) -> Result<SessionStatus> {
        let acct = self.account(provider, account)?;
        let mut inner = acct.inner.lock().await;
        match self.ensure_loaded(&acct, &mut inner).await {
            Ok(()) | Err(Error::StoreCorrupted(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(self.status_of(&acct, &inner))
    }

    /// The status of every account this process knows, plus `default_account` of every
    /// provider (restored from the store on first use), sorted by provider and account.
    pub async fn sessions(&self, default_account: &str) -> Result<Vec<SessionStatus>> {
        let mut keys: std::collections::BTreeSet<(String, String)> = self
            .providers
            .keys()
            .map(|p| (p.clone(), default_account.to_string()))
            .collect();
        {
            let map = self.accounts.read().unwrap_or_else(|e| e.into_inner());
            for (p, accounts) in map.iter() {
                keys.extend(accounts.keys().map(|a| (p.clone(), a.clone())));
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for (p, a) in keys {
            out.push(self.status(&p, &a).await?);
        }
        Ok(out)
    }

    fn status_of(&self, acct: &Account, inner: &Inner) -> SessionStatus {
        let access = acct.current();
        SessionStatus {
            provider: acct.provider.clone(),
            account: acct.account.clone(),
            signed_in: inner.record.is_some() || access.is_some(),
            subject: inner
                .claims
                .as_ref()
                .map(|c| c.sub.clone())
                .or_else(|| inner.record.as_ref().and_then(|r| r.subject.clone())),
            scopes: inner.scopes.clone(),
            expires_at: acct.expires_at().map(crate::models::epoch_millis),
            claims: inner.claims.as_ref().and_then(claims_map),
            dpop_jkt: acct
                .dpop_key()
                .or_else(|| {
                    let record = inner.record.as_ref()?;
                    record_dpop_key(record).ok().flatten()
                })
                .map(|k| k.thumbprint().to_string()),
        }
    }

    /// Signs out: revokes the refresh token (and the access token; for a session without
    /// refresh token the access token kept in the store, `persistAccessToken`) at the provider
    /// (RFC 7009), then wipes the store and memory. The session always ends in this process;
    /// what could not be done is in the report: revocation that failed (or could not be
    /// tried: the store was unreadable), a store that kept the record. Only an unknown
    /// provider or a malformed account name is an error.
    ///
    /// Logout waits for a refresh in flight (one whose callers gave up still finishes), so the
    /// token it rotated to is the one revoked, and nothing is stored after the wipe.
    pub async fn logout(&self, provider: &str, account: &str) -> Result<LogoutReport> {
        let acct = self.account(provider, account)?;
        let mut inner = acct.inner.lock().await;
        let mut flight = acct.flight.clone().lock_owned().await;
        // Best effort: the lock keeps two processes' refreshes apart; a logout that gave up
        // for want of it would leave the user signed in.
        let _cross_process = match self.cross_process_lock(&acct).await {
            Ok(file) => file,
            Err(e) => {
                log::warn!("logout of {provider}/{account} without the account lock: {e}");
                None
            }
        };
        let Live {
            refresh: refresh_tokens,
            access: mut access_tokens,
            id_token,
            dpop: dpop_key,
            unreadable,
        } = self.live_tokens(&acct, &inner, &flight).await;
        *flight = None;
        if let Some(at) = acct.current() {
            if !access_tokens.iter().any(|t| t.secret() == at.secret()) {
                access_tokens.push(at);
            }
        }
        let signed_in = !refresh_tokens.is_empty() || !access_tokens.is_empty();
        let mut report = LogoutReport {
            revoked: false,
            revocation_error: None,
            revocation_skipped: None,
            end_session_url: None,
            store_cleared: false,
            store_error: None,
        };
        if signed_in {
            match self.client(provider).await {
                Ok(client) => {
                    let dpop = dpop_key.map(|k| client.dpop_binding(k));
                    report.end_session_url = client.end_session_url(id_token.as_ref());
                    if let Some(reason) = client.revocation_skipped() {
                        report.revocation_skipped = Some(reason.to_string());
                    } else {
                        // GitHub's style revokes access tokens only: then the outcome is the
                        // access tokens'.
                        let refresh_tokens: &[RefreshToken] = if client.revokes_refresh_tokens() {
                            &refresh_tokens
                        } else {
                            &[]
                        };
                        // `None`: nothing this provider revokes was held.
                        let mut outcome: Option<Result<()>> = None;
                        for rt in refresh_tokens {
                            let revoked = client.revoke_refresh_token(rt, dpop.as_ref()).await;
                            outcome = Some(outcome.unwrap_or(Ok(())).and(revoked));
                        }
                        // Without a refresh token, the access tokens are what the outcome is
                        // about.
                        let mut access_outcome: Option<Result<()>> = None;
                        for at in &access_tokens {
                            let revoked = client.revoke_access_token(at, dpop.as_ref()).await;
                            access_outcome = Some(access_outcome.unwrap_or(Ok(())).and(revoked));
                        }
                        if refresh_tokens.is_empty() {
                            outcome = access_outcome;
                        }
                        match outcome {
                            Some(Ok(())) => report.revoked = true,
                            Some(Err(e)) => report.revocation_error = Some(e),
                            None => {
                                report.revocation_skipped = Some(
                                    "the provider revokes access tokens only, and none was held"
                                        .into(),
                                )
                            }
                        }
                    }
                }
                Err(e) => report.revocation_error = Some(e),
            }
        }
        if !report.revoked && report.revocation_error.is_none() {
            // Nothing known to revoke because the store could not be read: say so.
            report.revocation_error = unreadable.clone();
        }
        // The session ends here whatever the store does next.
        forget_dpop_key(inner.record.as_ref());
        inner.loaded = true;
        inner.record = None;
        inner.claims = None;
        inner.scopes.clear();
        inner.last_error = None;
        acct.set_access(None);
        acct.generation.fetch_add(1, Ordering::AcqRel);
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        match self.blocking(move |v| v.delete_record(&p, &a)).await {
            Ok(()) => report.store_cleared = true,
            Err(e) => report.store_error = Some(e),
        }
        if signed_in || unreadable.is_some() {
            self.emit(
                &acct,
                SessionState::SignedOut,
                SessionChangeReason::Logout,
                None,
                None,
            );
        }
        Ok(report)
    }
}

/// The tokens of an account that may be live at the provider ([`SessionManager::live_tokens`]).
struct Live {
    /// Refresh tokens, each once.
    refresh: Vec<RefreshToken>,
    /// Persisted access tokens (sessions without refresh token), each once.
    access: Vec<AccessToken>,
    /// The newest ID token among the records.
    id_token: Option<IdToken>,
    /// The DPoP key of the newest record that has one (a session keeps its key through every
    /// rotation): the revocation requests' proofs.
    dpop: Option<Arc<DpopKey>>,
    /// The store's read error, if it had one.
    unreadable: Option<Error>,
}

/// DPoP for one `fetch` of a DPoP-bound session: proofs of its key, the resource servers'
/// nonces.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) struct FetchDpop {
    binding: DpopBinding,
    clock: Clock,
}

#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
impl FetchDpop {
    /// The `DPoP` header for one request with `token` (RFC 9449 §7: with `ath`).
    pub(crate) fn proof(&self, method: &str, url: &Url, token: &AccessToken) -> Result<String> {
        let nonce = self.binding.nonces.get(url);
        self.binding
            .key
            .proof(method, url, Some(token), nonce.as_deref(), self.clock.now())
    }

    /// Takes a response's `DPoP-Nonce`; true when it was a 401 `use_dpop_nonce` challenge with
    /// a new nonce (RFC 9449 §9): the request is worth one more try.
    pub(crate) fn wants_retry(
        &self,
        url: &Url,
        status: u16,
        headers: &oauth2::http::HeaderMap,
    ) -> bool {
        let new_nonce = self.binding.nonces.remember(url, headers);
        new_nonce && status == 401 && dpop::is_nonce_challenge(headers)
    }
}

impl SessionManager {
    /// What a `fetch` with `token` needs for DPoP: `None` for a bearer token; for a DPoP
    /// token the key of the session in memory (`not_signed_in` when it ended meanwhile).
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) async fn fetch_dpop(
        &self,
        provider: &str,
        account: &str,
        token: &AccessToken,
    ) -> Result<Option<FetchDpop>> {
        if !token.is_dpop() {
            return Ok(None);
        }
        let acct = self.account(provider, account)?;
        let Some(key) = acct.dpop_key() else {
            return Err(Error::NotSignedIn {
                provider: provider.to_string(),
                account: account.to_string(),
            });
        };
        let client = self.client(provider).await?;
        Ok(Some(FetchDpop {
            binding: client.dpop_binding(key),
            clock: self.clock.clone(),
        }))
    }
}

/// What the record keeps of a session's DPoP key.
fn stored_key(key: &DpopKey) -> StoredDpopKey {
    let (pkcs8, key_ref) = match key.stored() {
        StoredKey::Software(private) => (Some(private.clone()), None),
        StoredKey::Platform(reference) => (None, Some(reference.clone())),
    };
    StoredDpopKey {
        alg: key.alg().jws_name().to_string(),
        pkcs8,
        key_ref,
    }
}

/// The form of a record's key (the record checked that it has exactly one).
fn key_form(stored: &StoredDpopKey) -> StoredKey {
    match (&stored.pkcs8, &stored.key_ref) {
        (Some(private), _) => StoredKey::Software(private.clone()),
        (None, Some(reference)) => StoredKey::Platform(reference.clone()),
        (None, None) => StoredKey::Platform(String::new()),
    }
}

/// The DPoP key a record holds, loaded (`store_corrupted` when it does not load,
/// `store_unsupported_version` for a newer build's key or another platform's hardware key).
pub(super) fn record_dpop_key(record: &Record) -> Result<Option<Arc<DpopKey>>> {
    record
        .dpop_key
        .as_ref()
        .map(|k| dpop::load_stored(&k.alg, &key_form(k)).map(Arc::new))
        .transpose()
}

/// Deletes what the platform keeps of a record's DPoP key outside the record (a hardware
/// key), once the session ended. Best effort.
fn forget_dpop_key(record: Option<&Record>) {
    if let Some(k) = record.and_then(|r| r.dpop_key.as_ref()) {
        dpop::forget(&key_form(k));
    }
}

/// Seconds since the Unix epoch of `t` (0 before it).
fn epoch_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The claims shown to the app (status, events). The `nonce` is left out: it is a one-time
/// secret of the sign-in that produced the ID token, and nothing after it needs it.
fn claims_map(c: &IdTokenClaims) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.remove("nonce");
            Some(m)
        }
        _ => None,
    }
}

impl SessionManager {
    /// Now, in seconds since the Unix epoch (a record's `saved_at`).
    fn now_secs(&self) -> u64 {
        epoch_secs(self.clock.now())
    }
}
