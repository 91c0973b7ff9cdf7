//! The desktop sign-in flow: loopback listener → authorization request → system browser (on
//! the listener's one-time launch URL, which redirects to the authorization URL) →
//! authorization response → code exchange → validated ID token → the browser's page, which
//! tells that outcome. No Tauri imports.

use std::collections::BTreeMap;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::oauth::{IdTokenClaims, OAuthClient, TokenSet};
use crate::redirect::loopback::{Expectation, LoopbackReceiver};
use crate::redirect::Browser;

/// The outcome of a successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// The tokens (secret types, redacted in `Debug`).
    pub tokens: TokenSet,
    /// The validated ID token claims, when `openid` was requested.
    pub claims: Option<IdTokenClaims>,
}

impl SignedIn {
    /// The subject (`sub`) of the ID token, when there is one.
    pub fn subject(&self) -> Option<&str> {
        self.claims.as_ref().map(|c| c.sub.as_str())
    }
}

/// Signs in through `browser` with a loopback redirect.
///
/// `extra` adds authorization parameters for this sign-in (`login_hint`, `prompt`…). The
/// sign-in ends with `login_cancelled` when `cancel` fires and with `login_timed_out` after the
/// provider's `loginTimeoutSecs`; either way the listener is closed.
pub async fn sign_in(
    client: &OAuthClient,
    browser: &dyn Browser,
    extra: &BTreeMap<String, String>,
    cancel: CancellationToken,
) -> Result<SignedIn> {
    let config = client.config();
    let started = Instant::now();
    let host = config.redirect.host;
    let mut receiver = LoopbackReceiver::bind_host(
        host.as_str(),
        host.addrs(),
        config.redirect.port,
        &config.redirect.path,
    )
    .await?;
    let request = client.authorization_request(receiver.redirect_uri(), extra)?;
    let meta = client.metadata();
    let expect = Expectation::for_policy(
        request.state.clone(),
        config.issuer_policy(&meta.issuer)?,
        meta.authorization_response_iss_parameter_supported,
    );
    // The browser is opened on a one-time loopback URL that redirects to the authorization
    // URL: its parameters (state, nonce, code challenge, redirect URI) stay out of the
    // launching crate's logs and off the browser's command line.
    let launch = receiver.launch_url(&request.url)?;
    browser.open(&launch)?;
    let timeout = config.login_timeout();
    // The code exchange and the ID-token checks run while the browser's request waits, so its
    // page tells the real outcome; the timeout and the cancel cover them too.
    let finish = |code| client.exchange_code(code, request);
    let (tokens, claims) = tokio::select! {
        r = receiver.receive_then(expect, finish) => r?,
        _ = tokio::time::sleep(timeout) => return Err(Error::LoginTimedOut(timeout.as_secs())),
        _ = cancel.cancelled() => return Err(Error::LoginCancelled),
    };
    log::debug!(
        "token-vault: signed in (subject present: {}) in {} ms",
        claims.is_some(),
        started.elapsed().as_millis()
    );
    Ok(SignedIn { tokens, claims })
}
