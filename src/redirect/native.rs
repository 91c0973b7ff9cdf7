//! The mobile browser step: a platform authentication session (`ASWebAuthenticationSession` on
//! iOS, Custom Tabs on Android) opens the authorization URL and hands back the URL the provider
//! redirected to (RFC 8252 §7.1 custom scheme, or §7.2 claimed `https`). It replaces the
//! desktop's system browser and loopback receiver behind the same sign-in flow: PKCE, `state`,
//! `nonce`, `iss`, the code exchange and the ID-token checks stay in Rust
//! ([`crate::SessionManager::login_with_session`]).
//!
//! The plugin's own implementation on iOS and Android calls the native plugin's `authorize`
//! command; tests (and other platforms) plug in their own.

use std::future::Future;
use std::pin::Pin;

use url::Url;

use crate::error::Result;

/// What an [`AuthSession`] opens. `Debug` leaves out the authorization URL's query: it holds
/// the sign-in's `state`, `nonce` and PKCE challenge.
#[derive(Clone)]
pub struct AuthSessionRequest {
    /// The authorization URL to open (`state`, `nonce`, `code_challenge`… in its query).
    pub url: Url,
    /// The redirect URI the request names (`com.example.app:/oauth/callback` or a claimed
    /// `https` URL): the session ends when the user agent is sent to it.
    pub redirect_uri: Url,
    /// iOS `prefersEphemeralWebBrowserSession`: no cookies shared with Safari (no single
    /// sign-on, no "wants to use … to sign in" prompt). Android ignores it.
    pub ephemeral: bool,
}

impl std::fmt::Debug for AuthSessionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.url.clone();
        shown.set_query(Some("[redacted]"));
        f.debug_struct("AuthSessionRequest")
            .field("url", &shown.as_str())
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("ephemeral", &self.ephemeral)
            .finish()
    }
}

/// The future an [`AuthSession`] returns.
pub type AuthSessionFuture<'a> = Pin<Box<dyn Future<Output = Result<Url>> + Send + 'a>>;

/// A platform authentication session: presents `request.url` to the user and resolves to the
/// full URL the provider redirected to (with its query), once the user agent reaches
/// `request.redirect_uri`.
///
/// Errors, by stable code: the user closed the session ⇒ `login_cancelled`; another session
/// is already on screen ⇒ `login_in_progress`; no session could be started ⇒
/// `browser_open_failed`; the platform cannot do it (an `https` callback before iOS 17.4) ⇒
/// `unsupported`. Dropping the future (cancel, timeout) should dismiss the session.
///
/// ```
/// use tauri_plugin_token_vault::{AuthSession, AuthSessionFuture, AuthSessionRequest};
///
/// /// Answers every sign-in with the provider's `access_denied`.
/// struct Refusing;
///
/// impl AuthSession for Refusing {
///     fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a> {
///         Box::pin(async move {
///             let mut to = request.redirect_uri.clone();
///             to.query_pairs_mut().append_pair("error", "access_denied");
///             Ok(to)
///         })
///     }
/// }
/// ```
pub trait AuthSession: Send + Sync {
    /// Opens `request.url` and resolves to the redirect URL (never log it: it carries the
    /// authorization code and `state`).
    fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a>;
}
