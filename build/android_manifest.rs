//! The redirect activity of the Android sign-in, written into the app's generated Android
//! manifest at build time from `plugins.token-vault.providers.<id>.mobile.redirectUri`.
//!
//! `build.rs` includes this file (`#[path]`) and hands [`plan`]'s block to
//! `tauri_plugin::mobile::update_android_manifest`, which keeps it between two
//! `<!-- TOKEN VAULT PLUGIN. AUTO-GENERATED. DO NOT REMOVE. -->` markers inside `<application>`
//! and replaces it on every build (so the app has nothing to remember and a changed redirect URI
//! follows). `tests/android_manifest.rs` includes it too and checks the blocks;
//! `scripts/mobile/check-android.sh` runs the real build script against a fake Android project.
//!
//! Only `serde_json` and `url` are used: they are both build and normal dependencies.

use std::collections::BTreeSet;

use serde_json::Value;
use url::Url;

/// The block identifier tauri's manifest writer puts in its markers.
pub const BLOCK_ID: &str = "TOKEN VAULT PLUGIN";
/// The element the block is inserted into (before its closing tag).
pub const PARENT_TAG: &str = "application";
/// The Kotlin activity that receives the redirect (`android/src/main/java/...`).
pub const REDIRECT_ACTIVITY: &str = "io.github.tokenvault.RedirectReceiverActivity";

/// What the build writes into the app manifest.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The block to put between the markers; `None`: leave the manifest alone.
    pub block: Option<String>,
    /// Redirect URIs that cannot get an intent filter (the runtime configuration check names
    /// the field and refuses them too); shown as cargo warnings.
    pub warnings: Vec<String>,
}

/// One intent filter: where Android delivers the redirect.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Filter {
    /// A private-use scheme (`com.example.app:/oauth/callback`). Android ignores `android:path`
    /// in a filter without a host, so the filter names the scheme only; the reverse-domain
    /// scheme belongs to the app, and the native side checks the path of what arrives.
    Scheme(String),
    /// A claimed `https` URL (App Links): host, port and path; verified against the site's
    /// `/.well-known/assetlinks.json` (`android:autoVerify`).
    Https {
        host: String,
        port: Option<u16>,
        path: String,
    },
}

/// The block for `config` (the plugin's configuration object, `None` when the build has none),
/// given the app manifest as it is now (`None` when there is none).
///
/// A configuration without any mobile redirect URI writes nothing, except that a block left by
/// an earlier build is replaced by a comment, so a removed redirect URI stops being routed to the
/// app.
pub fn plan(config: Option<&Value>, manifest: Option<&str>) -> Plan {
    let mut warnings = Vec::new();
    let mut filters = BTreeSet::new();
    let providers = config
        .and_then(|c| c.get("providers"))
        .and_then(Value::as_object);
    for (id, provider) in providers.into_iter().flatten() {
        let Some(uri) = provider
            .get("mobile")
            .and_then(|m| m.get("redirectUri"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        match filter(uri) {
            Ok(f) => {
                filters.insert(f);
            }
            Err(why) => warnings.push(format!(
                "providers.{id}.mobile.redirectUri: {why}; no Android intent filter written for it"
            )),
        }
    }
    let block = if !filters.is_empty() {
        Some(activity(&filters))
    } else if manifest.is_some_and(has_block) {
        Some("<!-- tauri-plugin-token-vault: no mobile.redirectUri configured -->".to_string())
    } else {
        None
    };
    Plan { block, warnings }
}

/// Whether tauri's markers for this block are in `manifest`.
fn has_block(manifest: &str) -> bool {
    manifest.contains(&format!("<!-- {BLOCK_ID}. "))
}

/// The intent filter for one redirect URI.
fn filter(uri: &str) -> Result<Filter, String> {
    let u = Url::parse(uri).map_err(|e| format!("not an absolute URL ({e})"))?;
    match u.scheme() {
        "https" => {
            let host = u
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or("an https redirect URI names the app's claimed host")?;
            Ok(Filter::Https {
                host: host.to_string(),
                port: u.port(),
                // Android matches `android:path` against the decoded path.
                path: percent_decode(u.path())?,
            })
        }
        "http" => Err("plain http is not a mobile redirect".into()),
        s if s.contains('.') => Ok(Filter::Scheme(s.to_string())),
        _ => Err("a custom scheme must be in reverse-domain form (`com.example.app:`)".into()),
    }
}

/// The redirect activity with one intent filter per redirect URI (one filter each: several
/// `<data>` elements in one filter would also match their cross-combinations).
fn activity(filters: &BTreeSet<Filter>) -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- tauri-plugin-token-vault: receives the sign-in redirect (mobile.redirectUri) -->\n",
    );
    out.push_str(&format!(
        "<activity\n    android:name=\"{REDIRECT_ACTIVITY}\"\n    android:exported=\"true\"\n    \
         android:theme=\"@android:style/Theme.Translucent.NoTitleBar\">\n"
    ));
    for f in filters {
        let (open, data) = match f {
            Filter::Scheme(scheme) => (
                "<intent-filter>".to_string(),
                format!("<data android:scheme=\"{}\" />", xml_escape(scheme)),
            ),
            Filter::Https { host, port, path } => (
                "<intent-filter android:autoVerify=\"true\">".to_string(),
                format!(
                    "<data android:scheme=\"https\" android:host=\"{}\"{} android:path=\"{}\" />",
                    xml_escape(host),
                    port.map(|p| format!(" android:port=\"{p}\""))
                        .unwrap_or_default(),
                    xml_escape(path)
                ),
            ),
        };
        out.push_str(&format!("    {open}\n"));
        out.push_str("        <action android:name=\"android.intent.action.VIEW\" />\n");
        out.push_str("        <category android:name=\"android.intent.category.DEFAULT\" />\n");
        out.push_str("        <category android:name=\"android.intent.category.BROWSABLE\" />\n");
        out.push_str(&format!("        {data}\n"));
        out.push_str("    </intent-filter>\n");
    }
    out.push_str("</activity>");
    out
}

/// `%XX` sequences decoded (the path is ASCII after `Url`'s encoding).
fn percent_decode(path: &str) -> Result<String, String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the path is not UTF-8 once decoded".to_string())
}

/// Text safe inside a double-quoted XML attribute.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
