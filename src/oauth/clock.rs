//! The time source for every expiry decision: the access token's `expires_at` (from
//! `expires_in`), the session's freshness check, the ID token's `iat` check. `SystemTime::now`
//! in every build; the session's unit tests use a fixed clock they move forward by hand.
//! (`jsonwebtoken` checks an ID token's `exp` and `nbf` against the system clock itself.)

use std::sync::Arc;
use std::time::SystemTime;

/// A clock (cheap to clone). The system clock is read directly (it is on `get_token`'s hot
/// path); a test clock through its function.
#[derive(Clone)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl Clock {
    /// The system clock.
    pub(crate) fn system() -> Self {
        Self(None)
    }

    /// A clock reading `now` (tests).
    #[cfg(test)]
    pub(crate) fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    /// The current time.
    #[inline]
    pub(crate) fn now(&self) -> SystemTime {
        match &self.0 {
            None => SystemTime::now(),
            Some(now) => now(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}
