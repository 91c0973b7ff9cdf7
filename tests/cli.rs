//! The `cli` example as a user runs it: each command a separate process, options from flags and
//! from the `TOKEN_VAULT_*` environment, against the real provider and the real Secret Service.

#[path = "support/dpop_server.rs"]
mod dpop_server;
mod support;

use std::process::{Command, Output};

use support::{cli, Idp};
use tauri_plugin_token_vault::testing::Vault;

fn looks_like_a_jwt(s: &str) -> bool {
    s.split_whitespace()
        .any(|w| w.split('.').count() == 3 && w.len() > 40)
}

/// What one CLI run printed.
struct Run {
    args: Vec<String>,
    stdout: String,
    stderr: String,
}

struct Cli<'a> {
    idp: &'a Idp,
    service: String,
    data_dir: tempfile::TempDir,
    /// Every run, for the token checks at the end.
    runs: std::cell::RefCell<Vec<Run>>,
}

impl Cli<'_> {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = cli();
        c.env("TOKEN_VAULT_ISSUER", self.idp.issuer.as_str())
            .env("TOKEN_VAULT_CLIENT_ID", support::NATIVE_CLIENT)
            .env("TOKEN_VAULT_CA_CERT", self.idp.ca_cert_path())
            .env("TOKEN_VAULT_SERVICE", &self.service)
            .env("TOKEN_VAULT_DATA_DIR", self.data_dir.path())
            .args(args);
        c
    }

    /// Runs the CLI and keeps what it printed.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        let (stdout, stderr) = texts(&out);
        self.runs.borrow_mut().push(Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdout,
            stderr,
        });
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        stdout
    }

    /// The refresh token and ID token the CLI's session holds in the credential store now (read
    /// through the vault, as the CLI stores it: provider id `default`, account `default`).
    fn stored(&self) -> Option<(String, String)> {
        Vault::platform(&self.service)
            .unwrap()
            .load_record("default", "default")
            .unwrap()
            .map(|r| {
                (
                    r.refresh_token.as_ref().unwrap().secret().to_string(),
                    r.id_token.unwrap().secret().to_string(),
                )
            })
    }
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn cli_login_status_token_refresh_logout_across_processes() {
    support::require_secret_service();
    // The provider keeps every token it issues (`/__test/token-exchanges`): the checks below
    // cover the tokens no command was meant to show (the login's and `refresh`'s access tokens,
    // every rotated refresh token), not only the ones the test can read.
    let idp = Idp::start_with(&[("IDP_RECORD_TOKENS", "1")]);
    let c = Cli {
        idp: &idp,
        service: support::unique_service("cli"),
        data_dir: tempfile::tempdir().unwrap(),
        runs: Default::default(),
    };
    // Tokens read back from the store and from `token`, at each step.
    let mut stored = Vec::new();
    let mut printed_access = Vec::new();

    let out = c.ok(&["--param", "login_hint=carol", "login"]);
    assert!(out.contains("signed in as carol"), "{out}");
    assert!(out.contains("access token expires at "), "{out}");
    assert!(
        out.contains("session stored in the credential store: true"),
        "{out}"
    );
    assert!(!looks_like_a_jwt(&out));
    stored.push(c.stored().expect("login stored the session"));

    // A new process: the session comes from the credential store.
    let status: serde_json::Value = serde_json::from_str(c.ok(&["status"]).trim()).unwrap();
    assert_eq!(status["signedIn"], true);
    assert_eq!(status["subject"], "carol");
    assert!(status["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "offline_access"));
    assert!(
        status["expiresAt"].is_null(),
        "access tokens are never persisted"
    );

    let token = c.ok(&["token"]).trim().to_string();
    assert!(
        idp.is_active(&token).await,
        "`token` prints a valid access token"
    );
    assert_eq!(
        idp.stats().await["token"]["refresh_token"],
        1,
        "a new process refreshes once"
    );
    printed_access.push(token);
    stored.push(c.stored().unwrap());

    let out = c.ok(&["refresh"]);
    assert!(out.contains("access token expires at "), "{out}");
    assert!(!looks_like_a_jwt(&out));
    stored.push(c.stored().unwrap());

    // fetch: the token is attached in Rust, only for allowed origins.
    let me = idp.url("/me");
    let origin = idp.issuer.origin().ascii_serialization();
    let out = c.ok(&["fetch", me.as_str(), "--allow", &origin]);
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    assert!(out.contains("\"sub\":\"carol\""), "{out}");
    stored.push(c.stored().unwrap());
    let refused = c.run(&["fetch", me.as_str()]);
    let (_, stderr) = texts(&refused);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr.starts_with("error: fetch_not_allowed: "), "{stderr}");

    // After the refreshes, `token` prints the newest access token.
    let token = c.ok(&["token"]).trim().to_string();
    assert!(idp.is_active(&token).await);
    assert_ne!(token, printed_access[0], "a new process, a new token");
    printed_access.push(token);
    stored.push(c.stored().unwrap());

    let out = c.ok(&["--account", "other", "status"]);
    assert!(
        out.contains("\"signedIn\":false"),
        "accounts are separate: {out}"
    );

    let out = c.ok(&["logout"]);
    assert!(
        out.contains("signed out; tokens revoked at the provider"),
        "{out}"
    );
    assert!(c.stored().is_none(), "logout wiped the store");
    let status: serde_json::Value = serde_json::from_str(c.ok(&["status"]).trim()).unwrap();
    assert_eq!(status["signedIn"], false);

    let out = c.run(&["token"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("error: not_signed_in: "), "{stderr}");

    // ---- Only `token` prints a token: every run's stdout and stderr against every token. ----
    let exchanges = idp.token_exchanges().await;
    let grants: Vec<&str> = exchanges
        .iter()
        .map(|x| x["grant_type"].as_str().unwrap())
        .collect();
    // login; token, refresh, fetch, token: each a new process refreshing once.
    assert_eq!(
        grants,
        [
            "authorization_code",
            "refresh_token",
            "refresh_token",
            "refresh_token",
            "refresh_token"
        ]
    );
    let issued = |kind: &str| -> Vec<String> {
        exchanges
            .iter()
            .map(|x| x["issued"][kind].as_str().expect(kind).to_string())
            .collect()
    };
    let (access, refresh, id) = (
        issued("access_token"),
        issued("refresh_token"),
        issued("id_token"),
    );
    // What the test read itself is what the provider issued: the store holds the newest
    // refresh token after each step, `token` printed issued access tokens.
    let expected_stored = [0, 1, 2, 3, 4].map(|i| (refresh[i].clone(), id[i].clone()));
    assert_eq!(stored, expected_stored, "the store after each step");
    assert_eq!(printed_access, [access[1].clone(), access[4].clone()]);
    let mut tokens: Vec<(String, &str)> = Vec::new();
    for (i, t) in access.iter().enumerate() {
        tokens.push((format!("access token #{i}"), t));
    }
    for (i, t) in refresh.iter().enumerate() {
        tokens.push((format!("refresh token #{i}"), t));
    }
    for (i, t) in id.iter().enumerate() {
        tokens.push((format!("ID token #{i}"), t));
    }
    assert_eq!(tokens.len(), 15);
    assert!(tokens.iter().all(|(_, t)| t.len() >= 20));

    let runs = c.runs.borrow();
    assert_eq!(runs.len(), 11, "every command of the run is checked");
    let mut token_runs = 0;
    let mut wrong = Vec::new();
    for run in runs.iter() {
        let is_token = run.args.last().is_some_and(|a| a == "token");
        let printed = run.stdout.trim();
        if is_token && access.iter().any(|t| t == printed) {
            token_runs += 1;
        }
        for (kind, t) in &tokens {
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                let n = text.matches(*t).count();
                // `token` prints its access token, once, on stdout, alone; nothing else.
                let allowed = usize::from(is_token && stream == "stdout" && printed == *t);
                if n != allowed {
                    wrong.push(format!(
                        "{:?} {stream}: {n} × {kind} (expected {allowed})",
                        run.args
                    ));
                }
            }
        }
    }
    assert_eq!(token_runs, 2, "the two successful `token` runs");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn cli_failures_exit_non_zero_with_code_and_message() {
    support::require_secret_service();
    let idp = Idp::start();
    let ca = idp.ca_cert_path().display().to_string();
    let service = support::unique_service("cli-fail");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--client-id",
                "tv-native",
                "--ca-cert",
                &ca,
                "--param",
                "login_hint=deny",
                "login",
            ],
            "error: authorization_denied: ",
        ),
        (
            vec![
                "--client-id",
                "tv-native",
                "--ca-cert",
                &ca,
                "--param",
                "prompt=none",
                "login",
            ],
            "error: authorization_failed: authorization failed: login_required",
        ),
        (
            vec!["--client-id", "tv-native", "login"],
            "error: discovery_failed: ",
        ),
        (
            vec![
                "--client-id",
                "tv-native",
                "--ca-cert",
                "/nonexistent.pem",
                "login",
            ],
            "error: invalid_config: ",
        ),
        (
            vec!["--client-id", "", "--ca-cert", &ca, "status"],
            "error: invalid_config: invalid configuration `provider.clientId`",
        ),
        (
            vec!["--client-id", "tv-native", "--ca-cert", &ca, "token"],
            "error: not_signed_in: ",
        ),
        (
            vec!["--client-id", "tv-native", "--ca-cert", &ca, "refresh"],
            "error: not_signed_in: ",
        ),
    ];
    for (args, want) in cases {
        let out = cli()
            .args(["--issuer", idp.issuer.as_str(), "--service", &service])
            .args(&args)
            .output()
            .unwrap();
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.lines().any(|l| l.starts_with(want)),
            "{args:?}: {stderr}"
        );
    }
}

