//! The browser step: opening the authorization URL and receiving the redirect.
//!
//! Desktop opens the system browser ([`SystemBrowser`], the `webbrowser` crate, which honours
//! `$BROWSER`) and receives the redirect on a [`loopback::LoopbackReceiver`] (RFC 8252 §7.3).
//! The [`Browser`] trait lets tests and other platforms plug in their own step.

pub mod loopback;

use url::Url;

use crate::error::{Error, Result};

/// Presents an authorization URL to the user.
pub trait Browser: Send + Sync {
    /// Opens `url`. Returns once the browser was asked to open it (not when the user is done).
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
