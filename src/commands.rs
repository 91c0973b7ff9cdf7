//! Tauri commands: thin wrappers over [`crate::TokenVaultExt::token_vault`].

use std::collections::BTreeMap;

use tauri::{AppHandle, Runtime};

use crate::error::Result;
use crate::session::SessionStatus;
use crate::TokenVaultExt;

/// The account used when a command names none.
pub const DEFAULT_ACCOUNT: &str = "default";

#[tauri::command]
pub(crate) async fn login<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionStatus> {
    let account = account.as_deref().unwrap_or(DEFAULT_ACCOUNT);
    app.token_vault()
        .login(&provider, account, extra_params.unwrap_or_default())
        .await
}

#[tauri::command]
pub(crate) fn cancel_login<R: Runtime>(app: AppHandle<R>, provider: String) -> bool {
    app.token_vault().cancel_login(&provider)
}