/// Issue #8, item 18: `fetch` takes curl's everyday options (`-X/--method`, `-H/--header`,
/// repeatable, `-d/--data`, `--data-binary @FILE`); a refused request exits 1 with
/// `error: <code>: …` and the resource server sees nothing; bodies arrive byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_fetch_takes_curl_options_and_a_refused_request_sends_nothing() {
    support::require_secret_service();
    let idp = Idp::start();
    let rs = support::RecordingServer::start().await;
    let c = Cli {
        idp: &idp,
        service: support::unique_service("cli-fetch"),
        data_dir: tempfile::tempdir().unwrap(),
        runs: Default::default(),
    };
    c.ok(&["login"]);
    let origin = rs.origin.as_str().trim_end_matches('/').to_string();
    let echo = rs.url("/echo").to_string();
    let prefix = rs.url("/v1/").to_string();
    let admin = format!("{origin}/v1/..%2Fadmin");

    let refused: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["-H", "Host: other-tenant.example"],
            "error: fetch_invalid_request: ",
        ),
        (
            vec!["--header", "X-HTTP-Method-Override: TRACE"],
            "error: fetch_invalid_request: ",
        ),
        (vec!["-H", "Cookie: a=b"], "error: fetch_invalid_request: "),
        (vec!["-X", "TRACE"], "error: fetch_invalid_request: "),
        (
            vec!["--method", "connect"],
            "error: fetch_invalid_request: ",
        ),
        (
            vec!["-X", "track", "-d", "x"],
            "error: fetch_invalid_request: ",
        ),
        (
            vec!["-H", "no colon here"],
            "error: fetch_invalid_request: ",
        ),
        (
            vec!["-H", "Authorization: Bearer forged"],
            "error: fetch_invalid_request: ",
        ),
    ];
    for (extra, want) in refused {
        let mut args = vec!["fetch", echo.as_str(), "--allow", origin.as_str()];
        args.extend(&extra);
        let out = c.run(&args);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.starts_with(want), "{extra:?}: {stderr}");
    }
    // An encoded separator under a path-prefix `--allow`.
    let out = c.run(&["fetch", &admin, "--allow", &prefix]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: fetch_not_allowed: "), "{stderr}");
    let sent: Vec<String> = rs.requests().iter().map(|s| s.path.clone()).collect();
    assert!(
        sent.is_empty(),
        "refused requests reached the server: {sent:?}"
    );

    // -X POST -d TEXT: the text byte for byte, curl's default form content type.
    let text = "a=1&b=two words&c=\u{e9}\t\"q\"\n";
    let out = c.ok(&["fetch", &echo, "--allow", &origin, "-X", "POST", "-d", text]);
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    let got = rs.requests().last().unwrap().clone();
    assert_eq!(got.method, "POST");
    assert_eq!(got.body, text.as_bytes());
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );

    // --data-binary @FILE: every byte value (NUL, CR, LF, invalid UTF-8), POST by default;
    // repeated -H, one of them the content type.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.bin");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let at_file = format!("@{}", file.display());
    c.ok(&[
        "fetch",
        &echo,
        "--allow",
        &origin,
        "--data-binary",
        &at_file,
        "-H",
        "Content-Type: application/octet-stream",
        "--header",
        "X-Request-Id: 7",
    ]);
    let got = rs.requests().last().unwrap().clone();
    assert_eq!(got.method, "POST");
    assert!(got.body == bytes, "the file arrived byte for byte");
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/octet-stream")
    );
    // -X PUT with --data-binary @FILE, and a plain GET with -X.
    c.ok(&[
        "fetch",
        &echo,
        "--allow",
        &origin,
        "-X",
        "PUT",
        "--data-binary",
        &at_file,
    ]);
    let got = rs.requests().last().unwrap().clone();
    assert_eq!(got.method, "PUT");
    assert!(got.body == bytes);
    c.ok(&[
        "fetch",
        rs.url("/v1/me").as_str(),
        "--allow",
        &prefix,
        "-X",
        "get",
    ]);
    let got = rs.requests().last().unwrap().clone();
    assert_eq!((got.method.as_str(), got.path.as_str()), ("GET", "/v1/me"));
    assert!(got.body.is_empty());
    assert_eq!(
        rs.requests().len(),
        4,
        "only the accepted requests were sent"
    );

    c.ok(&["logout"]);
}

