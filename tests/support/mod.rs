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
        ProviderConfig::new(self.issuer.clone(), NATIVE_CLIENT)
            .scopes(["openid", "offline_access", "profile", "email"])
            .ca_certificates([self.ca_cert.display().to_string()])
    }

    /// A URL on this provider.
    pub fn url(&self, path: &str) -> Url {
        self.issuer.join(path).unwrap()
    }

    /// An HTTP client trusting this provider.
    pub fn http(&self) -> tauri_plugin_token_vault::testing::HttpClient {
        let pem = std::fs::read(&self.ca_cert).unwrap();
        tauri_plugin_token_vault::testing::HttpClient::new(Duration::from_secs(10), &[pem]).unwrap()
    }

    /// Request counters kept by the provider (`/__test/stats`).
    pub async fn stats(&self) -> serde_json::Value {
        self.http()
            .get_json::<serde_json::Value>(&self.url("/__test/stats"))
            .await
            .unwrap()
            .unwrap()
    }

    /// Every token-endpoint exchange the provider recorded (started with `IDP_RECORD_TOKENS=1`):
    /// grant type, status, the code, verifier and refresh token presented, the tokens issued.
    pub async fn token_exchanges(&self) -> Vec<serde_json::Value> {
        self.http()
            .get_json::<Vec<serde_json::Value>>(&self.url("/__test/token-exchanges"))
            .await
            .unwrap()
            .expect("the provider records exchanges (IDP_RECORD_TOKENS=1)")
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

/// Introspection client allowed to see every client's tokens.
pub const INTROSPECTOR: (&str, &str) = ("tv-introspector", "introspector-secret");

impl Idp {
    fn reqwest(&self) -> oauth2::reqwest::Client {
        let pem = std::fs::read(&self.ca_cert).unwrap();
        oauth2::reqwest::Client::builder()
            .add_root_certificate(oauth2::reqwest::Certificate::from_pem(&pem).unwrap())
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Whether the provider says `token` is active (RFC 7662, as the introspector client).
    pub async fn is_active(&self, token: &str) -> bool {
        let v = self.introspect(token).await;
        v["active"]
            .as_bool()
            .unwrap_or_else(|| panic!("introspection answered {v}"))
    }

    /// The provider's RFC 7662 introspection of `token` (as the introspector client).
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let body = self
            .reqwest()
            .post(self.url("/token/introspection"))
            .basic_auth(INTROSPECTOR.0, Some(INTROSPECTOR.1))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Revokes `token` at the provider as the public native client (RFC 7009).
    pub async fn revoke(&self, token: &str, hint: &str) {
        let status = self
            .reqwest()
            .post(self.url("/token/revocation"))
            .form(&[
                ("token", token),
                ("token_type_hint", hint),
                ("client_id", NATIVE_CLIENT),
            ])
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "revocation answered {status}");
    }

    /// Freezes the provider process (connections hang: a provider that does not answer).
    pub fn pause(&self) {
        signal(self.child.id(), "-STOP");
    }

    /// Lets a paused provider run again.
    pub fn resume(&self) {
        signal(self.child.id(), "-CONT");
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// The Secret Service must be there: the test command provides a private, unlocked one.
pub fn require_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the tests through scripts/test.sh (or scripts/with-keyring.sh cargo test)"
    );
}

/// A service name no other test (or person) uses, so tests never collide in a real keyring.
pub fn unique_service(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("tv-test-{test}-{}-{nanos}", std::process::id())
}

/// One test's bed: a provider started for it, a Secret Service namespace of its own (tests never
/// share stored sessions), and a scratch directory: the managers' lock files (`locks/`) and
/// whatever else the test keeps there. Test files add what only they need in `impl Bed` blocks
/// of their own.
pub struct Bed {
    pub idp: Idp,
    pub service: String,
    pub dir: tempfile::TempDir,
}

impl Bed {
    /// Needs the Secret Service ([`require_secret_service`]); `idp_env` is the provider's
    /// environment (`IDP_*` switches of `tests/idp/server.mjs`).
    pub fn new(test: &str, idp_env: &[(&str, &str)]) -> Self {
        require_secret_service();
        Bed {
            idp: Idp::start_with(idp_env),
            service: unique_service(test),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The lock directory every manager of the bed uses, as one app's processes do.
    pub fn locks(&self) -> PathBuf {
        self.dir.path().join("locks")
    }

    /// A manager as a newly launched app builds it, with `config` as provider `provider`.
    pub fn manager_for(
        &self,
        provider: &str,
        config: ProviderConfig,
    ) -> tauri_plugin_token_vault::SessionManager {
        tauri_plugin_token_vault::SessionManager::new(
            &self.service,
            std::collections::HashMap::from([(provider.to_string(), config)]),
        )
        .with_lock_dir(self.locks())
    }

    /// The platform store (the Secret Service) under the bed's service name.
    pub fn vault(&self) -> tauri_plugin_token_vault::testing::Vault {
        tauri_plugin_token_vault::testing::Vault::platform(&self.service).unwrap()
    }

    /// The record stored for `provider`/`account`, if any.
    pub fn record_of(
        &self,
        provider: &str,
        account: &str,
    ) -> Option<tauri_plugin_token_vault::testing::Record> {
        self.vault().load_record(provider, account).unwrap()
    }
}

/// The `cli` example binary, (re)built once per test process so it is never stale (a no-op
/// when `cargo test` already built it).
pub fn cli() -> Command {
    // target/debug/deps/<test>-<hash> → target/debug/examples/cli
    let exe = std::env::current_exe().unwrap();
    let path: PathBuf = exe.parent().unwrap().parent().unwrap().join("examples/cli");
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "cli"])
            .current_dir(root())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cargo build --example cli failed");
    });
    let mut c = Command::new(path);
    for var in [
        "TOKEN_VAULT_ISSUER",
        "TOKEN_VAULT_CLIENT_ID",
        "TOKEN_VAULT_SCOPE",
        "TOKEN_VAULT_CA_CERT",
        "TOKEN_VAULT_ACCOUNT",
        "TOKEN_VAULT_SERVICE",
        "TOKEN_VAULT_DATA_DIR",
        "TOKEN_VAULT_CACHE_DIR",
    ] {
        c.env_remove(var);
    }
    c
}

