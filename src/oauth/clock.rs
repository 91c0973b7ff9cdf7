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

    /// The current time to within a few milliseconds, for the hot path's freshness check
    /// (every other use takes [`Self::now`]). A token's leeway is seconds; reading the precise
    /// clock was a quarter of `get_token`'s hot path.
    #[inline]
    pub(crate) fn now_coarse(&self) -> SystemTime {
        match &self.0 {
            None => coarse_now(),
            Some(now) => now(),
        }
    }
}

/// `CLOCK_REALTIME_COARSE` (the time of the last scheduler tick, read from the vDSO without
/// touching the clock source: a few nanoseconds). Written by hand because the standard library
/// offers no coarse clock; `libc` is already in the tree.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn coarse_now() -> SystemTime {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    match (rc, u64::try_from(ts.tv_sec), u32::try_from(ts.tv_nsec)) {
        (0, Ok(secs), Ok(nanos)) => std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos),
        // Before 1970 or a failed call: the precise clock decides.
        _ => SystemTime::now(),
    }
}

/// Elsewhere the precise clock (Windows' system time is already a tick-based read).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn coarse_now() -> SystemTime {
    SystemTime::now()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_clock_is_within_a_few_ticks_of_the_precise_one() {
        let clock = Clock::system();
        for _ in 0..100 {
            let before = SystemTime::now();
            let coarse = clock.now_coarse();
            let after = SystemTime::now();
            // The last tick: not after `after`, and at most a few ticks (≤ 10 ms at 100 Hz)
            // before `before`.
            assert!(coarse <= after);
            let lag = before.duration_since(coarse).unwrap_or_default();
            assert!(lag < std::time::Duration::from_millis(50), "{lag:?}");
        }
    }
}