#[test]
fn without_data_dir_the_lock_files_go_to_the_user_data_directory_not_a_shared_tmp_path() {
    support::require_secret_service();
    let idp = Idp::start();
    let service = support::unique_service("cli-lock-dir");
    let data_home = tempfile::tempdir().unwrap();
    let out = cli()
        .env("TOKEN_VAULT_ISSUER", idp.issuer.as_str())
        .env("TOKEN_VAULT_CLIENT_ID", support::NATIVE_CLIENT)
        .env("TOKEN_VAULT_CA_CERT", idp.ca_cert_path())
        .env("TOKEN_VAULT_SERVICE", &service)
        .env("XDG_DATA_HOME", data_home.path())
        .arg("login")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let locks = data_home.path().join(&service).join("locks");
    // The lock file, and the warm-start cache's directory beside it.
    let files: Vec<_> = std::fs::read_dir(&locks)
        .unwrap_or_else(|e| panic!("{}: {e}", locks.display()))
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .collect();
    assert!(locks.join("cache").is_dir(), "the warm-start cache");
    assert_eq!(
        files.len(),
        1,
        "one account lock file in the user's data directory"
    );
    assert!(
        !std::env::temp_dir()
            .join(format!("{service}-locks"))
            .exists(),
        "nothing in the shared temp directory"
    );
}

