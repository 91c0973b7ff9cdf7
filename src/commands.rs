//! Tauri commands: thin wrappers over [`crate::TokenVaultExt::token_vault`]. Errors reach page
//! script as `{ code, message }`.

use std::collections::BTreeMap;
use std::time::Duration;

use tauri::{AppHandle, Runtime};

use crate::error::Result;
#[cfg(feature = "fetch")]
use crate::fetch::FetchRequest;
#[cfg(feature = "fetch")]
use crate::models::{FetchArgs, FetchResult};
use crate::models::{LogoutResult, SessionStatus};
use crate::TokenVaultExt;

/// The account used when a command (or page script) names none.
pub const DEFAULT_ACCOUNT: &str = "default";

fn account(a: &Option<String>) -> &str {
    a.as_deref().unwrap_or(DEFAULT_ACCOUNT)
}

#[tauri::command]
pub(crate) async fn login<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionStatus> {
    let vault = app.token_vault();
    vault
        .login(
            &provider,
            self::account(&account),
            extra_params.unwrap_or_default(),
        )
        .await
}

/// Signs in with the device authorization grant; the user code arrives as the
/// `token-vault://device-code` event. `cancel_login` cancels it like any sign-in.
#[tauri::command]
pub(crate) async fn login_device_code<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionStatus> {
    app.token_vault()
        .login_with_device_code(
            &provider,
            self::account(&account),
            extra_params.unwrap_or_default(),
        )
        .await
}

#[tauri::command]
pub(crate) fn cancel_login<R: Runtime>(app: AppHandle<R>, provider: String) -> bool {
    app.token_vault().cancel_login(&provider)
}

#[tauri::command]
pub(crate) async fn logout<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<LogoutResult> {
    app.token_vault()
        .logout(&provider, self::account(&account))
        .await
}

#[tauri::command]
pub(crate) async fn session<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<SessionStatus> {
    app.token_vault()
        .session(&provider, self::account(&account))
        .await
}

#[tauri::command]
pub(crate) async fn sessions<R: Runtime>(app: AppHandle<R>) -> Result<Vec<SessionStatus>> {
    app.token_vault().sessions().await
}

#[tauri::command]
pub(crate) async fn refresh<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<SessionStatus> {
    app.token_vault()
        .refresh(&provider, self::account(&account))
        .await
}

#[tauri::command]
pub(crate) async fn get_token<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    min_ttl_secs: Option<u64>,
) -> Result<String> {
    let ttl = Duration::from_secs(min_ttl_secs.unwrap_or(0));
    app.token_vault()
        .get_token(&provider, self::account(&account), ttl)
        .await
}

#[cfg(feature = "fetch")]
#[tauri::command]
pub(crate) async fn fetch<R: Runtime>(
    app: AppHandle<R>,
    provider: Option<String>,
    account: Option<String>,
    request: FetchArgs,
) -> Result<FetchResult> {
    let request = FetchRequest::try_from(request)?;
    app.token_vault()
        .fetch(provider.as_deref(), self::account(&account), request)
        .await
        .map(FetchResult::from)
}

/// Without the `fetch` feature the command exists (the permission files list it) and answers
/// `unsupported`.
#[cfg(not(feature = "fetch"))]
#[tauri::command]
pub(crate) async fn fetch() -> Result<()> {
    Err(crate::Error::Unsupported(
        "authFetch (this app was built without the plugin's `fetch` feature)".into(),
    ))
}
