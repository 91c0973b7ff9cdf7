//! The credential store against the real Secret Service (gnome-keyring on a private D-Bus
//! session, provided by scripts/with-keyring.sh): the conformance suite, and what a missing or
//! locked store gives.

mod support;

use std::process::Command;

use tauri_plugin_token_vault::testing::{conformance, Vault, WINDOWS_BLOB_LIMIT};

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

#[test]
fn a_chunked_value_is_several_secret_service_items_each_within_the_limit() {
    support::require_secret_service();
    let service = support::unique_service("chunks");
    let v = Vault::platform(&service)
        .unwrap()
        .with_chunk_limit(Some(WINDOWS_BLOB_LIMIT));
    let value: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    v.set("p/a", &value).unwrap();
    // Read the items with libsecret's own tool, not through the vault: `p/a`, then the parts
    // of its first write's generation, `p/a#1.1`, `p/a#1.2`…
    let lookup = |user: &str| {
        Command::new("secret-tool")
            .args(["lookup", "service", &service, "username", user])
            .output()
            .unwrap()
            .stdout
    };
    let mut items = vec![lookup("p/a")];
    for i in 1.. {
        let item = lookup(&format!("p/a#1.{i}"));
        if item.is_empty() {
            break;
        }
        items.push(item);
    }
    assert_eq!(
        items.len(),
        4,
        "10 000 bytes in 2560-byte items: the first holds a header"
    );
    for (i, item) in items.iter().enumerate() {
        assert!(
            !item.is_empty() && item.len() <= WINDOWS_BLOB_LIMIT,
            "item {i}: {} bytes",
            item.len()
        );
    }
    assert!(
        items[0].starts_with(b"\0tv-chunks:2:1:4:"),
        "the header names generation 1 and 4 parts"
    );
    assert_eq!(&v.get("p/a").unwrap().unwrap()[..], &value[..]);
    v.delete("p/a").unwrap();
    for user in ["p/a", "p/a#1.1", "p/a#1.3"] {
        assert!(lookup(user).is_empty(), "{user} deleted");
    }
}

#[tokio::test]
async fn the_refresh_token_is_nowhere_else_on_disk() {
    support::require_secret_service();
    // Whole seconds: some file systems keep coarse modification times.
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let idp = support::Idp::start();
    let locks = tempfile::tempdir().unwrap();
    let service = support::unique_service("on-disk");
    let m = tauri_plugin_token_vault::SessionManager::new(
        &service,
        std::collections::HashMap::from([("idp".to_string(), idp.provider())]),
    )
    .with_lock_dir(locks.path());
    support::sign_in(&m, "idp", "default").await;
    m.refresh("idp", "default").await.unwrap();
    m.refresh("idp", "default").await.unwrap();
    let record = Vault::platform(&service)
        .unwrap()
        .load_record("idp", "default")
        .unwrap()
        .unwrap();
    let at = m
        .get_token("idp", "default", std::time::Duration::ZERO)
        .await
        .unwrap();
    let rt = record
        .refresh_token
        .as_ref()
        .unwrap()
        .secret()
        .as_bytes()
        .to_vec();
    let id = record
        .id_token
        .as_ref()
        .unwrap()
        .secret()
        .as_bytes()
        .to_vec();
    let needles: [&[u8]; 3] = [&rt, at.secret().as_bytes(), &id];
    assert!(
        locks.path().read_dir().unwrap().next().is_some(),
        "the lock directory was used"
    );
    // The lock (app data) directory, the data directory (where gnome-keyring keeps its encrypted
    // keyring file) and the temp directory: no plaintext token in any file.
    let mut dirs = vec![locks.path().to_path_buf(), std::env::temp_dir()];
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        dirs.push(d.into());
    }
    for dir in &dirs {
        let hits = support::files_containing(dir, &needles, since);
        assert!(
            hits.is_empty(),
            "tokens on disk under {}: {hits:?}",
            dir.display()
        );
    }
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