// ---- Issue 9, item 9: `--config FILE --provider ID` ----

/// The CLI reading `file`, with nothing from the `TOKEN_VAULT_*` environment.
fn cli_config(file: &std::path::Path, data_dir: &std::path::Path) -> Command {
    let mut c = cli();
    c.env_remove("TOKEN_VAULT_CONFIG")
        .env_remove("TOKEN_VAULT_PROVIDER")
        .env("TOKEN_VAULT_DATA_DIR", data_dir)
        .arg("--config")
        .arg(file);
    c
}

/// Runs it; stdout on success, else a panic with what it printed.
fn ok_with(c: &mut Command, args: &[&str]) -> String {
    let out = c.args(args).output().unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
    assert!(!looks_like_a_jwt(&stderr), "{args:?}: a token on stderr");
    stdout
}

/// Runs it expecting exit status 1; its stderr.
fn fails_with(c: &mut Command, args: &[&str]) -> String {
    let out = c.args(args).output().unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}\n{stderr}");
    assert!(!looks_like_a_jwt(&stdout) && !looks_like_a_jwt(&stderr));
    stderr
}

fn write_json(dir: &std::path::Path, name: &str, v: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    path
}

/// A provider entry for the test provider, as a user would write it.
fn provider_entry(idp: &Idp) -> serde_json::Value {
    serde_json::json!({
        "issuer": idp.issuer.as_str(),
        "clientId": support::NATIVE_CLIENT,
        "scopes": ["openid", "profile", "offline_access"],
        "caCertificates": [idp.ca_cert_path()],
    })
}

