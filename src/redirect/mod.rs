//! The browser step: sending the user to the authorization URL and receiving the redirect.
//!
//! Desktop opens the system browser ([`SystemBrowser`], the `webbrowser` crate, which honours
//! `$BROWSER`) and receives the redirect on a [`loopback::LoopbackReceiver`] (RFC 8252 §7.3).
//! The browser is not given the authorization URL itself but the receiver's one-time launch
//! URL ([`loopback::LoopbackReceiver::launch_url`]), which redirects to it: the authorization
//! parameters never reach the launching crate's logs or the browser's command line.
//! The [`Browser`] trait lets tests and other platforms plug in their own step.
//!
//! Mobile replaces both with a platform authentication session ([`native::AuthSession`]),
//! which hands back the redirect URL; [`response`] judges it the same way on both.

#[cfg(desktop)]
pub mod loopback;
pub mod native;
pub(crate) mod response;

use url::Url;

use crate::error::{Error, Result};

/// Presents the sign-in to the user.
pub trait Browser: Send + Sync {
    /// Opens `url`: a loopback launch URL, `http://127.0.0.1:<port>/<random>`, whose first GET
    /// is redirected (`302 Found`) to the provider's authorization URL; it works once. Returns
    /// once the browser was asked to open it (not when the user is done). An implementation
    /// that needs the authorization URL itself GETs the launch URL once without following the
    /// redirect and reads `Location`. Never log `url`: until used, it leads to the sign-in's
    /// `state`.
    fn open(&self, url: &Url) -> Result<()>;
}

/// The user's default browser, through the `webbrowser` crate (never an embedded webview,
/// RFC 8252 §8.12). On Linux it honours `$BROWSER`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    #[cfg(not(any(target_os = "android", target_os = "ios")))]
    fn open(&self, url: &Url) -> Result<()> {
        webbrowser::open(url.as_str()).map_err(|e| Error::BrowserOpenFailed(e.to_string()))
    }

    #[cfg(any(target_os = "android", target_os = "ios"))]
    fn open(&self, _url: &Url) -> Result<()> {
        Err(Error::BrowserOpenFailed(
            "the system browser step on mobile is the native authentication session".into(),
        ))
    }
}

impl<F> Browser for F
where
    F: Fn(&Url) -> Result<()> + Send + Sync,
{
    fn open(&self, url: &Url) -> Result<()> {
        self(url)
    }
}
