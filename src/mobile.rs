//! The native halves on iOS and Android: registering the plugin's Swift / Kotlin class, and the
//! [`AuthSession`] that calls its `authorize` command. The native code only presents the
//! platform sign-in surface (`ASWebAuthenticationSession`, Custom Tabs) and answers the
//! redirect URL or a rejection with one of this crate's stable error codes; the protocol stays
//! in Rust.
//!
//! Names shared with the native sources (checked by `tests/mobile_contract.rs`): the Android
//! package [`ANDROID_PACKAGE`] and class [`NATIVE_CLASS`], the Swift `@_cdecl` symbol
//! `init_plugin_token_vault`, the command [`AUTHORIZE_COMMAND`] and its argument and result
//! fields.

use serde::{Deserialize, Serialize};
use tauri::plugin::mobile::PluginInvokeError;
use tauri::plugin::{PluginApi, PluginHandle};
use tauri::Runtime;
use url::Url;

use crate::error::{Error, Result};
use crate::redirect::native::{AuthSession, AuthSessionFuture, AuthSessionRequest};

/// The Android package of the plugin's Kotlin class.
pub(crate) const ANDROID_PACKAGE: &str = "io.github.tokenvault";
/// The plugin's Kotlin and Swift class.
#[cfg_attr(target_os = "ios", allow(dead_code))]
pub(crate) const NATIVE_CLASS: &str = "TokenVaultPlugin";
/// The native command that runs one authentication session.
pub(crate) const AUTHORIZE_COMMAND: &str = "authorize";

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_token_vault);

/// The arguments of the native `authorize` command.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizeArgs<'a> {
    /// The authorization URL.
    url: &'a str,
    /// The redirect URI: a custom scheme (`com.example.app:/oauth/callback`) or `https`.
    redirect_uri: &'a str,
    /// iOS `prefersEphemeralWebBrowserSession`.
    ephemeral: bool,
}

/// The answer of the native `authorize` command.
#[derive(Deserialize)]
struct AuthorizeResult {
    /// The URL the provider redirected to, with its query.
    url: String,
}

/// The plugin's native authentication session on iOS and Android.
pub(crate) struct NativeAuthSession<R: Runtime>(PluginHandle<R>);

/// Registers the native plugin class.
pub(crate) fn register<R: Runtime, C: serde::de::DeserializeOwned>(
    api: &PluginApi<R, C>,
) -> Result<NativeAuthSession<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin(ANDROID_PACKAGE, NATIVE_CLASS);
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_token_vault);
    handle
        .map(NativeAuthSession)
        .map_err(|e| Error::Internal(format!("registering the native plugin: {e}")))
}

impl<R: Runtime> AuthSession for NativeAuthSession<R> {
    fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a> {
        Box::pin(async move {
            let args = AuthorizeArgs {
                url: request.url.as_str(),
                redirect_uri: request.redirect_uri.as_str(),
                ephemeral: request.ephemeral,
            };
            let answer: AuthorizeResult = self
                .0
                .run_mobile_plugin_async(AUTHORIZE_COMMAND, args)
                .await
                .map_err(from_native)?;
            Url::parse(&answer.url).map_err(|e| {
                Error::InvalidAuthorizationResponse(format!(
                    "the authentication session answered a URL that does not parse: {e}"
                ))
            })
        })
    }
}

/// A native rejection as this crate's error: the native code rejects with one of the stable
/// codes; anything else (a JNI failure, an unknown code) is `browser_open_failed` with the
/// native message, which never holds a URL.
fn from_native(e: PluginInvokeError) -> Error {
    match e {
        PluginInvokeError::InvokeRejected(r) => {
            let message = r.message.unwrap_or_default();
            match r.code.as_deref() {
                Some("login_cancelled") => Error::LoginCancelled,
                Some("login_in_progress") => Error::LoginInProgress(message),
                Some("unsupported") => Error::Unsupported(message),
                _ => Error::BrowserOpenFailed(message),
            }
        }
        other => Error::BrowserOpenFailed(other.to_string()),
    }
}