/// Both shapes of the file drive a whole session: the plugin's object (`{"service",
/// "providers"}`) and a whole `tauri.conf.json` (its `plugins.token-vault`, stored under its
/// `identifier`, as the app would). The session is stored under the file's provider id, and
/// options only the file can set take effect: `extraParams`, `clientSecret` (the confidential
/// client cannot sign in without it), `fetchAllowlist` (`fetch` without `--allow`),
/// `fetchMaxBodyBytes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_config_file_in_both_shapes_drives_login_token_logout() {
    support::require_secret_service();
    let idp = Idp::start();
    let rs = support::RecordingServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();

    // 1. The plugin's configuration object; one provider, so no --provider.
    let service = support::unique_service("cli-config-plain");
    let mut corp = provider_entry(&idp);
    corp["extraParams"] = serde_json::json!({ "login_hint": "dave" });
    let plain = write_json(
        dir.path(),
        "token-vault.json",
        &serde_json::json!({ "service": service, "providers": { "corp": corp } }),
    );
    let run = |args: &[&str]| ok_with(&mut cli_config(&plain, data.path()), args);
    let out = run(&["login"]);
    assert!(out.contains("signed in as dave"), "extraParams: {out}");
    assert!(out.contains("session stored in the credential store: true"));
    let vault = Vault::platform(&service).unwrap();
    let record = vault.load_record("corp", "default").unwrap();
    assert_eq!(record.map(|r| r.subject), Some(Some("dave".to_string())));
    assert!(vault.load_record("default", "default").unwrap().is_none());
    let token = run(&["token"]).trim().to_string();
    assert!(idp.is_active(&token).await, "`token` prints a live token");
    let out = run(&["logout"]);
    assert!(
        out.contains("signed out; tokens revoked at the provider"),
        "{out}"
    );
    assert!(vault.load_record("corp", "default").unwrap().is_none());
    assert!(!idp.is_active(&token).await, "revoked");

    // 2. A whole tauri.conf.json with two providers: --provider picks one; the service is the
    // app identifier, as in the plugin.
    let identifier = support::unique_service("cli-config-tauri");
    let mut google_like = provider_entry(&idp);
    google_like["clientId"] = support::CONFIDENTIAL_CLIENT.into();
    google_like["clientSecret"] = support::CONFIDENTIAL_SECRET.into();
    google_like["fetchAllowlist"] = serde_json::json!([rs.origin.as_str()]);
    let conf = |google: &serde_json::Value| {
        serde_json::json!({
            "$schema": "https://schema.tauri.app/config/2",
            "productName": "Demo",
            "version": "0.1.0",
            "identifier": identifier,
            "app": { "windows": [{ "title": "Demo" }] },
            "plugins": { "token-vault": { "providers": {
                "google": google,
                "other": provider_entry(&idp),
            } } }
        })
    };
    let tauri_conf = write_json(dir.path(), "tauri.conf.json", &conf(&google_like));
    let run = |args: &[&str]| {
        ok_with(
            cli_config(&tauri_conf, data.path()).args(["--provider", "google"]),
            args,
        )
    };
    let out = run(&["login"]);
    assert!(out.contains("signed in as alice"), "{out}");
    let vault = Vault::platform(&identifier).unwrap();
    let record = vault.load_record("google", "default").unwrap().unwrap();
    assert_eq!(record.client_id, support::CONFIDENTIAL_CLIENT);
    let token = run(&["token"]).trim().to_string();
    assert!(idp.is_active(&token).await);
    // The environment names the file and the provider as well.
    let out = cli()
        .env("TOKEN_VAULT_CONFIG", &tauri_conf)
        .env("TOKEN_VAULT_PROVIDER", "google")
        .env("TOKEN_VAULT_DATA_DIR", data.path())
        .arg("status")
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["signedIn"], true, "{status}");
    // fetch: the file's allowlist, no --allow.
    let echo = rs.url("/echo");
    let out = run(&["fetch", echo.as_str()]);
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    let seen = rs.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0]
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Bearer ")));
    // fetchMaxBodyBytes: the same session, a file with a 100-byte limit.
    google_like["fetchMaxBodyBytes"] = 100.into();
    let small = write_json(dir.path(), "small.conf.json", &conf(&google_like));
    let big = rs.url("/big?bytes=1000");
    let stderr = fails_with(
        cli_config(&small, data.path()).args(["--provider", "google"]),
        &["fetch", big.as_str()],
    );
    assert!(
        stderr.starts_with("error: fetch_response_too_large: "),
        "{stderr}"
    );
    let out = run(&["logout"]);
    assert!(
        out.contains("signed out; tokens revoked at the provider"),
        "{out}"
    );
    assert!(vault.load_record("google", "default").unwrap().is_none());
    let stats = idp.stats().await;
    assert_eq!(stats["token"]["authorization_code"], 2, "{stats}");
}

