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
    let mut allow = vec![issuer.origin().ascii_serialization()];
    allow.extend(bench::origin());
    let allow =
        Allowlist::parse(allow).expect("an https (or loopback) issuer is a valid allow-list entry");
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

/// A QR code of `text` (the device-code sign-in's verification URI) as SVG markup, for a phone
/// to scan. Only dark and light modules: no text of `text` ends up in the markup.
#[tauri::command]
fn qr_svg(text: String) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .build())
}

fn main() {
    let mut vault = Builder::new();
    if let Some(p) = provider_from_env() {
        vault = vault.provider(PROVIDER, p);
    }
    let mut context = tauri::generate_context!();
    let builder = bench::setup(tauri::Builder::default(), &mut context);
    builder
        .plugin(vault.build())
        .invoke_handler(bench::handler())
        .run(context)
        .expect("error while running the token-vault example");
}

/// The real-window benchmark's additions (feature `bench`, and `TOKEN_VAULT_BENCH_ORIGIN`
/// naming the bench server): nothing otherwise.
mod bench {
    use tauri::ipc::Invoke;
    use tauri::{Context, Wry};

    /// The bench server's origin (`http://127.0.0.1:<port>`), when benchmarking.
    pub fn origin() -> Option<String> {
        if cfg!(feature = "bench") {
            std::env::var("TOKEN_VAULT_BENCH_ORIGIN").ok()
        } else {
            None
        }
    }

    #[cfg(not(feature = "bench"))]
    pub fn setup(b: tauri::Builder<Wry>, _: &mut Context<Wry>) -> tauri::Builder<Wry> {
        b
    }

    #[cfg(not(feature = "bench"))]
    pub fn handler() -> impl Fn(Invoke<Wry>) -> bool + Send + Sync + 'static {
        tauri::generate_handler![super::api_url, super::qr_svg]
    }

    /// The webview may also reach the bench server itself (CSP `connect-src`), through the
    /// http plugin (a capability scoped to that origin), and read the token to add it by hand.
    #[cfg(feature = "bench")]
    pub fn setup(b: tauri::Builder<Wry>, context: &mut Context<Wry>) -> tauri::Builder<Wry> {
        let Some(origin) = origin() else { return b };
        use tauri::utils::config::Csp;
        if let Some(Csp::Policy(p)) = &context.config().app.security.csp {
            let p = p.replace("connect-src", &format!("connect-src {origin}"));
            context.config_mut().app.security.csp = Some(Csp::Policy(p));
        }
        b.plugin(tauri_plugin_http::init()).setup(move |app| {
            use tauri::Manager;
            app.add_capability(format!(
                r#"{{"identifier":"bench","windows":["main"],"permissions":["token-vault:allow-get-token",{{"identifier":"http:default","allow":[{{"url":"{origin}/*"}}]}}]}}"#
            ))?;
            Ok(())
        })
    }

    #[cfg(feature = "bench")]
    pub fn handler() -> impl Fn(Invoke<Wry>) -> bool + Send + Sync + 'static {
        tauri::generate_handler![
            super::api_url,
            super::qr_svg,
            legacy_fetch,
            bench_pid,
            bench_bytes
        ]
    }

    /// `n` bytes from memory as a raw IPC answer: the floor of any body crossing the IPC
    /// (no network, no token), the bench's `ipcFloor` column.
    #[cfg(feature = "bench")]
    #[tauri::command]
    async fn bench_bytes(n: usize) -> tauri::ipc::Response {
        tauri::ipc::Response::new(vec![0xa5; n])
    }

    /// The app's process id (the bench samples its memory).
    #[cfg(feature = "bench")]
    #[tauri::command]
    fn bench_pid() -> u32 {
        std::process::id()
    }

    /// `authFetch` as it was before bodies crossed the IPC as bytes (kept for the bench's
    /// before/after only): the request body as base64 in JSON, the response body as base64
    /// in JSON, buffered whole (at most `fetchMaxBodyBytes`).
    #[cfg(feature = "bench")]
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct LegacyArgs {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
    }

    #[cfg(feature = "bench")]
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct LegacyResult {
        status: u16,
        status_text: String,
        headers: Vec<(String, String)>,
        body: String,
        url: String,
    }

    #[cfg(feature = "bench")]
    #[tauri::command]
    async fn legacy_fetch(
        app: tauri::AppHandle,
        request: LegacyArgs,
    ) -> Result<LegacyResult, tauri_plugin_token_vault::Error> {
        use base64::Engine;
        use tauri_plugin_token_vault::{Error, FetchRequest, TokenVaultExt};
        let b64 = base64::engine::general_purpose::STANDARD;
        let url =
            url::Url::parse(&request.url).map_err(|e| Error::FetchInvalidRequest(e.to_string()))?;
        let mut r = FetchRequest::get(url);
        r.method = request.method;
        r.headers = request.headers;
        r.body = match request.body {
            Some(b) => Some(
                b64.decode(b)
                    .map_err(|e| Error::FetchInvalidRequest(e.to_string()))?,
            ),
            None => None,
        };
        let res = app
            .token_vault()
            .fetch(Some(super::PROVIDER), "default", r)
            .await?;
        Ok(LegacyResult {
            status: res.status,
            status_text: res.status_text,
            headers: res.headers,
            body: b64.encode(&res.body),
            url: res.url.to_string(),
        })
    }
}
