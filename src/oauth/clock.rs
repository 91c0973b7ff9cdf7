//! The time source for every expiry decision: the access token's `expires_at` (from
//! `expires_in`), the session's freshness check, the ID token's `iat` check. `SystemTime::now`
//! in every build; the session's unit tests use a fixed clock they move forward by hand.
//! (`jsonwebtoken` checks an ID token's `exp` and `nbf` against the system clock itself.)

use std::sync::Arc;
use std::time::SystemTime;

/// A clock (cheap to clone).
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub(crate) fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    /// A clock reading `now` (tests).
    #[cfg(test)]
    pub(crate) fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
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
