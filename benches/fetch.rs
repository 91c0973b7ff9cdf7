//! Benchmark (not a test): `SessionManager::fetch` against a direct `reqwest` call to the same
//! endpoint (a local resource server on 127.0.0.1), both with a bearer token and a pooled
//! connection. Run: `scripts/bench.sh`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use tauri_plugin_token_vault::fetch::FetchRequest;
use tauri_plugin_token_vault::redirect::SystemBrowser;
use tauri_plugin_token_vault::session::SessionManager;
use tokio_util::sync::CancellationToken;

async fn median_us<F, Fut>(batches: usize, iters: u32, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::new();
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..iters {
            f().await;
        }
        samples.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

fn main() {
    support::require_secret_service();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let idp = support::Idp::start();
    let server = support::RecordingServer::start().await;
    let mut config = idp.provider();
    config.fetch_allowlist = vec![server.origin.to_string()];
    let m = SessionManager::new(
        &support::unique_service("bench-fetch"),
        HashMap::from([("p".to_string(), config)]),
    );
    m.login(
        "p",
        "a",
        &SystemBrowser,
        &BTreeMap::new(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
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

    let via_fetch = median_us(11, 300, || {
        let (m, url) = (&m, url.clone());
        async move {
            let r = m.fetch("p", "a", FetchRequest::get(url)).await.unwrap();
            assert_eq!(r.status, 200);
        }
    })
    .await;
    let via_reqwest = median_us(11, 300, || {
        let (c, url, t) = (&direct, url.clone(), token.secret().to_string());
        async move {
            let r = c.get(url).bearer_auth(t).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
        }
    })
    .await;
    m.logout("p", "a").await.unwrap();
    println!("fetch benchmark (median; 2 cores; GET of a small JSON on 127.0.0.1)");
    println!("  direct reqwest with a bearer token     {via_reqwest:>8.1} µs/request");
    println!(
        "  SessionManager::fetch                  {via_fetch:>8.1} µs/request   fetch/direct = {:.2}x ({:+.1} µs)",
        via_fetch / via_reqwest,
        via_fetch - via_reqwest
    );
}
