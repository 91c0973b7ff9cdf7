//! Event names emitted to every window.

/// Emitted on every session change: sign-in, restore, logout, and a refresh failure that ends
/// the session. Payload: [`crate::SessionEvent`] (`{ provider, account, state,
/// reason, subject?, claims? }`), never a token.
pub const SESSION_CHANGED: &str = "token-vault://session-changed";

/// Emitted when a device-code sign-in (`loginWithDeviceCode`) has its user code: payload
/// [`crate::DeviceCode`] (`{ provider, account, userCode, verificationUri,
/// verificationUriComplete?, expiresInSecs }`) for the app to show (and a QR code of the
/// complete URI). Never a token or the device code it polls with.
pub const DEVICE_CODE: &str = "token-vault://device-code";