impl Idp {
    /// Injects a fault into every provider request (`reset`, `503`) or clears it (`none`).
    pub async fn fault(&self, mode: &str) {
        let status = self
            .reqwest()
            .post(self.url(&format!("/__test/fault?mode={mode}")))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "fault {mode}: {status}");
    }
}

/// What a [`RecordingServer`] saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The request body, byte for byte as it arrived.
    pub body: Vec<u8>,
}

/// A plain-HTTP resource server on 127.0.0.1 that records every request (method, path,
/// `Authorization`, `Content-Type` and the body bytes). Routes: `/redirect?to=URL` → 302 to URL,
/// `/big?bytes=N` → N bytes, `/status/N` → status N, `/echo` → the request body and content
/// type sent back, `/reject-first` → 401 for the first `Authorization` value it ever saw and 200
/// for any other (a token the resource server no longer accepts), anything else → 200
/// `{"path": …}`.
pub struct RecordingServer {
    pub origin: Url,
    pub seen: std::sync::Arc<Mutex<Vec<Seen>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl RecordingServer {
    pub async fn start() -> Self {
        use http_body_util::Full;
        use hyper::body::Bytes;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let seen: std::sync::Arc<Mutex<Vec<Seen>>> = Default::default();
        let log = seen.clone();
        let first: std::sync::Arc<Mutex<Option<String>>> = Default::default();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let log = log.clone();
                let first = first.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let log = log.clone();
                            let first = first.clone();
                            async move {
                                use http_body_util::BodyExt;
                                let uri = req.uri().clone();
                                let method = req.method().to_string();
                                let header = |name: &str| {
                                    req.headers()
                                        .get(name)
                                        .map(|v| v.to_str().unwrap_or("").to_string())
                                };
                                let authorization = header("authorization");
                                let content_type = header("content-type");
                                let (_, body) = req.into_parts();
                                let body = body.collect().await.unwrap().to_bytes().to_vec();
                                log.lock().unwrap().push(Seen {
                                    method,
                                    path: uri.path().to_string(),
                                    authorization: authorization.clone(),
                                    content_type: content_type.clone(),
                                    body: body.clone(),
                                });
                                let q: std::collections::HashMap<String, String> =
                                    url::form_urlencoded::parse(
                                        uri.query().unwrap_or("").as_bytes(),
                                    )
                                    .into_owned()
                                    .collect();
                                let mut resp = hyper::Response::new(Full::new(Bytes::new()));
                                match uri.path() {
                                    "/redirect" => {
                                        *resp.status_mut() = hyper::StatusCode::FOUND;
                                        resp.headers_mut()
                                            .insert("location", q["to"].parse().unwrap());
                                    }
                                    "/big" => {
                                        let n: usize = q["bytes"].parse().unwrap();
                                        *resp.body_mut() = Full::new(Bytes::from(vec![b'x'; n]));
                                    }
                                    "/echo" => {
                                        if let Some(ct) = &content_type {
                                            resp.headers_mut()
                                                .insert("content-type", ct.parse().unwrap());
                                        }
                                        *resp.body_mut() = Full::new(Bytes::from(body));
                                    }
                                    "/reject-first" => {
                                        let auth = authorization;
                                        let mut first = first.lock().unwrap();
                                        if first.is_none() {
                                            *first = auth.clone();
                                        }
                                        if *first == auth {
                                            *resp.status_mut() = hyper::StatusCode::UNAUTHORIZED;
                                        }
                                    }
                                    p if p.starts_with("/status/") => {
                                        *resp.status_mut() =
                                            hyper::StatusCode::from_u16(p[8..].parse().unwrap())
                                                .unwrap();
                                    }
                                    p => {
                                        let body = serde_json::json!({ "path": p }).to_string();
                                        resp.headers_mut().insert(
                                            "content-type",
                                            "application/json".parse().unwrap(),
                                        );
                                        *resp.body_mut() = Full::new(Bytes::from(body));
                                    }
                                }
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        RecordingServer {
            origin,
            seen,
            _task: task,
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.origin.join(path).unwrap()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Signs `account` in at `provider` through the system browser (the stand-in, as `alice`).
pub async fn sign_in(
    m: &tauri_plugin_token_vault::SessionManager,
    provider: &str,
    account: &str,
) -> tauri_plugin_token_vault::SessionStatus {
    m.login(
        provider,
        account,
        &tauri_plugin_token_vault::SystemBrowser,
        &std::collections::BTreeMap::new(),
        tauri_plugin_token_vault::LoginCancel::new(),
    )
    .await
    .expect("sign-in")
}

/// A free port below the kernel's ephemeral range (32768+), for listeners whose closing a test
/// checks: no `bind(…:0)` elsewhere can be handed the same port right after it closes.
pub fn free_fixed_port() -> u16 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    for i in 0..1000u32 {
        let port = 20_000 + ((seed.wrapping_add(i.wrapping_mul(7919))) % 10_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..30000");
}

static ROOT_NPM: Mutex<()> = Mutex::new(());

/// Runs `tests/support/authfetch-bridge.mjs` (the built webview API, `dist-js/`, in node with
/// the IPC mocked) with `args` and `stdin`, and parses what it prints. Installs the root npm
/// packages (pinned by `package-lock.json`) if missing.
pub fn js_bridge(args: &[&str], stdin: &[u8]) -> serde_json::Value {
    {
        let _guard = ROOT_NPM.lock().unwrap_or_else(|e| e.into_inner());
        if !root()
            .join("node_modules/@tauri-apps/api/package.json")
            .exists()
        {
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(root())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "npm ci at the repository root failed");
        }
    }
    use std::io::Write;
    let mut child = Command::new("node")
        .arg(root().join("tests/support/authfetch-bridge.mjs"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node must be installed (the test command installs it)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "authfetch-bridge {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the bridge prints JSON")
}

/// Every file under `dir` (recursively, not following symlinks) modified at or after `since`
/// whose bytes contain one of `needles`, as `(path, index of the needle)`. Files written before
/// `since` cannot hold a value created after it, so they are not read; unreadable entries and
/// files over 64 MiB are skipped.
pub fn files_containing(
    dir: &Path,
    needles: &[&[u8]],
    since: std::time::SystemTime,
) -> Vec<(PathBuf, usize)> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let Ok(meta) = e.metadata() else { continue };
                let modified = meta.modified().unwrap_or(std::time::SystemTime::now());
                if meta.len() > 64 << 20 || modified < since {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                for (i, n) in needles.iter().enumerate() {
                    if !n.is_empty() && bytes.windows(n.len()).any(|w| w == *n) {
                        hits.push((path.clone(), i));
                    }
                }
            }
        }
    }
    hits
}

// ---------------------------------------------------------------------------------------------
// A provider behind a proxy (tests/fault_matrix.rs puts tests/support/fault_proxy.rs in front).

impl Idp {
    /// Starts a provider whose issuer is `issuer` (the origin of a proxy in front of it: the
    /// discovery document, the endpoints and the ID tokens' `iss` name the proxy), listening on
    /// a free port of its own. Returns it with that port's origin, where the proxy forwards to.
    /// The helpers (`stats`, `is_active`, `token_exchanges`…) go to `issuer`, through the proxy.
    pub fn start_behind(issuer: &str, env: &[(&str, &str)]) -> (Idp, Url) {
        let port = free_fixed_port().to_string();
        let mut all = vec![("IDP_ISSUER", issuer), ("IDP_PORT", port.as_str())];
        all.extend_from_slice(env);
        let idp = Idp::start_with(&all);
        (
            idp,
            Url::parse(&format!("https://127.0.0.1:{port}")).unwrap(),
        )
    }

    /// The provider's TLS private key (PEM, beside its certificate), for a proxy serving as it.
    pub fn tls_key_path(&self) -> PathBuf {
        self.ca_cert.with_file_name("key.pem")
    }
}

/// A TLS acceptor serving `cert` with `key` (PEM files; the provider's own certificate is for
/// IP 127.0.0.1, so a test server on any loopback port can serve as it), on rustls with ring.
pub fn tls_acceptor(cert: &Path, key: &Path) -> tokio_rustls::TlsAcceptor {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))
}

/// A reqwest client builder that trusts `cert` (PEM) and uses no proxy: a test server's own
/// requests to the provider.
pub fn client_trusting(cert: &Path) -> oauth2::reqwest::ClientBuilder {
    let pem = std::fs::read(cert).unwrap();
    oauth2::reqwest::Client::builder()
        .add_root_certificate(oauth2::reqwest::Certificate::from_pem(&pem).unwrap())
        .no_proxy()
}
