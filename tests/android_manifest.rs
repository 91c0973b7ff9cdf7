//! The Android redirect activity written into the app's manifest at build time
//! (`build/android_manifest.rs`, included here as it is in `build.rs`), and the names the
//! Android sources, the manifest rules and the Rust side must agree on.
//!
//! The block goes through `tauri_plugin::mobile::update_android_manifest`, a build-time-only API
//! (a dev-dependency on it would rebuild tauri for every test run with other features), so the
//! writing itself — into a fake Android project, exactly once, byte-identical on a rerun,
//! nothing without redirect URIs, a stale block dropped — is checked through the real build
//! script by `scripts/mobile/check-android.sh`.

#[path = "../build/android_manifest.rs"]
mod android_manifest;

use android_manifest::{plan, Plan, BLOCK_ID, PARENT_TAG, REDIRECT_ACTIVITY};
use serde_json::{json, Value};

fn providers(uris: &[(&str, &str)]) -> Value {
    let mut providers = serde_json::Map::new();
    for (id, uri) in uris {
        providers.insert(
            id.to_string(),
            json!({"issuer": "https://id.example.com", "clientId": "c", "mobile": {"redirectUri": uri}}),
        );
    }
    json!({ "providers": providers })
}

fn block(config: &Value) -> String {
    let p = plan(Some(config), None);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    p.block.expect("a block")
}

