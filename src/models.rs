//! Types exchanged with the webview (camelCase JSON). None of them carries a token.

use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::session::{SessionEvent, SessionState, SessionStatus};

/// Milliseconds since the Unix epoch.
pub fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