/// The flags given override the file's values for the chosen provider (issuer, client id, CA
/// certificate, scopes, a `--param` over `extraParams`), before anything is checked: here the
/// file's own values could never sign in. And `loginTimeoutSecs`, which only the file sets,
/// bounds a sign-in that never finishes.
#[tokio::test]
async fn cli_flags_override_the_config_file() {
    support::require_secret_service();
    let idp = Idp::start();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let service = support::unique_service("cli-config-override");
    let file = write_json(
        dir.path(),
        "token-vault.json",
        &serde_json::json!({ "service": service, "providers": { "p": {
            "issuer": "https://127.0.0.1:9/",
            "clientId": "not-registered",
            "caCertificates": ["/nonexistent/ca.pem"],
            "scopes": ["openid"],
            "extraParams": { "login_hint": "dave" },
            "loginTimeoutSecs": 2
        } } }),
    );
    // The file alone: its CA certificate path is checked before anything is sent.
    let stderr = fails_with(&mut cli_config(&file, data.path()), &["login"]);
    assert!(
        stderr.starts_with(
            "error: invalid_config: invalid configuration `providers.p.caCertificates[0]`: "
        ),
        "{stderr}"
    );

    let ca = idp.ca_cert_path().display().to_string();
    let with_flags = || {
        let mut c = cli_config(&file, data.path());
        c.args(["--issuer", idp.issuer.as_str()])
            .args(["--client-id", support::NATIVE_CLIENT, "--ca-cert", &ca])
            .args(["--scope", "openid email offline_access"]);
        c
    };
    let out = ok_with(&mut with_flags(), &["--param", "login_hint=erin", "login"]);
    assert!(
        out.contains("signed in as erin"),
        "--param over extraParams: {out}"
    );
    let record = Vault::platform(&service)
        .unwrap()
        .load_record("p", "default")
        .unwrap()
        .expect("stored under the file's provider id");
    assert_eq!(record.client_id, support::NATIVE_CLIENT);
    assert_eq!(record.issuer, idp.issuer.as_str().trim_end_matches('/'));
    let status: serde_json::Value =
        serde_json::from_str(ok_with(&mut with_flags(), &["status"]).trim()).unwrap();
    let scopes = status["scopes"].as_array().unwrap();
    assert!(scopes.iter().any(|s| s == "email"), "--scope: {status}");
    assert!(!scopes.iter().any(|s| s == "profile"), "{status}");
    // Without --param, the file's extraParams sign in as dave.
    let out = ok_with(&mut with_flags(), &["login"]);
    assert!(out.contains("signed in as dave"), "{out}");
    // The file's loginTimeoutSecs (2 s): a sign-in that never finishes.
    let started = std::time::Instant::now();
    let stderr = fails_with(&mut with_flags(), &["--param", "login_hint=stall", "login"]);
    assert!(stderr.contains("error: login_timed_out: "), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let out = ok_with(&mut with_flags(), &["logout"]);
    assert!(
        out.contains("signed out; tokens revoked at the provider"),
        "{out}"
    );
}

/// Every bad input exits 1 with `error: invalid_config: invalid configuration `<field>`: …`,
/// the field named as the plugin names it, and sends nothing: the files' issuer is a recording
/// server, which sees no request (a valid file's `login` reaches it: the control at the end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_bad_config_input_exits_1_naming_the_field_and_sends_nothing() {
    let rs = support::RecordingServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let issuer = rs.origin.as_str();
    let entry = || serde_json::json!({ "issuer": issuer, "clientId": "c" });
    let with = |key: &str, value: serde_json::Value| {
        let mut e = entry();
        e[key] = value;
        serde_json::json!({ "providers": { "p": e } })
    };
    let two = serde_json::json!({ "providers": { "alpha": entry(), "beta": entry() } });
    let missing = dir.path().join("missing.json");
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\"providers\": {\"p\": {\"issuer\": ").unwrap();
    // (file, extra arguments, expected stderr start, further text it must hold)
    let cases: Vec<(std::path::PathBuf, Vec<&str>, String, Vec<&str>)> = vec![
        (
            missing.clone(),
            vec![],
            "`--config`: cannot read ".into(),
            vec!["missing.json"],
        ),
        (
            bad_json.clone(),
            vec![],
            "`--config`: ".into(),
            vec!["is not JSON", "EOF"],
        ),
        (
            write_json(dir.path(), "unknown.json", &with("clientID", "c".into())),
            vec![],
            "`providers.p.clientID`: unknown field `clientID`".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "nested.json",
                &with("redirect", serde_json::json!({ "prot": 8080 })),
            ),
            vec![],
            "`providers.p.redirect.prot`: unknown field `prot`".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "top.tauri.conf.json",
                &serde_json::json!({
                    "identifier": "com.example.demo",
                    "plugins": { "token-vault": { "provider": { "p": entry() } } }
                }),
            ),
            vec![],
            "`provider`: unknown field `provider`".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "no-plugin.tauri.conf.json",
                &serde_json::json!({ "identifier": "com.example.demo", "plugins": {} }),
            ),
            vec![],
            "`plugins.token-vault`: ".into(),
            vec!["without a token-vault configuration"],
        ),
        (
            write_json(
                dir.path(),
                "http.json",
                &with("issuer", "http://id.example.com".into()),
            ),
            vec![],
            "`providers.p.issuer`: must be an https URL".into(),
            vec![],
        ),
        (
            write_json(dir.path(), "url.json", &with("issuer", "not a url".into())),
            vec![],
            "`providers.p.issuer`: relative URL without a base".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "lifetime.json",
                &with("defaultTokenLifetimeSecs", 0.into()),
            ),
            vec![],
            "`providers.p.defaultTokenLifetimeSecs`: must be > 0".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "port.json",
                &with("redirect", serde_json::json!({ "port": 99999 })),
            ),
            vec![],
            "`providers.p.redirect.port`: invalid value: integer `99999`".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "allowlist.json",
                &with(
                    "fetchAllowlist",
                    serde_json::json!(["https://api.example.com", "http://api.example.com"]),
                ),
            ),
            vec![],
            "`providers.p.fetchAllowlist[1]`: ".into(),
            vec!["loopback"],
        ),
        (
            write_json(dir.path(), "two.json", &two),
            vec!["--provider", "gamma"],
            "`--provider`: no provider `gamma` in ".into(),
            vec!["`alpha`", "`beta`"],
        ),
        (
            write_json(dir.path(), "two.json", &two),
            vec![],
            "`--provider`: ".into(),
            vec!["several providers", "`alpha`", "`beta`"],
        ),
        (
            write_json(
                dir.path(),
                "none.json",
                &serde_json::json!({ "providers": {} }),
            ),
            vec![],
            "`providers`: ".into(),
            vec!["configures no provider"],
        ),
        // Presets: a name the plugin does not know, and what a preset still needs.
        (
            write_json(dir.path(), "preset.json", &with("preset", "azure".into())),
            vec![],
            "`providers.p.preset`: unknown variant `azure`".into(),
            vec!["`entra`", "`github`"],
        ),
        (
            write_json(dir.path(), "google.json", &with("preset", "google".into())),
            vec![],
            "`providers.p.clientSecret`: the `google` preset needs the client's secret".into(),
            vec![],
        ),
        (
            write_json(
                dir.path(),
                "auth-method.json",
                &with("tokenEndpointAuthMethod", "client_secret_jwt".into()),
            ),
            vec![],
            "`providers.p.tokenEndpointAuthMethod`: unknown variant `client_secret_jwt`".into(),
            vec!["`client_secret_post`"],
        ),
        // A flag is checked as the file's own field.
        (
            write_json(
                dir.path(),
                "ok.json",
                &with("scopes", serde_json::json!(["openid"])),
            ),
            vec!["--client-id", ""],
            "`providers.p.clientId`: must not be empty".into(),
            vec![],
        ),
        // Another provider of the file is invalid: the plugin would refuse to start.
        (
            write_json(
                dir.path(),
                "other-bad.json",
                &serde_json::json!({ "providers": {
                    "p": entry(),
                    "q": { "issuer": issuer, "clientId": "c", "extraParams": { "state": "x" } },
                } }),
            ),
            vec!["--provider", "p"],
            "`providers.q.extraParams.state`: ".into(),
            vec![],
        ),
    ];
    for (file, extra, want, holds) in &cases {
        let stderr = fails_with(cli_config(file, data.path()).args(extra), &["login"]);
        let want = format!("error: invalid_config: invalid configuration {want}");
        assert!(stderr.starts_with(&want), "{file:?} {extra:?}:\n{stderr}");
        for text in holds {
            assert!(
                stderr.contains(text),
                "{file:?} {extra:?}: {text}\n{stderr}"
            );
        }
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let sent: Vec<String> = rs.requests().iter().map(|s| s.path.clone()).collect();
    assert!(
        sent.is_empty(),
        "a bad configuration sent requests: {sent:?}"
    );

    // The control: the valid file's `login` does go to its issuer (discovery, which the
    // recording server cannot answer).
    let ok = write_json(
        dir.path(),
        "ok.json",
        &with("scopes", serde_json::json!(["openid"])),
    );
    let stderr = fails_with(&mut cli_config(&ok, data.path()), &["login"]);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: discovery_failed: ")),
        "{stderr}"
    );
    assert!(!rs.requests().is_empty(), "the control reached the issuer");
}

