//! The `cli` example as a user runs it: a separate process, options from flags and from the
//! `TOKEN_VAULT_*` environment, against the real provider.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::Idp;

fn cli() -> Command {
    // target/debug/deps/cli-<hash> → target/debug/examples/cli (cargo test builds examples).
    let exe = std::env::current_exe().unwrap();
    let path: PathBuf = exe.parent().unwrap().parent().unwrap().join("examples/cli");
    assert!(
        path.exists(),
        "{} missing: run `cargo build --example cli`",
        path.display()
    );
    let mut c = Command::new(path);
    for var in [
        "TOKEN_VAULT_ISSUER",
        "TOKEN_VAULT_CLIENT_ID",
        "TOKEN_VAULT_SCOPE",
        "TOKEN_VAULT_CA_CERT",
    ] {
        c.env_remove(var);
    }
    c
}

fn looks_like_a_jwt(s: &str) -> bool {
    s.split_whitespace()
        .any(|w| w.split('.').count() == 3 && w.len() > 40)
}

#[test]
fn cli_login_prints_subject_and_expiry_never_a_token() {
    let idp = Idp::start();
    let out = cli()
        .env("TOKEN_VAULT_ISSUER", idp.issuer.as_str())
        .env("TOKEN_VAULT_CLIENT_ID", support::NATIVE_CLIENT)
        .env("TOKEN_VAULT_CA_CERT", idp.ca_cert_path())
        .args(["--param", "login_hint=carol", "login"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("signed in as carol"), "{stdout}");
    assert!(stdout.contains("access token expires at "), "{stdout}");
    assert!(stdout.contains("refresh token issued: true"), "{stdout}");
    assert!(
        !looks_like_a_jwt(&stdout) && !looks_like_a_jwt(&stderr),
        "{stdout}{stderr}"
    );
}

#[test]
fn cli_failures_exit_non_zero_with_code_and_message() {
    let idp = Idp::start();
    let ca = idp.ca_cert_path().display().to_string();
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
    ];
    for (args, want) in cases {
        let out = cli()
            .args(["--issuer", idp.issuer.as_str()])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.lines().any(|l| l.starts_with(want)),
            "{args:?}: {stderr}"
        );
    }
}
