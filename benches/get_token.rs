//! Benchmark (not a test): `get_token` on the hot path against two baselines, and refresh
//! coalescing. Runs against the real provider and the real Secret Service:
//! `scripts/bench.sh` (or `scripts/with-keyring.sh cargo bench --bench get_token`).
//!
//! - hot `get_token` (fresh access token in memory)
//! - baseline: cloning a `String` out of an `Arc<RwLock<String>>`
//! - baseline: one credential-store read per call (what a store-backed getter would pay)
//! - 1000 concurrent callers at expiry: wall time and refresh requests, against one refresh

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tauri_plugin_token_vault::testing::Vault;
use tauri_plugin_token_vault::SessionManager;

fn main() {
    support::require_secret_service();
    common::block_on(run());
}

async fn run() {
    let idp = support::Idp::start_with(&[("IDP_ACCESS_TTL", "2")]);
    let service = support::unique_service("bench");
    let config = idp.provider().refresh_leeway_secs(0);
    let m = Arc::new(SessionManager::new(
        &service,
        HashMap::from([("p".to_string(), config)]),
    ));
    support::sign_in(&m, "p", "a").await;

    // Hot path against an in-memory baseline.
    // Borrowed, not cloned per call: an `Arc` clone would be the harness's cost, not
    // `get_token`'s.
    let manager = &m;
    let hot = common::median_ns_async(21, 20_000, move || async move {
        black_box(manager.get_token("p", "a", Duration::ZERO).await.unwrap());
    })
    .await;
    // The same token text as the hot path returns, so both clone the same number of bytes.
    let token = m.get_token("p", "a", Duration::ZERO).await.unwrap();
    let baseline = Arc::new(RwLock::new(token.secret().to_string()));
    let rwlock = common::median_ns(21, 200_000, || {
        black_box(baseline.read().unwrap().clone());
    });
    let vault = Vault::platform(&service).unwrap();
    let store = common::median_ns(11, 50, || {
        black_box(vault.load_record("p", "a").unwrap());
    });

    // One refresh alone.
    let mut single = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        m.refresh("p", "a").await.unwrap();
        single.push(t.elapsed());
    }
    single.sort();
    let single = single[single.len() / 2];

    // 1000 concurrent callers at expiry.
    let mut walls = Vec::new();
    let mut refreshes = Vec::new();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let before = idp.stats().await["token"]["refresh_token"]
            .as_u64()
            .unwrap();
        let t = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..1000 {
            let m = m.clone();
            tasks.spawn(async move { m.get_token("p", "a", Duration::ZERO).await.map(|_| ()) });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
        walls.push(t.elapsed());
        refreshes.push(
            idp.stats().await["token"]["refresh_token"]
                .as_u64()
                .unwrap()
                - before,
        );
    }
    walls.sort();
    let wall = walls[1];
    m.logout("p", "a").await.unwrap();

    println!("get_token benchmark (median; 2 cores)");
    println!("  hot get_token                          {hot:>10.0} ns/call");
    println!(
        "  baseline Arc<RwLock<String>> clone     {rwlock:>10.0} ns/call   hot/baseline = {:.1}x",
        hot / rwlock
    );
    println!(
        "  baseline one Secret Service read       {store:>10.0} ns/call   store/hot = {:.0}x",
        store / hot
    );
    println!(
        "  one refresh (provider round trip)      {:>10.2} ms",
        single.as_secs_f64() * 1e3
    );
    println!(
        "  1000 concurrent callers at expiry      {:>10.2} ms wall, refresh requests per round {refreshes:?} (vs 1000 sequential refreshes ≈ {:.0} ms)",
        wall.as_secs_f64() * 1e3,
        single.as_secs_f64() * 1e3 * 1000.0
    );
    // The summary line `scripts/bench.sh` promises, exactly.
    println!("hot/baseline = {:.1}x", hot / rwlock);
}
