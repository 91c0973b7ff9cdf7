//! The `cli` example as a user runs it: each command a separate process, options from flags and
//! from the `TOKEN_VAULT_*` environment, against the real provider and the real Secret Service.

mod support;

use std::process::{Command, Output};

use support::{cli, Idp};

fn looks_like_a_jwt(s: &str) -> bool {
    s.split_whitespace()
        .any(|w| w.split('.').count() == 3 && w.len() > 40)
}

struct Cli<'a> {
    idp: &'a Idp,
    service: String,
    data_dir: tempfile::TempDir,
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

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        stdout
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
    let idp = Idp::start();
    let c = Cli {
        idp: &idp,
        service: support::unique_service("cli"),
        data_dir: tempfile::tempdir().unwrap(),
    };

    let out = c.ok(&["--param", "login_hint=carol", "login"]);
    assert!(out.contains("signed in as carol"), "{out}");
    assert!(out.contains("access token expires at "), "{out}");
    assert!(
        out.contains("session stored in the credential store: true"),
        "{out}"
    );
    assert!(!looks_like_a_jwt(&out));

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

    let out = c.ok(&["refresh"]);
    assert!(out.contains("access token expires at "), "{out}");
    assert!(!looks_like_a_jwt(&out));

    // fetch: the token is attached in Rust, only for allowed origins.
    let me = idp.url("/me");
    let origin = idp.issuer.origin().ascii_serialization();
    let out = c.ok(&["fetch", me.as_str(), "--allow", &origin]);
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    assert!(out.contains("\"sub\":\"carol\""), "{out}");
    let refused = c.cmd(&["fetch", me.as_str()]).output().unwrap();
    let (_, stderr) = texts(&refused);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr.starts_with("error: fetch_not_allowed: "), "{stderr}");

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
    let status: serde_json::Value = serde_json::from_str(c.ok(&["status"]).trim()).unwrap();
    assert_eq!(status["signedIn"], false);

    let out = c.cmd(&["token"]).output().unwrap();
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("error: not_signed_in: "), "{stderr}");
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
