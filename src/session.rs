//! The session manager: per (provider, account) state, lazy restore from the credential
//! store, `get_token` with single-flight refresh and rotation, logout with revocation, and
//! session-changed notifications. No Tauri imports.
//!
//! ## Contracts
//! - **Store reads**: once per account per process, at first use (and again, under the
//!   cross-process lock, just before a refresh). Never on the hot path.
//! - **Hot path**: a fresh access token is served from memory under a read lock.
//! - **Single flight**: one refresh per account at a time in the process; callers that queued
//!   behind it share its outcome (token or error) instead of refreshing again.
//! - **Across processes**: an advisory file lock per account in `lock_dir` around a refresh,
//!   then the store is re-read, so two app instances never use the same rotated token twice.
//! - **Rotation**: a rotated refresh token is written to the store before the new access token
//!   is returned.
//! - **Failures**: `invalid_grant` ⇒ record wiped, signed out, event (`session_expired`);
//!   transport errors, 5xx, timeouts ⇒ nothing changed, `network`, the next call retries.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::StandardRevocableToken;
use serde::Serialize;
use tokio::sync::{broadcast, Mutex, OnceCell};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::oauth::{IdTokenClaims, OAuthClient};
use crate::redirect::Browser;
use crate::secret::AccessToken;
use crate::signin::sign_in;
use crate::vault::{Record, Vault};

/// Signed in or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    /// A session exists (an access token may need a refresh).
    SignedIn,
    /// No session.
    SignedOut,
}

/// Sent on every session change. Carries no token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEvent {
    /// Provider id.
    pub provider: String,
    /// Account name.
    pub account: String,
    /// The new state.
    pub state: SessionState,
    /// Why: `login`, `restored`, `logout`, `session_expired`, `store_corrupted`,
    /// `signed_out_elsewhere`, `configuration_changed`.
    pub reason: String,
    /// The subject, when signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The ID token claims, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A session as seen from outside (no tokens).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    /// Provider id.
    pub provider: String,
    /// Account name.
    pub account: String,
    /// Whether a session exists.
    pub signed_in: bool,
    /// The ID token's `sub`.
    pub subject: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Access-token expiry in milliseconds since the epoch, when one is held in memory.
    pub expires_at: Option<u64>,
    /// The latest validated ID token claims held in memory.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What `logout` did. `Debug` leaves out the end-session URL's query (it holds the ID token).
#[derive(Clone)]
pub struct LogoutReport {
    /// Whether the provider confirmed the revocation of the refresh token (or access token
    /// when there was no refresh token).
    pub revoked: bool,
    /// Why revocation failed, if it did (the session is wiped anyway).
    pub revocation_error: Option<Error>,
    /// The RP-initiated logout URL to open in the browser, when the provider has one. It
    /// carries the ID token as `id_token_hint`: never log it.
    pub end_session_url: Option<Url>,
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
            .field("end_session_url", &url)
            .finish()
    }
}

struct Access {
    token: AccessToken,
    expires_at: Option<SystemTime>,
}

#[derive(Default)]
struct Inner {
    loaded: bool,
    record: Option<Record>,
    claims: Option<IdTokenClaims>,
    scopes: Vec<String>,
    last_error: Option<Error>,
}

struct Account {
    provider: String,
    account: String,
    access: RwLock<Option<Access>>,
    generation: AtomicU64,
    inner: Mutex<Inner>,
}

impl Account {
    /// The access token if it is valid for at least `need` more.
    fn fresh(&self, need: Duration) -> Option<AccessToken> {
        let guard = self.access.read().unwrap_or_else(|e| e.into_inner());
        let a = guard.as_ref()?;
        match a.expires_at {
            Some(exp) if exp <= SystemTime::now() + need => None,
            _ => Some(a.token.clone()),
        }
    }

    fn current(&self) -> Option<AccessToken> {
        self.fresh(Duration::ZERO)
    }

    fn set_access(&self, access: Option<Access>) {
        *self.access.write().unwrap_or_else(|e| e.into_inner()) = access;
    }

