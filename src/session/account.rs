//! Per-account state: the access token in memory (read on the hot path without the account
//! mutex), and the stored record, claims and last refresh outcome behind it.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use tokio::sync::Mutex;

use crate::error::Error;
use crate::oauth::dpop::DpopKey;
use crate::oauth::{Clock, IdTokenClaims};
use crate::secret::AccessToken;
use crate::vault::Record;

pub(super) struct Access {
    pub(super) token: AccessToken,
    pub(super) expires_at: Option<SystemTime>,
    /// The DPoP key the token is bound to (RFC 9449), for `fetch`'s proofs.
    pub(super) dpop: Option<Arc<DpopKey>>,
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) loaded: bool,
    pub(super) record: Option<Record>,
    pub(super) claims: Option<IdTokenClaims>,
    pub(super) scopes: Vec<String>,
    pub(super) last_error: Option<Error>,
}

pub(super) struct Account {
    pub(super) provider: String,
    pub(super) account: String,
    /// The access token in memory. Swapped whole (`arc-swap`): the hot path reads it without
    /// a lock or a reference count of its own (a `RwLock`'s read was a fifth of its time).
    pub(super) access: ArcSwapOption<Access>,
    pub(super) generation: AtomicU64,
    pub(super) inner: Mutex<Inner>,
    /// Held by the refresh in flight, which runs in a task of its own so that it finishes
    /// (and persists a rotated refresh token) even when every caller waiting for it is gone;
    /// the next refresh waits for it. Holds a rotated record whose save failed: the only live
    /// refresh token, saved before anything else is tried.
    pub(super) flight: Arc<Mutex<Option<Record>>>,
    /// The manager's clock.
    pub(super) clock: Clock,
    /// The provider's `refreshLeewaySecs`, kept here so the hot path needs no provider lookup.
    pub(super) leeway: Duration,
}

impl Account {
    /// The access token if it is valid for at least `need` more.
    pub(super) fn fresh(&self, need: Duration) -> Option<AccessToken> {
        let guard = self.access.load();
        let a = guard.as_deref()?;
        // A `need` beyond what the clock can represent (page script may ask for any
        // `minTtlSecs`) is one no token meets: refresh, never overflow.
        // The coarse clock (ms): the hot path. Off by at most a tick, a token may be served
        // that many ms closer to its expiry than `need` asks (the leeway is seconds).
        let deadline = self.clock.now_coarse().checked_add(need)?;
        match a.expires_at {
            Some(exp) if exp <= deadline => None,
            _ => Some(a.token.clone()),
        }
    }

    pub(super) fn current(&self) -> Option<AccessToken> {
        self.fresh(Duration::ZERO)
    }

    pub(super) fn set_access(&self, access: Option<Access>) {
        self.access.store(access.map(Arc::new));
    }

    /// The DPoP key of the access token in memory.
    pub(crate) fn dpop_key(&self) -> Option<Arc<DpopKey>> {
        self.access.load().as_deref().and_then(|a| a.dpop.clone())
    }

    pub(super) fn expires_at(&self) -> Option<SystemTime> {
        self.access.load().as_deref().and_then(|a| a.expires_at)
    }
}

/// When a refresh is wanted.
#[derive(Clone, Copy)]
pub(super) enum Want<'a> {
    /// Unless a token valid for this long is held.
    Fresh(Duration),
    /// Unless the held token is no longer this one.
    Replace(&'a str),
    /// Always.
    Always,
}
