//! Tauri commands: thin wrappers over [`crate::TokenVaultExt::token_vault`].

use std::collections::BTreeMap;

use tauri::{AppHandle, Runtime};

use crate::error::Result;
use crate::models::SessionInfo;
use crate::TokenVaultExt;

#[tauri::command]
pub(crate) async fn login<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionInfo> {
    app.token_vault()
        .login(&provider, extra_params.unwrap_or_default())
        .await
}

#[tauri::command]
pub(crate) fn cancel_login<R: Runtime>(app: AppHandle<R>, provider: String) -> bool {
    app.token_vault().cancel_login(&provider)
}