fn source(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_custom_scheme_gets_one_exported_activity_with_one_scheme_filter() {
    let b = block(&providers(&[("p", "com.example.app:/oauth/callback")]));
    assert_eq!(b.matches("<activity").count(), 1);
    assert!(b.contains(&format!("android:name=\"{REDIRECT_ACTIVITY}\"")));
    assert!(b.contains("android:exported=\"true\""));
    assert_eq!(b.matches("<intent-filter>").count(), 1);
    assert!(b.contains("<data android:scheme=\"com.example.app\" />"));
    for line in [
        "<action android:name=\"android.intent.action.VIEW\" />",
        "<category android:name=\"android.intent.category.DEFAULT\" />",
        "<category android:name=\"android.intent.category.BROWSABLE\" />",
    ] {
        assert_eq!(b.matches(line).count(), 1, "{line}");
    }
    // Android ignores a path without a host: the filter names the scheme alone and the Kotlin
    // side compares the path; a custom scheme is never verified.
    assert!(!b.contains("android:path"));
    assert!(!b.contains("autoVerify"));
}

#[test]
fn a_claimed_https_url_is_auto_verified_with_host_port_and_decoded_path() {
    let b = block(&providers(&[(
        "p",
        "https://app.example.com:8443/oauth/call%20back&x",
    )]));
    assert_eq!(
        b.matches("<intent-filter android:autoVerify=\"true\">")
            .count(),
        1
    );
    assert!(b.contains(
        "<data android:scheme=\"https\" android:host=\"app.example.com\" android:port=\"8443\" \
         android:path=\"/oauth/call back&amp;x\" />"
    ));
    let plain = block(&providers(&[("p", "https://app.example.com/cb")]));
    assert!(plain.contains(
        "<data android:scheme=\"https\" android:host=\"app.example.com\" android:path=\"/cb\" />"
    ));
}

#[test]
fn one_filter_per_distinct_redirect_uri_in_a_stable_order() {
    let config = providers(&[
        ("a", "com.example.app:/oauth/callback"),
        ("b", "https://app.example.com/cb"),
        // Same scheme, other path: the scheme filter already covers it.
        ("c", "com.example.app:/other"),
        ("d", "https://app.example.com/cb"),
    ]);
    let b = block(&config);
    assert_eq!(b.matches("<activity").count(), 1);
    assert_eq!(b.matches("<intent-filter").count(), 2, "{b}");
    // serde_json's map is sorted, and the filters are too: the same configuration always
    // gives the same bytes.
    assert_eq!(b, block(&config));
}

#[test]
fn configurations_without_a_mobile_redirect_uri_write_nothing() {
    for config in [
        None,
        Some(json!({})),
        Some(json!({"providers": {}})),
        Some(json!({"providers": {"p": {"issuer": "https://id.example.com", "clientId": "c"}}})),
        Some(json!({"providers": {"p": {"clientId": "c", "mobile": {"ephemeralSession": true}}}})),
    ] {
        let manifest = "<manifest>\n    <application>\n    </application>\n</manifest>\n";
        assert_eq!(
            plan(config.as_ref(), Some(manifest)),
            Plan::default(),
            "{config:?}"
        );
        assert_eq!(plan(config.as_ref(), None), Plan::default(), "{config:?}");
    }
}

#[test]
fn a_block_left_by_an_earlier_build_is_emptied_when_the_redirect_uris_are_gone() {
    let manifest = format!(
        "<application>\n<!-- {BLOCK_ID}. AUTO-GENERATED. DO NOT REMOVE. -->\n<activity />\n\
         <!-- {BLOCK_ID}. AUTO-GENERATED. DO NOT REMOVE. -->\n</application>"
    );
    let p = plan(Some(&json!({"providers": {}})), Some(&manifest));
    let b = p.block.expect("a replacement block");
    assert!(b.starts_with("<!--") && b.ends_with("-->"), "{b}");
    assert!(!b.contains("<activity"));
}

#[test]
fn unusable_redirect_uris_are_warned_about_by_field_and_get_no_filter() {
    let config = providers(&[
        ("plain", "http://app.example.com/cb"),
        ("short", "myapp:/cb"),
        ("junk", "not a url"),
        ("ok", "com.example.app:/cb"),
    ]);
    let p = plan(Some(&config), None);
    assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
    for id in ["plain", "short", "junk"] {
        let field = format!("providers.{id}.mobile.redirectUri");
        assert!(p.warnings.iter().any(|w| w.starts_with(&field)), "{id}");
    }
    let b = p.block.expect("the valid one still gets its filter");
    assert_eq!(b.matches("<intent-filter").count(), 1);
}

#[test]
fn the_block_is_well_formed_for_tauris_line_based_writer() {
    let b = block(&providers(&[
        ("a", "com.example.app:/cb"),
        ("b", "https://app.example.com/cb"),
    ]));
    // tauri's writer indents every line and matches its markers line by line: the block must
    // not contain them, nor the closing tag it inserts before.
    assert!(!b.contains(BLOCK_ID));
    assert!(!b.contains(&format!("</{PARENT_TAG}>")));
    assert!(!b.contains("\r"));
    // Balanced elements (a cheap well-formedness check without an XML parser).
    assert_eq!(
        b.matches("<intent-filter").count(),
        b.matches("</intent-filter>").count()
    );
    assert_eq!(
        b.matches("<activity").count(),
        b.matches("</activity>").count()
    );
}

#[test]
fn the_kotlin_sources_define_the_activities_the_manifests_name() {
    let (package, class) = REDIRECT_ACTIVITY.rsplit_once('.').unwrap();
    let dir = format!("android/src/main/java/{}", package.replace('.', "/"));
    let redirect = source(&format!("{dir}/{class}.kt"));
    assert!(redirect.contains(&format!("package {package}\n")));
    assert!(redirect.contains(&format!("class {class} : Activity()")));
    let management = source(&format!("{dir}/AuthorizationManagementActivity.kt"));
    assert!(management.contains("class AuthorizationManagementActivity : Activity()"));
    let library_manifest = source("android/src/main/AndroidManifest.xml");
    assert!(library_manifest.contains(&format!(
        "android:name=\"{package}.AuthorizationManagementActivity\""
    )));
    // The library does not declare the redirect activity: its only declaration is the one the
    // build writes into the app's manifest, with the intent filters (a second one would have
    // to agree attribute by attribute in the manifest merger).
    assert!(!library_manifest.contains(&format!("android:name=\"{REDIRECT_ACTIVITY}\"")));
}

#[test]
fn the_kotlin_rejections_use_the_codes_the_rust_side_maps() {
    let codes = source("android/src/main/java/io/github/tokenvault/ErrorCodes.kt");
    let mobile = source("src/mobile.rs");
    for code in [
        "login_cancelled",
        "login_in_progress",
        "browser_open_failed",
    ] {
        assert!(
            codes.contains(&format!("= \"{code}\"")),
            "{code} in ErrorCodes.kt"
        );
    }
    // browser_open_failed is the Rust side's fallback arm, the other two are matched by name.
    for code in ["login_cancelled", "login_in_progress"] {
        assert!(
            mobile.contains(&format!("Some(\"{code}\")")),
            "{code} in src/mobile.rs"
        );
    }
    assert!(mobile.contains("_ => Error::BrowserOpenFailed(message)"));
}

#[test]
fn auto_backup_and_device_transfer_skip_the_android_stores_file() {
    // The store's SharedPreferences file is `keyring-<name>` (android-native-keyring-store).
    let vault = source("src/vault/mod.rs");
    let name = "token-vault";
    assert!(vault.contains(&format!("const STORE_NAME: &str = \"{name}\";")));
    let exclude = format!("<exclude domain=\"sharedpref\" path=\"keyring-{name}.xml\" />");
    let full = source("android/src/main/res/xml/tauri_plugin_token_vault_backup_rules.xml");
    assert_eq!(full.matches(&exclude).count(), 1);
    assert!(
        !full.contains("<include"),
        "an <include> would stop backing up the rest"
    );
    let extraction =
        source("android/src/main/res/xml/tauri_plugin_token_vault_data_extraction_rules.xml");
    assert_eq!(
        extraction.matches(&exclude).count(),
        2,
        "cloud-backup and device-transfer"
    );
    assert!(!extraction.contains("<include"));
    let manifest = source("android/src/main/AndroidManifest.xml");
    assert!(manifest
        .contains("android:fullBackupContent=\"@xml/tauri_plugin_token_vault_backup_rules\""));
    assert!(manifest.contains(
        "android:dataExtractionRules=\"@xml/tauri_plugin_token_vault_data_extraction_rules\""
    ));
}