/// `login --session-command`: the mobile flow from the terminal, with the browser stand-in as
/// the authentication session; and what each bad input gets.
#[test]
fn cli_login_through_the_mobile_flow_with_a_session_command() {
    support::require_secret_service();
    let idp = Idp::start();
    let c = Cli {
        idp: &idp,
        service: support::unique_service("cli-mobile"),
        data_dir: tempfile::tempdir().unwrap(),
        runs: Default::default(),
    };
    let standin = format!(
        "node {} --callback",
        support::root()
            .join("tests/support/browser-standin.mjs")
            .display()
    );
    let redirect = "com.example.tokenvault:/oauth/callback";
    let cases: [(&[&str], &str); 4] = [
        (
            &["login", "--session-command", &standin],
            "error: invalid_config: invalid configuration `providers.default.mobile.redirectUri`",
        ),
        (
            &[
                "login",
                "--session-command",
                &standin,
                "--redirect-uri",
                "myapp:/cb",
            ],
            "error: invalid_config: invalid configuration `provider.mobile.redirectUri`",
        ),
        (
            &[
                "login",
                "--session-command",
                "false",
                "--redirect-uri",
                redirect,
            ],
            "error: browser_open_failed: ",
        ),
        (
            &[
                "login",
                "--session-command",
                "echo nothing",
                "--redirect-uri",
                redirect,
            ],
            "error: invalid_authorization_response: ",
        ),
    ];
    for (args, want) in cases {
        let out = c.run(args);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.lines().any(|l| l.starts_with(want)),
            "{args:?}: {stderr}"
        );
        assert!(c.stored().is_none(), "{args:?}: nothing stored");
    }
    let out = c.ok(&[
        "login",
        "--session-command",
        &standin,
        "--redirect-uri",
        redirect,
    ]);
    assert!(out.contains("signed in as alice"), "{out}");
    assert!(c.stored().is_some(), "the session is in the store");
    let status: serde_json::Value = serde_json::from_str(&c.ok(&["status"])).unwrap();
    assert_eq!(status["signedIn"], true);
}

