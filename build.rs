#[path = "build/android_manifest.rs"]
mod android_manifest;

const COMMANDS: &[&str] = &[
    "login",
    "login_device_code",
    "logout",
    "session",
    "sessions",
    "refresh",
    "cancel_login",
    "get_token",
    "fetch",
];

/// The plugin's name in `plugins.<name>` of tauri.conf.json.
const PLUGIN_NAME: &str = "token-vault";

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        // Injected by Tauri when the app sets `withGlobalTauri`: `window.__TAURI_PLUGIN_TOKEN_VAULT__`.
        .global_api_script_path("./api-iife.js")
        .android_path("android")
        .ios_path("ios")
        .build();
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("android") {
        android_redirect_activity();
    }
}

/// Declares the redirect activity, with an intent filter per configured `mobile.redirectUri`,
/// in the app's generated manifest. The Tauri CLI sets `TAURI_ANDROID_PROJECT_PATH` (the
/// `gen/android` project) and passes `plugins.token-vault` as `TAURI_TOKEN_VAULT_PLUGIN_CONFIG`;
/// a plain `cargo build` has neither and writes nothing.
fn android_redirect_activity() {
    // Rerun when either appears or changes (`plugin_config` only tracks a variable that is set).
    println!("cargo:rerun-if-env-changed=TAURI_ANDROID_PROJECT_PATH");
    println!("cargo:rerun-if-env-changed=TAURI_TOKEN_VAULT_PLUGIN_CONFIG");
    let Some(project) = std::env::var_os("TAURI_ANDROID_PROJECT_PATH") else {
        return;
    };
    // The file tauri's writer edits; when it is regenerated (`tauri android init`) or edited by
    // hand, the next build puts the block back.
    let manifest = std::path::Path::new(&project).join("app/src/main/AndroidManifest.xml");
    let current = std::fs::read_to_string(&manifest).ok();
    if current.is_some() {
        println!("cargo:rerun-if-changed={}", manifest.display());
    }
    let config = tauri_plugin::plugin_config::<serde_json::Value>(PLUGIN_NAME);
    let plan = android_manifest::plan(config.as_ref(), current.as_deref());
    for warning in &plan.warnings {
        println!("cargo:warning={warning}");
    }
    if let Some(block) = plan.block {
        tauri_plugin::mobile::update_android_manifest(
            android_manifest::BLOCK_ID,
            android_manifest::PARENT_TAG,
            block,
        )
        .expect("writing the token-vault redirect activity into the app's AndroidManifest.xml");
    }
}
