//! Example app for tauri-plugin-token-vault.
//!
//! The provider `demo` comes from `tauri.conf.json`; `TOKEN_VAULT_ISSUER`,
//! `TOKEN_VAULT_CLIENT_ID`, `TOKEN_VAULT_SCOPE` and `TOKEN_VAULT_CA_CERT` replace it, so the
//! app can be pointed at any provider (the demo and E2E commands point it at the bundled one).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri_plugin_token_vault::{Builder, ProviderConfig, TokenVaultExt};

const PROVIDER: &str = "demo";

/// The provider from the environment, when `TOKEN_VAULT_ISSUER` is set.
fn provider_from_env() -> Option<ProviderConfig> {
    let issuer = std::env::var("TOKEN_VAULT_ISSUER").ok()?;
    let issuer =
        url::Url::parse(&issuer).unwrap_or_else(|e| panic!("TOKEN_VAULT_ISSUER `{issuer}`: {e}"));
    let client_id = std::env::var("TOKEN_VAULT_CLIENT_ID")
        .unwrap_or_else(|_| panic!("TOKEN_VAULT_CLIENT_ID must be set with TOKEN_VAULT_ISSUER"));
    let mut p = ProviderConfig::new(issuer.clone(), client_id);
    p.scopes = std::env::var("TOKEN_VAULT_SCOPE")
        .unwrap_or_else(|_| "openid profile email offline_access".into())
        .split_whitespace()
        .map(String::from)
        .collect();
    p.ca_certificates = std::env::var("TOKEN_VAULT_CA_CERT")
        .ok()
        .into_iter()
        .collect();
    p.fetch_allowlist = vec![issuer.origin().ascii_serialization()];
    Some(p)
}

/// The protected API the page calls through `authFetch`: the provider's userinfo endpoint.
#[tauri::command]
async fn api_url(app: tauri::AppHandle) -> Result<String, tauri_plugin_token_vault::Error> {
    let client = app.token_vault().session_manager().client(PROVIDER).await?;
    client
        .metadata()
        .userinfo_endpoint
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
