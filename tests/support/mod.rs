//! The test bed: a real OpenID provider (panva `oidc-provider`, `tests/idp/`) over TLS on
//! 127.0.0.1, started per test with its own certificate, keys and port, and the headless
//! browser stand-in (`tests/support/browser-standin.mjs`) as `$BROWSER`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::Duration;

use tauri_plugin_token_vault::ProviderConfig;
use url::Url;

/// Public native client of the test provider.
pub const NATIVE_CLIENT: &str = "tv-native";
/// Confidential client (like Google's desktop clients) and its secret.
pub const CONFIDENTIAL_CLIENT: &str = "tv-confidential";
/// Its secret.
pub const CONFIDENTIAL_SECRET: &str = "tv-not-so-secret";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static NPM: Mutex<()> = Mutex::new(());
static BROWSER: Once = Once::new();

/// Installs the provider's npm packages (pinned by `tests/idp/package-lock.json`) if missing.
fn ensure_node_modules() {
    let _guard = NPM.lock().unwrap_or_else(|e| e.into_inner());
    let idp = root().join("tests/idp");
    if idp.join("node_modules/oidc-provider/package.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&idp)
        .status()
        .expect("npm must be installed (the test command installs it)");
    assert!(status.success(), "npm ci in tests/idp failed");
}

/// Points `$BROWSER` at the headless stand-in. The test command sets it already; setting it
/// here keeps `cargo test` alone working (it happens once, before any sign-in opens a browser).
pub fn use_browser_standin() {
    BROWSER.call_once(|| {
        let standin = root().join("tests/support/browser-standin.mjs");
        if std::env::var_os("BROWSER").map(PathBuf::from).as_deref() != Some(standin.as_path()) {
            std::env::set_var("BROWSER", &standin);
        }
    });
}

/// A running test provider; stopped on drop.
pub struct Idp {
    child: Child,
    pub issuer: Url,
    pub ca_cert: PathBuf,
    pub signing_keys: PathBuf,
    _dir: tempfile::TempDir,
}

impl Idp {
    /// Starts a provider with default TTLs.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a provider with extra environment (`IDP_ACCESS_TTL`…).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        ensure_node_modules();
        use_browser_standin();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new("node")
            .arg(root().join("tests/idp/server.mjs"))
            .env("IDP_STATE_DIR", dir.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed (the test command installs it)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) if !l.trim().is_empty() => l,
            _ => {
                let _ = child.kill();
                panic!(
                    "the test provider did not start (run `node tests/idp/server.mjs` to see why)"
                );
            }
        };
        let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
        Idp {
            child,
            issuer: Url::parse(ready["issuer"].as_str().unwrap()).unwrap(),
            ca_cert: PathBuf::from(ready["caCert"].as_str().unwrap()),
            signing_keys: PathBuf::from(ready["signingKeys"].as_str().unwrap()),
            _dir: dir,
        }
    }

    /// A provider configuration for the public native client, trusting this provider's CA.
    pub fn provider(&self) -> ProviderConfig {
        let mut p = ProviderConfig::new(self.issuer.clone(), NATIVE_CLIENT);
        p.scopes = ["openid", "offline_access", "profile", "email"]
            .map(String::from)
            .to_vec();
        p.ca_certificates = vec![self.ca_cert.display().to_string()];
        p
    }

    /// A URL on this provider.
    pub fn url(&self, path: &str) -> Url {
        self.issuer.join(path).unwrap()
    }

    /// An HTTP client trusting this provider.
    pub fn http(&self) -> tauri_plugin_token_vault::oauth::http::HttpClient {
        let pem = std::fs::read(&self.ca_cert).unwrap();
        tauri_plugin_token_vault::oauth::http::HttpClient::new(Duration::from_secs(10), &[pem])
            .unwrap()
    }

    /// Request counters kept by the provider (`/__test/stats`).
    pub async fn stats(&self) -> serde_json::Value {
        self.http()
            .get_json::<serde_json::Value>(&self.url("/__test/stats"))
            .await
            .unwrap()
            .unwrap()
    }

    /// The provider's private signing keys: `(kid, alg, pkcs8 PEM)`.
    pub fn signing_keys(&self) -> Vec<(String, String, String)> {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.signing_keys).unwrap()).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["kid"].as_str().unwrap().to_string(),
                    k["alg"].as_str().unwrap().to_string(),
                    k["privatePem"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
