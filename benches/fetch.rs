//! Benchmark (not a test): `SessionManager::fetch` against a direct `reqwest` call to the same
//! endpoint (a local resource server on 127.0.0.1), both with a bearer token and a pooled
//! connection. Run: `scripts/bench.sh`.

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use tauri_plugin_token_vault::FetchRequest;
use tauri_plugin_token_vault::SessionManager;

fn main() {
    support::require_secret_service();
    common::block_on(run());
}

async fn run() {
    let idp = support::Idp::start();
    let server = support::RecordingServer::start().await;
    let config = idp.provider().fetch_allowlist(
        tauri_plugin_token_vault::Allowlist::parse([server.origin.as_str()]).unwrap(),
    );
    let m = SessionManager::new(
        &support::unique_service("bench-fetch"),
        HashMap::from([("p".to_string(), config)]),
    );
    support::sign_in(&m, "p", "a").await;
    let url = server.url("/api/me");
    let token = m.get_token("p", "a", Duration::ZERO).await.unwrap();
    let direct = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Warm both connection pools.
    m.fetch("p", "a", FetchRequest::get(url.clone()))
        .await
        .unwrap();
    direct
        .get(url.clone())
        .bearer_auth(token.secret())
        .send()
        .await
        .unwrap();

    let via_fetch = common::median_ns_async(11, 300, || {
        let (m, url) = (&m, url.clone());
        async move {
            let r = m.fetch("p", "a", FetchRequest::get(url)).await.unwrap();
            assert_eq!(r.status, 200);
        }
    })
    .await;
    let via_reqwest = common::median_ns_async(11, 300, || {
        let (c, url, t) = (&direct, url.clone(), token.secret().to_string());
        async move {
            let r = c.get(url).bearer_auth(t).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
        }
    })
    .await;
    let (via_fetch, via_reqwest) = (via_fetch / 1e3, via_reqwest / 1e3);
    m.logout("p", "a").await.unwrap();
    println!("fetch benchmark (median; 2 cores; GET of a small JSON on 127.0.0.1)");
    println!("  direct reqwest with a bearer token     {via_reqwest:>8.1} µs/request");
    println!(
        "  SessionManager::fetch                  {via_fetch:>8.1} µs/request   fetch/direct = {:.2}x ({:+.1} µs)",
        via_fetch / via_reqwest,
        via_fetch - via_reqwest
    );
}
