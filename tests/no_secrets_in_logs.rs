//! A full login / refresh / logout cycle against the real provider and Secret Service with every
//! `log` record captured at trace level: no token appears in the logs, in any `Debug` output
//! or in the session events.

mod support;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tauri_plugin_token_vault::session::SessionManager;
use tauri_plugin_token_vault::vault::Vault;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        LINES.lock().unwrap().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

#[tokio::test]
async fn no_token_in_logs_debug_output_or_events() {
    static CAPTURE: Capture = Capture;
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    support::require_secret_service();
    let idp = support::Idp::start();
    let service = support::unique_service("no-secrets");
    let vault = Vault::platform(&service).unwrap();
    let m = SessionManager::new(&service, HashMap::from([("p".to_string(), idp.provider())]));
    let mut events = m.subscribe();
    let mut printed = Vec::new();
    let mut secrets = Vec::new();

    let status = support::sign_in(&m, "p", "a").await;
    printed.push(format!("{status:?} {m:?} {vault:?}"));
    let record = vault.load_record("p", "a").unwrap().unwrap();
    printed.push(format!("{record:?}"));
    secrets.push(record.refresh_token.secret().to_string());
    secrets.push(record.id_token.as_ref().unwrap().secret().to_string());
    let at = m.get_token("p", "a", Duration::ZERO).await.unwrap();
    printed.push(format!("{at:?}"));
    secrets.push(at.secret().to_string());

    printed.push(format!("{:?}", m.refresh("p", "a").await.unwrap()));
    let record = vault.load_record("p", "a").unwrap().unwrap();
    secrets.push(record.refresh_token.secret().to_string());
    let at = m.get_token("p", "a", Duration::ZERO).await.unwrap();
    secrets.push(at.secret().to_string());
    printed.push(format!("{:?}", m.status("p", "a").await.unwrap()));

    let report = m.logout("p", "a").await.unwrap();
    // The end-session URL carries the ID token by design (`id_token_hint`): the report's Debug
    // must still not show it.
    let latest_id_token = record.id_token.as_ref().unwrap().secret().to_string();
    assert!(report
        .end_session_url
        .as_ref()
        .unwrap()
        .as_str()
        .contains(&latest_id_token));
    secrets.push(latest_id_token);
    printed.push(format!("{report:?}"));
    printed.push(format!(
        "{:?}",
        m.get_token("p", "a", Duration::ZERO).await.unwrap_err()
    ));
    while let Ok(e) = events.try_recv() {
        printed.push(format!("{e:?}"));
        printed.push(serde_json::to_string(&e).unwrap());
    }

    let logs = LINES.lock().unwrap().clone();
    assert!(
        logs.iter().any(|l| l.contains("token-vault")),
        "the capture works: {} lines",
        logs.len()
    );
    assert!(secrets.iter().all(|s| s.len() > 20));
    for s in &secrets {
        for l in &logs {
            assert!(!l.contains(s.as_str()), "a token in a log line: {l}");
        }
        for p in &printed {
            assert!(!p.contains(s.as_str()), "a token in Debug output: {p}");
        }
    }
    eprintln!(
        "{} log lines, {} Debug/event texts checked against {} tokens",
        logs.len(),
        printed.len(),
        secrets.len()
    );
}