    fn expires_at(&self) -> Option<SystemTime> {
        let guard = self.access.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().and_then(|a| a.expires_at)
    }
}

/// When a refresh is wanted.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// Unless a token valid for this long is held.
    Fresh(Duration),
    /// Unless the held token is no longer this one.
    Replace(&'a str),
    /// Always.
    Always,
}

struct Provider {
    config: ProviderConfig,
    client: OnceCell<Arc<OAuthClient>>,
}

/// Where the vault comes from: created on first use so that a missing store is an error of
/// the call that needs it, not of start-up.
enum VaultSource {
    Ready(Vault),
    Platform(String),
}

/// The session manager. Share it in an `Arc`.
pub struct SessionManager {
    providers: HashMap<String, Provider>,
    vault_source: VaultSource,
    vault: std::sync::OnceLock<Vault>,
    lock_dir: Option<PathBuf>,
    accounts: RwLock<HashMap<String, HashMap<String, Arc<Account>>>>,
    events: broadcast::Sender<SessionEvent>,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("lock_dir", &self.lock_dir)
            .finish_non_exhaustive()
    }
}

/// How long a refresh waits for another process holding the account's lock.
const CROSS_PROCESS_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

impl SessionManager {
    /// A manager over `providers`, storing records in the platform credential store under
    /// `service` (opened at first use).
    pub fn new(service: &str, providers: HashMap<String, ProviderConfig>) -> Self {
        Self::build(VaultSource::Platform(service.to_string()), providers)
    }

