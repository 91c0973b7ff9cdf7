//! The page the browser gets from the loopback receiver tells the real outcome of the sign-in:
//! the receiver holds its answer until the code exchange and the ID-token checks are done. A
//! sign-in whose exchange fails (a confidential client with a wrong secret) shows the failure
//! and its stable code, not "signed in"; a successful one shows "signed in".
//!
//! The browser stand-in records the loopback answer it got (`TV_BROWSER_RECORD`,
//! `callback-response` lines). That variable is process-global: this binary runs this one test.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use support::Idp;
use tauri_plugin_token_vault::testing::{sign_in, OAuthClient};
use tauri_plugin_token_vault::SystemBrowser;
use tokio_util::sync::CancellationToken;

/// The `callback-response` records in `file` once there are `n` of them: the stand-in writes
/// its record after reading the answer, which may be just after the sign-in returned.
async fn callback_responses(file: &Path, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let found: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["event"] == "callback-response")
            .collect();
        if found.len() >= n || Instant::now() > deadline {
            assert_eq!(found.len(), n, "callback responses recorded");
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page's checks shared by both outcomes: the static, script-free page with its CSP.
fn static_page(page: &serde_json::Value) -> &str {
    assert_eq!(page["status"], 200, "{page}");
    assert_eq!(
        page["csp"], "default-src 'none'; style-src 'unsafe-inline'",
        "{page}"
    );
    let body = page["body"].as_str().expect("a page");
    assert!(!body.to_ascii_lowercase().contains("<script"), "{body}");
    body
}

#[tokio::test]
async fn the_loopback_page_tells_the_outcome_of_the_code_exchange() {
    let work = tempfile::tempdir().unwrap();
    let record = work.path().join("browser-record.jsonl");
    // Inherited by the stand-in the system-browser step spawns ($BROWSER, set by the support
    // module). This binary runs this one test, so no other thread reads the environment.
    std::env::set_var("TV_BROWSER_RECORD", &record);
    let idp = Idp::start();
    let extra = BTreeMap::new();

    // The exchange fails: the provider refuses the client's secret.
    let config = idp
        .provider()
        .client_id(support::CONFIDENTIAL_CLIENT)
        .client_secret("wrong");
    let client = OAuthClient::discover(config).await.unwrap();
    let e = sign_in(&client, &SystemBrowser, &extra, CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "token_exchange_failed", "{e}");
    assert!(e.to_string().contains("invalid_client"), "{e}");
    let failed = callback_responses(&record, 1).await.remove(0);
    let body = static_page(&failed);
    assert!(
        body.contains(
            "Sign-in failed (token_exchange_failed). You can close this window and try again from \
             the app."
        ),
        "{body}"
    );
    assert!(!body.contains("signed in"), "{body}");
    assert!(
        !body.contains("invalid_client"),
        "only the stable code, never the provider's text: {body}"
    );
    assert_eq!(idp.stats().await["token"]["authorization_code"], 1);

    // The exchange and the ID-token checks succeed: the page says signed in.
    let client = OAuthClient::discover(idp.provider()).await.unwrap();
    let s = sign_in(&client, &SystemBrowser, &extra, CancellationToken::new())
        .await
        .expect("sign-in");
    assert_eq!(s.subject(), Some("alice"));
    let succeeded = callback_responses(&record, 2).await.remove(1);
    let body = static_page(&succeeded);
    assert!(
        body.contains("You are signed in. You can close this window and return to the app."),
        "{body}"
    );
    assert!(!body.contains("failed"), "{body}");
}
