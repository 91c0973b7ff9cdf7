//! Tokens on demand: the hot path, single-flight refresh, rotation, and the failure policy.
//!
//! ## Contracts
//! - **Hot path**: a fresh access token is served from memory under a read lock.
//! - **Single flight**: one refresh per account at a time in the process; callers that queued
//!   behind it share its outcome (token or error) instead of refreshing again.
//! - **Rotation**: a rotated refresh token is written to the store before the new access token
//!   is returned.
//! - **Failures**: `invalid_grant` ⇒ record wiped, signed out, event (`session_expired`);
//!   transport errors, 5xx, timeouts ⇒ nothing changed, `network`, the next call retries.
//! - **No refresh token, access token persisted** (`persistAccessToken`): restored from the
//!   store like any session; a refresh returns the access token unchanged while it is valid,
//!   without a request. Once it has expired, or a resource server refused it (a 401, through
//!   [`SessionManager::refresh_if_current`]), the session ends like a dead refresh token does
//!   (`session_expired`, record wiped, event): nothing can renew it. Never a loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use url::Url;

use super::account::{Access, Account, Inner, Want};
use super::{record_dpop_key, SessionManager};
use crate::error::{Error, Result};
use crate::models::{SessionChangeReason as Reason, SessionState, SessionStatus};
use crate::secret::AccessToken;
use crate::vault::Record;