    /// A manager over a given vault.
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
                        client: OnceCell::new(),
                    },
                )
            })
            .collect();
        Self {
            providers,
            vault_source,
            vault: std::sync::OnceLock::new(),
            lock_dir: None,
            accounts: RwLock::new(HashMap::new()),
            events: broadcast::channel(64).0,
        }
    }

    /// Coordinates refreshes with other processes of the same app through advisory lock
    /// files in `dir` (the app's data directory).
    pub fn with_lock_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = Some(dir.into());
        self
    }

    /// Session-changed notifications.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
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

    /// The discovered client of `provider` (discovery runs once per process).
    pub async fn client(&self, provider: &str) -> Result<Arc<OAuthClient>> {
        let p = self.provider(provider)?;
        p.client
            .get_or_try_init(|| async {
                OAuthClient::discover(p.config.clone()).await.map(Arc::new)
            })
            .await
            .cloned()
    }

    fn vault(&self) -> Result<Vault> {
        if let Some(v) = self.vault.get() {
            return Ok(v.clone());
        }
        let v = match &self.vault_source {
            VaultSource::Ready(v) => v.clone(),
            VaultSource::Platform(service) => Vault::platform(service)?,
        };
        Ok(self.vault.get_or_init(|| v).clone())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Vault) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let vault = self.vault()?;
        tokio::task::spawn_blocking(move || f(vault))
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
        self.provider(provider)?;
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
                    access: RwLock::new(None),
                    generation: AtomicU64::new(0),
                    inner: Mutex::new(Inner::default()),
                })
            })
            .clone())
    }

    fn emit(
        &self,
        acct: &Account,
        state: SessionState,
        reason: &str,
        claims: Option<&IdTokenClaims>,
        subject: Option<String>,
    ) {
        let event = SessionEvent {
            provider: acct.provider.clone(),
            account: acct.account.clone(),
            state,
            reason: reason.to_string(),
            subject,
            claims: claims.and_then(claims_map),
        };
        // No receiver is fine.
        let _ = self.events.send(event);
    }

    /// Signs in through `browser` and stores the session. Replaces an existing session of
    /// the same account.
    pub async fn login(
        &self,
        provider: &str,
        account: &str,
        browser: &dyn Browser,
        extra: &BTreeMap<String, String>,
        cancel: CancellationToken,
    ) -> Result<SessionStatus> {
        let acct = self.account(provider, account)?;
        let client = self.client(provider).await?;
        // The browser step may take minutes: not under the account lock.
        let signed = sign_in(&client, browser, extra, cancel).await?;
        let mut inner = acct.inner.lock().await;
        let _cross_process = self.cross_process_lock(&acct).await?;
        let tokens = signed.tokens;
        match &tokens.refresh_token {
            Some(rt) => {
                let record = Record {
                    v: crate::vault::record::RECORD_VERSION,
                    issuer: client.metadata().issuer.clone(),
                    client_id: client.config().client_id.clone(),
                    scopes: tokens.scopes.clone(),
                    subject: signed.claims.as_ref().map(|c| c.sub.clone()),
                    refresh_token: rt.clone(),
                    id_token: tokens.id_token.clone(),
                    saved_at: now_secs(),
                };
                let (p, a, r) = (provider.to_string(), account.to_string(), record.clone());
                self.blocking(move |v| v.save_record(&p, &a, &r)).await?;
                inner.record = Some(record);
            }
            None => {
                // No refresh token (no offline_access): a session for this process only.
                let (p, a) = (provider.to_string(), account.to_string());
                self.blocking(move |v| v.delete_record(&p, &a)).await?;
                inner.record = None;
            }
        }
        inner.loaded = true;
        inner.claims = signed.claims;
        inner.scopes = tokens.scopes.clone();
        inner.last_error = None;
        acct.set_access(Some(Access {
            token: tokens.access_token,
            expires_at: tokens.expires_at,
        }));
        acct.generation.fetch_add(1, Ordering::AcqRel);
        let subject = inner.claims.as_ref().map(|c| c.sub.clone());
        self.emit(
            &acct,
            SessionState::SignedIn,
            "login",
            inner.claims.as_ref(),
            subject,
        );
        Ok(self.status_of(&acct, &inner))
    }

    /// A valid access token, refreshed when it expires within the provider's leeway or
    /// `min_ttl`, whichever is longer. Concurrent callers share one refresh.
    pub async fn get_token(
        &self,
        provider: &str,
        account: &str,
        min_ttl: Duration,
    ) -> Result<AccessToken> {
        let acct = self.account(provider, account)?;
        let leeway = Duration::from_secs(self.provider(provider)?.config.refresh_leeway_secs);
        let need = leeway.max(min_ttl);
        if let Some(t) = acct.fresh(need) {
            return Ok(t);
        }
        self.refresh_shared(&acct, Want::Fresh(need)).await
    }

    /// Forces a refresh (shared with any refresh already running for the account).
    pub async fn refresh(&self, provider: &str, account: &str) -> Result<SessionStatus> {
        let acct = self.account(provider, account)?;
        self.refresh_shared(&acct, Want::Always).await?;
        let inner = acct.inner.lock().await;
        Ok(self.status_of(&acct, &inner))
    }

    /// Refreshes unless the access token is no longer `used` (someone already replaced it):
    /// what a 401 from a resource server calls for. Single flight like every refresh.
    pub async fn refresh_if_current(
        &self,
        provider: &str,
        account: &str,
        used: &AccessToken,
    ) -> Result<AccessToken> {
        let acct = self.account(provider, account)?;
        self.refresh_shared(&acct, Want::Replace(used.secret()))
            .await
    }

    pub(crate) fn provider_config(&self, provider: &str) -> Result<&ProviderConfig> {
        Ok(&self.provider(provider)?.config)
    }

    async fn refresh_shared(&self, acct: &Arc<Account>, want: Want<'_>) -> Result<AccessToken> {
        let seen = acct.generation.load(Ordering::Acquire);
        let mut inner = acct.inner.lock().await;
        if acct.generation.load(Ordering::Acquire) != seen {
            // A refresh finished while this caller waited: share its outcome.
            if let Some(e) = &inner.last_error {
                return Err(e.clone());
            }
            if let Some(t) = acct.current() {
                return Ok(t);
            }
        }
        match want {
            Want::Fresh(need) => {
                if let Some(t) = acct.fresh(need) {
                    return Ok(t);
                }
            }
            Want::Replace(used) => {
                if let Some(t) = acct.current() {
                    if t.secret() != used {
                        return Ok(t);
                    }
                }
            }
            Want::Always => {}
        }
        self.ensure_loaded(acct, &mut inner).await?;
        if inner.record.is_none() {
            // Signed in without a refresh token: the access token is all there was.
            return match acct.current() {
                Some(t) if matches!(want, Want::Fresh(_)) => Ok(t),
                _ => Err(Error::NotSignedIn {
                    provider: acct.provider.clone(),
                    account: acct.account.clone(),
                }),
            };
        }
        let result = self.refresh_locked(acct, &mut inner).await;
        inner.last_error = result.as_ref().err().cloned();
        acct.generation.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// Loads the record once per process. A corrupted record is wiped and reported.
    async fn ensure_loaded(&self, acct: &Account, inner: &mut Inner) -> Result<()> {
        if inner.loaded {
            return Ok(());
        }
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        let loaded = self.blocking(move |v| v.load_record(&p, &a)).await;
        match loaded {
            Ok(Some(record)) => {
                inner.loaded = true;
                if !self.record_matches(&acct.provider, &record) {
                    self.wipe(acct, inner, "configuration_changed").await?;
                    return Ok(());
                }
                inner.scopes = record.scopes.clone();
                let subject = record.subject.clone();
                inner.record = Some(record);
                self.emit(acct, SessionState::SignedIn, "restored", None, subject);
                Ok(())
            }
            Ok(None) => {
                inner.loaded = true;
                Ok(())
            }
            Err(e @ Error::StoreCorrupted(_)) => {
                inner.loaded = true;
                self.wipe(acct, inner, "store_corrupted").await?;
                Err(e)
            }
            // Store unavailable: nothing known yet; the next call tries again.
            Err(e) => Err(e),
        }
    }

    fn record_matches(&self, provider: &str, record: &Record) -> bool {
        let Ok(p) = self.provider(provider) else {
            return false;
        };
        let issuer_ok = match &p.config.issuer {
            Some(configured) => Url::parse(&record.issuer).ok().as_ref() == Some(configured),
            None => true,
        };
        issuer_ok && record.client_id == p.config.client_id
    }

    /// Wipes the stored record and the in-memory session, and announces it. Callers call it
    /// only when there was a session (or a stored record) to end.
    async fn wipe(&self, acct: &Account, inner: &mut Inner, reason: &str) -> Result<()> {
        inner.record = None;
        inner.claims = None;
        inner.scopes.clear();
        acct.set_access(None);
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        let deleted = self.blocking(move |v| v.delete_record(&p, &a)).await;
        self.emit(acct, SessionState::SignedOut, reason, None, None);
        deleted
    }

    async fn refresh_locked(&self, acct: &Account, inner: &mut Inner) -> Result<AccessToken> {
        let client = self.client(&acct.provider).await?;
        let _cross_process = self.cross_process_lock(acct).await?;
        // Another process may have rotated (or wiped) the record since we read it.
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        match self.blocking(move |v| v.load_record(&p, &a)).await {
            Ok(Some(record)) => inner.record = Some(record),
            Ok(None) => {
                self.wipe(acct, inner, "signed_out_elsewhere").await?;
                return Err(Error::NotSignedIn {
                    provider: acct.provider.clone(),
                    account: acct.account.clone(),
                });
            }
            Err(e @ Error::StoreCorrupted(_)) => {
                self.wipe(acct, inner, "store_corrupted").await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        let mut record = inner.record.clone().expect("record just loaded");
        let tokens = match client.refresh(&record.refresh_token).await {
            Ok(t) => t,
            Err(e @ Error::SessionExpired(_)) => {
                self.wipe(acct, inner, "session_expired").await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let mut claims = None;
        if let Some(id) = &tokens.id_token {
            let c = client.verify_id_token(id, None).await?;
            if record.subject.as_deref().is_some_and(|s| s != c.sub) {
                return Err(Error::IdTokenInvalid(
                    "the refreshed ID token has another subject".into(),
                ));
            }
            record.id_token = Some(id.clone());
            claims = Some(c);
        }
        let rotated = tokens.refresh_token.is_some();
        if let Some(rt) = &tokens.refresh_token {
            record.refresh_token = rt.clone();
        }
        record.scopes = tokens.scopes.clone();
        record.saved_at = now_secs();
        if rotated || claims.is_some() {
            // Persist the rotated token before anything uses or reports the new access token.
            let (p, a, r) = (acct.provider.clone(), acct.account.clone(), record.clone());
            let saved = self.blocking(move |v| v.save_record(&p, &a, &r)).await;
            inner.record = Some(record);
            saved?;
        } else {
            inner.record = Some(record);
        }
        if claims.is_some() {
            inner.claims = claims;
        }
        inner.scopes = tokens.scopes.clone();
        acct.set_access(Some(Access {
            token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
        }));
        Ok(tokens.access_token)
    }

    async fn cross_process_lock(&self, acct: &Account) -> Result<Option<std::fs::File>> {
        let Some(dir) = self.lock_dir.clone() else {
            return Ok(None);
        };
        use sha2::{Digest, Sha256};
        let service = self.vault()?.service().to_string();
        let digest = Sha256::digest(format!("{service}\n{}\n{}", acct.provider, acct.account));
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("{name}.lock"));
        let task = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            Ok(file)
        });
        match tokio::time::timeout(CROSS_PROCESS_LOCK_TIMEOUT, task).await {
            Ok(Ok(Ok(file))) => Ok(Some(file)),
            Ok(Ok(Err(e))) => Err(Error::StoreUnavailable(format!("account lock file: {e}"))),
            Ok(Err(e)) => Err(Error::Internal(format!("lock task: {e}"))),
            Err(_) => Err(Error::StoreUnavailable(
                "another process held the account lock for 30 s".into(),
            )),
        }
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
        }
    }

    /// Signs out: revokes the refresh token (and the access token) at the provider
    /// (RFC 7009), then wipes the store and memory even if revocation failed.
    pub async fn logout(&self, provider: &str, account: &str) -> Result<LogoutReport> {
        let acct = self.account(provider, account)?;
        let mut inner = acct.inner.lock().await;
        let _ = self.ensure_loaded(&acct, &mut inner).await;
        let _cross_process = self.cross_process_lock(&acct).await?;
        let rt = inner.record.as_ref().map(|r| r.refresh_token.clone());
        let id_token = inner.record.as_ref().and_then(|r| r.id_token.clone());
        let at = acct.current();
        let mut report = LogoutReport {
            revoked: false,
            revocation_error: None,
            end_session_url: None,
        };
        if rt.is_some() || at.is_some() {
            match self.client(provider).await {
                Ok(client) => {
                    report.end_session_url = client.end_session_url(id_token.as_ref());
                    let mut outcome = Ok(());
                    if let Some(rt) = &rt {
                        outcome = client
                            .revoke(StandardRevocableToken::RefreshToken(
                                oauth2::RefreshToken::new(rt.secret().to_string()),
                            ))
                            .await;
                    }
                    if let Some(at) = &at {
                        let at_outcome = client
                            .revoke(StandardRevocableToken::AccessToken(
                                oauth2::AccessToken::new(at.secret().to_string()),
                            ))
                            .await;
                        if rt.is_none() {
                            outcome = at_outcome;
                        }
                    }
                    match outcome {
                        Ok(()) => report.revoked = true,
                        Err(e) => report.revocation_error = Some(e),
                    }
                }
                Err(e) => report.revocation_error = Some(e),
            }
        }
        let signed_in = rt.is_some() || at.is_some();
        inner.loaded = true;
        inner.last_error = None;
        acct.generation.fetch_add(1, Ordering::AcqRel);
        if signed_in {
            self.wipe(&acct, &mut inner, "logout").await?;
        } else {
            let (p, a) = (acct.provider.clone(), acct.account.clone());
            self.blocking(move |v| v.delete_record(&p, &a)).await?;
        }
        Ok(report)
    }
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

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
