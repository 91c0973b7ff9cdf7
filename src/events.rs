//! Event names emitted to every window.

/// Emitted on every session change: sign-in, restore, logout, and a refresh failure that ends
/// the session. Payload: [`crate::SessionEvent`] (`{ provider, account, state,
/// reason, subject?, claims? }`), never a token.
pub const SESSION_CHANGED: &str = "token-vault://session-changed";
