//! The sign-in flows. No Tauri imports.
//!
//! - Desktop ([`sign_in`]): loopback listener → authorization request → system browser (on
//!   the listener's one-time launch URL, which redirects to the authorization URL) →
//!   authorization response → code exchange → validated ID token → the browser's page, which
//!   tells that outcome.
//! - Mobile ([`sign_in_with_session`]): authorization request with the configured
//!   `mobile.redirectUri` → the native authentication session → the redirect URL it hands back,
//!   judged like the loopback's (`state`, `iss`, `error`) → code exchange → validated ID token.

use std::collections::BTreeMap;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::client::DeviceAuthorization;
use crate::oauth::{IdTokenClaims, OAuthClient, TokenSet};
#[cfg(desktop)]
use crate::redirect::loopback::LoopbackReceiver;
use crate::redirect::native::{AuthSession, AuthSessionRequest};
use crate::redirect::response::{judge_query, Expectation, Judged};
#[cfg(desktop)]
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

/// Signs in through `browser` with a loopback redirect (desktop).
///
/// `extra` adds authorization parameters for this sign-in (`login_hint`, `prompt`…). The
/// sign-in ends with `login_cancelled` when `cancel` fires and with `login_timed_out` after the
/// provider's `loginTimeoutSecs`; either way the listener is closed.
#[cfg(desktop)]
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
    let request = client
        .prepare_authorization(receiver.redirect_uri(), extra)
        .await?;
    let expect = expectation(client, &request.state)?;
    // The browser is opened on a one-time loopback URL that redirects to the authorization
    // URL: its parameters (state, nonce, code challenge, redirect URI) stay out of the
    // launching crate's logs and off the browser's command line.
    let launch = receiver.launch_url(&request.url)?;
    browser.open(&launch)?;
    let timeout = config.login_timeout();
    // The code exchange and the ID-token checks run while the browser's request waits, so its
    // page tells the real outcome; the timeout and the cancel cover them too.
    let dpop = client.new_dpop_key()?;
    let finish = |code| client.exchange_code(code, request, dpop.as_ref());
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

/// What this sign-in's authorization response must carry: its `state`, and the provider's
/// issuer policy for RFC 9207 `iss`.
fn expectation(client: &OAuthClient, state: &crate::secret::State) -> Result<Expectation> {
    let meta = client.metadata();
    Ok(Expectation::for_policy(
        state.clone(),
        client.config().issuer_policy(&meta.issuer)?,
        meta.authorization_response_iss_parameter_supported,
    ))
}

/// Signs in through a platform authentication session (`session`) with `redirect_uri` (the
/// provider's `mobile.redirectUri`): the mobile flow, usable anywhere.
///
/// The session hands back one URL, so anything but this sign-in's authorization response at
/// `redirect_uri` fails it: another URL ⇒ `invalid_authorization_response`, a foreign or
/// missing `state` ⇒ `invalid_authorization_response`, a wrong `iss` ⇒ `issuer_mismatch`, the
/// provider's `error` ⇒ `authorization_denied` / `authorization_failed`. `cancel` and the
/// provider's `loginTimeoutSecs` cover the session and the code exchange, and drop the
/// session's future (which dismisses it).
pub async fn sign_in_with_session(
    client: &OAuthClient,
    session: &dyn AuthSession,
    redirect_uri: &Url,
    extra: &BTreeMap<String, String>,
    cancel: CancellationToken,
) -> Result<SignedIn> {
    let config = client.config();
    let started = Instant::now();
    let request = client.prepare_authorization(redirect_uri, extra).await?;
    let expect = expectation(client, &request.state)?;
    let native = AuthSessionRequest {
        url: request.url.clone(),
        redirect_uri: redirect_uri.clone(),
        ephemeral: config.mobile.ephemeral_session,
    };
    let timeout = config.login_timeout();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let redirected = tokio::select! {
        r = session.authorize(&native) => r?,
        _ = &mut deadline => return Err(Error::LoginTimedOut(timeout.as_secs())),
        _ = cancel.cancelled() => return Err(Error::LoginCancelled),
    };
    if !same_endpoint(&redirected, redirect_uri) {
        return Err(Error::InvalidAuthorizationResponse(
            "the authentication session ended on a URL other than the redirect URI".into(),
        ));
    }
    let code = match judge_query(redirected.query().unwrap_or(""), &expect) {
        Judged::NotThisSignIn(why) => {
            return Err(Error::InvalidAuthorizationResponse(
                why.trim_end_matches('.').into(),
            ))
        }
        Judged::Complete(code) => code?,
    };
    let dpop = client.new_dpop_key()?;
    let (tokens, claims) = tokio::select! {
        r = client.exchange_code(code, request, dpop.as_ref()) => r?,
        _ = &mut deadline => return Err(Error::LoginTimedOut(timeout.as_secs())),
        _ = cancel.cancelled() => return Err(Error::LoginCancelled),
    };
    log::debug!(
        "token-vault: signed in through the authentication session (subject present: {}) in {} ms",
        claims.is_some(),
        started.elapsed().as_millis()
    );
    Ok(SignedIn { tokens, claims })
}

/// Whether `got` is `redirect_uri` (scheme, host, port and path; its query is the response).
/// Custom schemes compare case-insensitively (RFC 3986 §3.1), which `Url` already lowercases.
fn same_endpoint(got: &Url, redirect_uri: &Url) -> bool {
    got.scheme() == redirect_uri.scheme()
        && got.host_str() == redirect_uri.host_str()
        && got.port_or_known_default() == redirect_uri.port_or_known_default()
        && got.path() == redirect_uri.path()
}

/// Signs in with the device authorization grant (RFC 8628), for hosts without a usable browser:
/// `show` gets the user code and verification URI as soon as the provider issued them; the
/// sign-in then polls until the user approved on another device. `cancel` ends it with
/// `login_cancelled`; the codes' expiry with `login_timed_out`; the user's refusal with
/// `authorization_denied`.
pub async fn sign_in_with_device_code(
    client: &OAuthClient,
    show: &(dyn Fn(&DeviceAuthorization) + Send + Sync),
    extra: &BTreeMap<String, String>,
    cancel: CancellationToken,
) -> Result<SignedIn> {
    let started = Instant::now();
    let authorization = tokio::select! {
        r = client.device_authorization(extra) => r?,
        _ = cancel.cancelled() => return Err(Error::LoginCancelled),
    };
    show(&authorization);
    let dpop = client.new_dpop_key()?;
    let (tokens, claims) = tokio::select! {
        r = client.poll_device_token(&authorization, dpop.as_ref()) => r?,
        _ = cancel.cancelled() => return Err(Error::LoginCancelled),
    };
    log::debug!(
        "token-vault: signed in with a device code (subject present: {}) in {} ms",
        claims.is_some(),
        started.elapsed().as_millis()
    );
    Ok(SignedIn { tokens, claims })
}