impl SessionManager {
    /// A valid access token, refreshed when it expires within the provider's leeway or
    /// `min_ttl`, whichever is longer. Concurrent callers share one refresh.
    ///
    /// A token held in memory is looked up when this is called, and the future is then ready
    /// at once: the refresh path's (large) state machine is built, boxed, only when a refresh
    /// may be needed.
    pub fn get_token<'a>(
        &'a self,
        provider: &'a str,
        account: &'a str,
        min_ttl: Duration,
    ) -> impl Future<Output = Result<AccessToken>> + Send + 'a {
        match self.fresh_token(provider, account, min_ttl) {
            Some(t) => TokenFuture::Ready(Some(t)),
            None => TokenFuture::Slow(Box::pin(self.get_token_slow(provider, account, min_ttl))),
        }
    }

    /// [`Self::get_token`] when no fresh token was found in memory.
    async fn get_token_slow(
        &self,
        provider: &str,
        account: &str,
        min_ttl: Duration,
    ) -> Result<AccessToken> {
        let acct = self.account(provider, account)?;
        let need = acct.leeway.max(min_ttl);
        if let Some(t) = acct.fresh(need) {
            return Ok(t);
        }
        self.refresh_shared(&acct, Want::Fresh(need)).await
    }

    /// The hot path: a known account's access token when it is valid for the provider's
    /// leeway or `min_ttl`, whichever is longer; read under the accounts' read lock (no
    /// reference count taken, no provider lookup, no await).
    fn fresh_token(&self, provider: &str, account: &str, min_ttl: Duration) -> Option<AccessToken> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        let acct = accounts.get(provider)?.get(account)?;
        acct.fresh(acct.leeway.max(min_ttl))
    }

    /// Forces a refresh (shared with any refresh already running for the account). A session
    /// without refresh token whose access token is persisted (`persistAccessToken`) keeps its
    /// access token while it is valid (no request), and ends (`session_expired`) once it has
    /// expired.
    pub async fn refresh(&self, provider: &str, account: &str) -> Result<SessionStatus> {
        let acct = self.account(provider, account)?;
        self.refresh_shared(&acct, Want::Always).await?;
        let inner = acct.inner.lock().await;
        Ok(self.status_of(&acct, &inner))
    }

    /// Refreshes unless the access token is no longer `used` (someone already replaced it):
    /// what a 401 from a resource server calls for. Single flight like every refresh. A
    /// session without refresh token whose access token is persisted (`persistAccessToken`)
    /// ends instead (`session_expired`, record wiped): its token is dead and nothing can renew
    /// it.
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
        if inner.loaded || self.cache_dir.is_none() {
            self.ensure_loaded(acct, &mut inner).await?;
        } else {
            // The first use in this process: the store read and the provider's client (from
            // the warm-start cache, or discovered) at the same time. The client's error, if
            // any, is the refresh's to report, when one is needed.
            let (loaded, _client) = tokio::join!(
                self.ensure_loaded(acct, &mut inner),
                self.client(&acct.provider)
            );
            loaded?;
        }
        if inner
            .record
            .as_ref()
            .is_some_and(|r| r.refresh_token.is_none())
        {
            // A persisted access token and no refresh token: kept while valid, unless a
            // resource server refused it.
            if !matches!(want, Want::Replace(_)) {
                if let Some(t) = acct.current() {
                    return Ok(t);
                }
            }
            if let Some(result) = self.end_access_only(acct, &mut inner).await.transpose() {
                inner.last_error = result.as_ref().err().cloned();
                acct.generation.fetch_add(1, Ordering::AcqRel);
                return result;
            }
            // Another process stored a session with a refresh token since: refreshed below.
        }
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
    pub(super) async fn ensure_loaded(&self, acct: &Account, inner: &mut Inner) -> Result<()> {
        if inner.loaded {
            return Ok(());
        }
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        let loaded = self.blocking(move |v| v.load_record(&p, &a)).await;
        match loaded {
            Ok(Some(record)) => {
                inner.loaded = true;
                if !self.record_matches(&acct.provider, &record) {
                    self.wipe(acct, inner, Reason::ConfigurationChanged).await?;
                    return Ok(());
                }
                // A DPoP key that does not load makes the session unusable: corrupted.
                match record_dpop_key(&record) {
                    Ok(_) => {}
                    Err(e @ Error::StoreCorrupted(_)) => {
                        self.wipe(acct, inner, Reason::StoreCorrupted).await?;
                        return Err(e);
                    }
                    Err(e) => return Err(e),
                }
                inner.scopes = record.scopes.clone();
                let subject = record.subject.clone();
                if let Some(access) = stored_access(&record) {
                    acct.set_access(Some(access));
                }
                inner.record = Some(record);
                self.emit(
                    acct,
                    SessionState::SignedIn,
                    Reason::Restored,
                    None,
                    subject,
                );
                Ok(())
            }
            Ok(None) => {
                inner.loaded = true;
                Ok(())
            }
            Err(e @ Error::StoreCorrupted(_)) => {
                inner.loaded = true;
                self.wipe(acct, inner, Reason::StoreCorrupted).await?;
                Err(e)
            }
            // Store unavailable: nothing known yet; the next call tries again.
            Err(e) => Err(e),
        }
    }

    pub(super) fn record_matches(&self, provider: &str, record: &Record) -> bool {
        let Ok(p) = self.provider(provider) else {
            return false;
        };
        let issuer_ok = match &p.config.issuer {
            Some(configured) => Url::parse(&record.issuer).ok().as_ref() == Some(configured),
            None => true,
        };
        issuer_ok && record.client_id == p.config.client_id
    }

    /// The account's record read again under the account's locks (another process may have
    /// rotated, replaced or wiped it). None stored: the session ended elsewhere (wiped here,
    /// `not_signed_in`); a corrupted one is wiped (`store_corrupted`); an unavailable store
    /// changes nothing (the next call tries again).
    async fn reread_record(&self, acct: &Account, inner: &mut Inner) -> Result<Record> {
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        match self.blocking(move |v| v.load_record(&p, &a)).await {
            Ok(Some(record)) => Ok(record),
            Ok(None) => {
                self.wipe(acct, inner, Reason::SignedOutElsewhere).await?;
                Err(Error::NotSignedIn {
                    provider: acct.provider.clone(),
                    account: acct.account.clone(),
                })
            }
            Err(e @ Error::StoreCorrupted(_)) => {
                self.wipe(acct, inner, Reason::StoreCorrupted).await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Ends a session without refresh token whose access token expired or was refused:
    /// nothing can renew it (`session_expired`, record wiped, event). Under the cross-process
    /// lock the store is read again first: a session another process stored since (a new
    /// sign-in) is this account's now and is taken over instead: `Some` its access token when
    /// it has a valid one and no refresh token, `None` when it has a refresh token (to refresh).
    async fn end_access_only(
        &self,
        acct: &Account,
        inner: &mut Inner,
    ) -> Result<Option<AccessToken>> {
        let _flight = acct.flight.clone().lock_owned().await;
        let _cross_process = self.cross_process_lock(acct).await?;
        let stored = self.reread_record(acct, inner).await?;
        let held = inner.record.as_ref().and_then(|r| r.access_token.as_ref());
        let same = match (&stored.access_token, held) {
            (Some(s), Some(h)) => s.secret() == h.secret(),
            _ => false,
        };
        if !same && self.record_matches(&acct.provider, &stored) {
            inner.claims = None;
            inner.scopes = stored.scopes.clone();
            acct.set_access(stored_access(&stored));
            let refreshable = stored.refresh_token.is_some();
            inner.record = Some(stored);
            if refreshable {
                return Ok(None);
            }
            if let Some(t) = acct.current() {
                return Ok(Some(t));
            }
            // Expired as well: ended below.
        }
        self.wipe(acct, inner, Reason::SessionExpired).await?;
        Err(Error::SessionExpired(
            "the access token expired or was refused, and there is no refresh token to renew it"
                .into(),
        ))
    }

    /// Wipes the stored record and the in-memory session, and announces it. Callers call it
    /// only when there was a session (or a stored record) to end.
    async fn refresh_locked(&self, acct: &Account, inner: &mut Inner) -> Result<AccessToken> {
        let client = self.client(&acct.provider).await?;
        let vault = self.vault()?;
        // Waits for a refresh still in flight (its callers may be gone; it finishes anyway).
        let mut flight = acct.flight.clone().lock_owned().await;
        let cross_process = self.cross_process_lock(acct).await?;
        let (p, a) = (acct.provider.clone(), acct.account.clone());
        if let Some(unsaved) = flight.clone() {
            // A rotated refresh token an earlier save could not store: the provider already
            // spent the one in the store, so this is the only live one. Store it first.
            let (p, a, r) = (p.clone(), a.clone(), unsaved.clone());
            self.blocking(move |v| v.save_record(&p, &a, &r)).await?;
            *flight = None;
            inner.record = Some(unsaved);
        } else {
            // Another process may have rotated (or wiped) the record since we read it.
            inner.record = Some(self.reread_record(acct, inner).await?);
        }
        let record = inner.record.clone().expect("record just loaded");
        // The session's DPoP key: the refresh token is bound to it.
        let dpop = match record_dpop_key(&record) {
            Ok(key) => key.map(|k| client.dpop_binding(k)),
            Err(e @ Error::StoreCorrupted(_)) => {
                self.wipe(acct, inner, Reason::StoreCorrupted).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let Some(refresh_token) = record.refresh_token.clone() else {
            // Another process signed in since, without refresh token (`persistAccessToken`):
            // that session is this account's now; its access token while valid.
            inner.claims = None;
            inner.scopes = record.scopes.clone();
            acct.set_access(stored_access(&record));
            if let Some(t) = acct.current() {
                return Ok(t);
            }
            self.wipe(acct, inner, Reason::SessionExpired).await?;
            return Err(Error::SessionExpired(
                "the access token expired, and there is no refresh token to renew it".into(),
            ));
        };
        let now = self.now_secs();
        // The request and the save of a rotated refresh token run in a task of their own: a
        // caller that gives up (a `timeout`, a `select!`) drops only its wait, never the
        // rotated token. The task keeps the locks until the token is stored (or parked in
        // `flight` when the store fails).
        let task = crate::task::spawn(async move {
            // The locks come back with the outcome, so the caller keeps them until its own
            // last write (the verified ID token, or the wipe); a caller that gave up drops
            // them with the outcome when the task ends.
            let (cross_process, mut flight) = (cross_process, flight);
            let outcome = match client.refresh(&refresh_token, dpop.as_ref()).await {
                Err(e) => Err(e),
                Ok(tokens) => {
                    let mut record = record;
                    let rotated = tokens.refresh_token.is_some();
                    if let Some(rt) = &tokens.refresh_token {
                        record.refresh_token = Some(rt.clone());
                    }
                    record.scopes = tokens.scopes.clone();
                    record.saved_at = now;
                    let saved = if rotated {
                        // Persisted as soon as the response parsed, before any check that
                        // could fail.
                        let r = record.clone();
                        crate::task::spawn_blocking(move || vault.save_record(&p, &a, &r))
                            .await
                            .map_err(|e| Error::Internal(format!("store task: {e}")))
                            .and_then(|saved| saved)
                    } else {
                        Ok(())
                    };
                    if saved.is_err() {
                        *flight = Some(record.clone());
                    }
                    Ok((tokens, record, saved))
                }
            };
            (client, outcome, (cross_process, flight))
        });
        let (client, outcome, _locks) = task
            .await
            .map_err(|e| Error::Internal(format!("refresh task: {e}")))?;
        let (tokens, mut record, saved) = match outcome {
            Ok(done) => done,
            Err(e @ Error::SessionExpired(_)) => {
                self.wipe(acct, inner, Reason::SessionExpired).await?;
                return Err(e);
            }
            Err(e) => {
                self.after_provider_failure(&acct.provider, &client, &e)
                    .await;
                return Err(e);
            }
        };
        inner.record = Some(record.clone());
        inner.scopes = tokens.scopes.clone();
        // A failed save: the rotated token stays in memory (and in `flight`), nothing uses or
        // reports the new access token, and the next call stores it first.
        saved?;
        if let Some(id) = &tokens.id_token {
            let c = client.verify_id_token(id, None).await?;
            if record.subject.as_deref().is_some_and(|s| s != c.sub) {
                return Err(Error::IdTokenInvalid(
                    "the refreshed ID token has another subject".into(),
                ));
            }
            // The verified ID token (kept for `id_token_hint` at logout).
            record.id_token = Some(id.clone());
            let (p, a, r) = (acct.provider.clone(), acct.account.clone(), record.clone());
            self.blocking(move |v| v.save_record(&p, &a, &r)).await?;
            inner.record = Some(record);
            inner.claims = Some(c);
        }
        acct.set_access(Some(Access {
            token: tokens.access_token.clone(),
            expires_at: tokens.expires_at,
            dpop: tokens.dpop.clone(),
        }));
        Ok(tokens.access_token)
    }
}

/// The access token a record without refresh token holds, with its expiry (`None`: it does not
/// expire; a stored time beyond what the clock represents counts as expired, never as
/// "does not expire").
/// A DPoP key that does not load leaves the token unbound here; the refresh path reports it.
fn stored_access(record: &Record) -> Option<Access> {
    let dpop = record_dpop_key(record).ok().flatten();
    record.access_token.as_ref().map(|token| Access {
        token: match dpop {
            Some(_) => AccessToken::new_dpop(token.secret()),
            None => token.clone(),
        },
        dpop,
        expires_at: record.access_token_expires_at.map(|secs| {
            UNIX_EPOCH
                .checked_add(Duration::from_secs(secs))
                .unwrap_or(UNIX_EPOCH)
        }),
    })
}

/// The future of [`SessionManager::get_token`]: ready with the token found in memory, or the
/// boxed refresh path.
enum TokenFuture<'a> {
    /// The token held in memory (taken by the first poll).
    Ready(Option<AccessToken>),
    /// The refresh path.
    Slow(Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + 'a>>),
}

impl Future for TokenFuture<'_> {
    type Output = Result<AccessToken>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            TokenFuture::Ready(t) => match t.take() {
                Some(t) => Poll::Ready(Ok(t)),
                None => panic!("TokenFuture polled after it completed"),
            },
            TokenFuture::Slow(f) => f.as_mut().poll(cx),
        }
    }
}
