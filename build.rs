const COMMANDS: &[&str] = &[
    "login",
    "logout",
    "session",
    "sessions",
    "refresh",
    "cancel_login",
    "get_token",
    "fetch",
];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        // Injected by Tauri when the app sets `withGlobalTauri`: `window.__TAURI_PLUGIN_TOKEN_VAULT__`.
        .global_api_script_path("./api-iife.js")
        .android_path("android")
        .ios_path("ios")
        .build();
}
