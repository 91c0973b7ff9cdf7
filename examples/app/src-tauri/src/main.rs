//! Example app for tauri-plugin-token-vault.
//!
//! The provider `demo` comes from `tauri.conf.json`; `TOKEN_VAULT_ISSUER`,
//! `TOKEN_VAULT_CLIENT_ID`, `TOKEN_VAULT_SCOPE` and `TOKEN_VAULT_CA_CERT` replace it, so the
//! app can be pointed at any provider (the demo and E2E commands point it at the bundled one).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri_plugin_token_vault::{Allowlist, Builder, ProviderConfig, TokenVaultExt};

const PROVIDER: &str = "demo";

/// The provider from the environment, when `TOKEN_VAULT_ISSUER` is set.
fn provider_from_env() -> Option<ProviderConfig> {
    let issuer = std::env::var("TOKEN_VAULT_ISSUER").ok()?;
    let issuer =
        url::Url::parse(&issuer).unwrap_or_else(|e| panic!("TOKEN_VAULT_ISSUER `{issuer}`: {e}"));
    let client_id = std::env::var("TOKEN_VAULT_CLIENT_ID")
        .unwrap_or_else(|_| panic!("TOKEN_VAULT_CLIENT_ID must be set with TOKEN_VAULT_ISSUER"));
    let scopes = std::env::var("TOKEN_VAULT_SCOPE")
        .unwrap_or_else(|_| "openid profile email offline_access".into());
    let allow = Allowlist::parse([issuer.origin().ascii_serialization()])
        .expect("an https (or loopback) issuer is a valid allow-list entry");
    Some(
        ProviderConfig::new(issuer, client_id)
            .scopes(scopes.split_whitespace())
            .ca_certificates(std::env::var("TOKEN_VAULT_CA_CERT").ok())
            .fetch_allowlist(allow),
    )
}

/// The protected API the page calls through `authFetch`: the provider's userinfo endpoint.
#[tauri::command]
async fn api_url(app: tauri::AppHandle) -> Result<String, tauri_plugin_token_vault::Error> {
    app.token_vault()
        .session_manager()
        .userinfo_endpoint(PROVIDER)
        .await?
        .as_ref()
        .map(|u| u.to_string())
        .ok_or_else(|| {
            tauri_plugin_token_vault::Error::Unsupported(
                "the provider has no userinfo endpoint".into(),
            )
        })
}

fn main() {
    let mut vault = Builder::new();
    if let Some(p) = provider_from_env() {
        vault = vault.provider(PROVIDER, p);
    }
    tauri::Builder::default()
        .plugin(vault.build())
        .invoke_handler(tauri::generate_handler![api_url])
        .run(tauri::generate_context!())
        .expect("error while running the token-vault example");
}