/// DPoP from the configuration file (`"dpop": "required"`): the CLI signs in with a bound
/// session (`status` shows the key's thumbprint, the provider's introspection the same
/// `cnf.jkt`), `token` prints the token with a note on stderr, and `fetch` reaches a
/// resource server that validates proofs; a bad `dpop` value exits 1 naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_dpop_from_the_config_file() {
    support::require_secret_service();
    let idp = Idp::start();
    let rs = dpop_server::DpopServer::start(&idp, true).await;
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let service = support::unique_service("cli-dpop");
    let mut entry = provider_entry(&idp);
    entry["dpop"] = "required".into();
    let origin = rs.url("/");
    entry["fetchAllowlist"] = serde_json::json!([origin.as_str().trim_end_matches('/')]);
    let file = write_json(
        dir.path(),
        "token-vault.json",
        &serde_json::json!({ "service": service, "providers": { "api": entry.clone() } }),
    );
    let run = |args: &[&str]| ok_with(&mut cli_config(&file, data.path()), args);
    run(&["login"]);
    let status: serde_json::Value = serde_json::from_str(run(&["status"]).trim()).unwrap();
    let jkt = status["dpopJkt"]
        .as_str()
        .expect("a DPoP session")
        .to_string();
    let out = cli_config(&file, data.path())
        .arg("token")
        .output()
        .unwrap();
    let (token, note) = texts(&out);
    assert!(note.contains("DPoP-bound"), "{note}");
    assert_eq!(
        idp.introspect(token.trim()).await["cnf"]["jkt"],
        jkt.as_str()
    );
    let me = rs.url("/api/me");
    let out = run(&["fetch", me.as_str()]);
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    assert!(out.contains(&jkt), "{out}");
    assert_eq!(rs.nonce_challenges(), 1);
    run(&["logout"]);

    entry["dpop"] = "sometimes".into();
    let bad = write_json(
        dir.path(),
        "bad.json",
        &serde_json::json!({ "service": service, "providers": { "api": entry } }),
    );
    let stderr = fails_with(&mut cli_config(&bad, data.path()), &["status"]);
    assert!(stderr.contains("dpop"), "{stderr}");
}
