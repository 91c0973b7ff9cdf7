//! The credential store against the real Secret Service (gnome-keyring on a private D-Bus
//! session, provided by scripts/with-keyring.sh): the conformance suite, and what a missing or
//! locked store gives.

mod support;

use std::process::Command;

use tauri_plugin_token_vault::vault::{conformance, Vault, WINDOWS_BLOB_LIMIT};

#[test]
fn conformance_suite_on_the_real_secret_service() {
    support::require_secret_service();
    let service = support::unique_service("conformance");
    conformance::run(&Vault::platform(&service).expect("Secret Service reachable"));
    // The chunked form (what Windows uses) against the same real store.
    conformance::run(
        &Vault::platform(&service)
            .unwrap()
            .with_chunk_limit(Some(WINDOWS_BLOB_LIMIT)),
    );
}

#[test]
fn the_value_is_in_the_secret_service_and_nowhere_else() {
    support::require_secret_service();
    let service = support::unique_service("lookup");
    let v = Vault::platform(&service).unwrap();
    v.set("p/a", b"visible-to-secret-tool").unwrap();
    // Read it back with libsecret's own tool: it really is a Secret Service item.
    let out = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "p/a"])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "visible-to-secret-tool"
    );
    v.delete("p/a").unwrap();
    let out = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "p/a"])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "deleted from the Secret Service");
}

fn cli_status(cmd: &mut Command) -> (Option<i32>, String) {
    let idp = support::Idp::start();
    let out = cmd
        .args(["--issuer", idp.issuer.as_str(), "--client-id", "tv-native"])
        .args(["--ca-cert", &idp.ca_cert_path().display().to_string()])
        .args(["--service", &support::unique_service("nostore"), "status"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn no_secret_service_is_store_unavailable() {
    let mut cmd = support::cli();
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let (code, stderr) = cli_status(&mut cmd);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.starts_with("error: store_unavailable: "), "{stderr}");
}

#[test]
fn a_locked_secret_service_is_store_unavailable() {
    // On its own private bus: a keyring holding the session record, then locked (as after
    // a screen lock or a keyring timeout). Unlocking needs a prompt, which is dismissed here.
    let data = tempfile::tempdir().unwrap();
    let service = support::unique_service("locked");
    let cli = support::cli();
    let script = format!(
        r#"set -e
eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
printf '{{"v":1}}' | secret-tool store --label=t service "$1" username default/default
dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
shift
exec {} "$@"
"#,
        cli.get_program().to_string_lossy()
    );
    let idp = support::Idp::start();
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script, "sh", &service])
        .args(["--issuer", idp.issuer.as_str(), "--client-id", "tv-native"])
        .args(["--ca-cert", &idp.ca_cert_path().display().to_string()])
        .args(["--service", &service, "status"])
        .env("XDG_DATA_HOME", data.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(line.starts_with("error: store_unavailable: "), "{stderr}");
    assert!(line.contains("locked?"), "{line}");
}
