//! Benchmark (not a test): what an app pays at start-up and for its first authorized request.
//! Runs against the real provider and the real Secret Service: `scripts/bench.sh`.
//!
//! - **Plugin init**: building a (mock-runtime) Tauri app with the plugin, against the same app
//!   without it. Init only records paths; it reads no store, file or network.
//! - **First authorized response after launch** with a stored session: a new `SessionManager`
//!   (a new process, as far as the plugin can tell) makes one `fetch`. Cold: an empty
//!   warm-start cache (discovery, refresh, JWKS, API call); warm: the cache of an earlier run
//!   (refresh, API call). Each phase alone beside it, and the physical floor: one refresh round
//!   trip plus one API round trip, each on a new connection, measured alone.

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tauri_plugin_token_vault::testing::{sign_in, HttpClient, OAuthClient, Vault};
use tauri_plugin_token_vault::{Allowlist, FetchRequest, SessionManager};

const P: &str = "p";
const A: &str = "a";
const RUNS: usize = 9;

fn main() {
    support::require_secret_service();
    let init = init_ms();
    common::block_on(run(init));
}

/// Median milliseconds to build a mock Tauri app with and without the plugin.
fn init_ms() -> (f64, f64) {
    use tauri::test::{mock_builder, mock_context, noop_assets};
    let build = |with: bool| {
        let mut samples = Vec::new();
        for _ in 0..RUNS * 3 {
            let ctx = mock_context(noop_assets());
            let t = Instant::now();
            let builder = mock_builder();
            let builder = if with {
                builder.plugin(tauri_plugin_token_vault::init())
            } else {
                builder
            };
            let app = builder.build(ctx).expect("app");
            samples.push(t.elapsed().as_secs_f64() * 1e3);
            drop(app);
        }
        median(samples)
    };
    // Once each first: the first build pays one-time process costs.
    let _ = (build(true), build(false));
    (build(false), build(true))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

async fn run((bare, with_plugin): (f64, f64)) {
    let idp = support::Idp::start();
    let server = support::RecordingServer::start().await;
    let config = idp
        .provider()
        .fetch_allowlist(Allowlist::parse([server.origin.as_str()]).unwrap());
    let service = support::unique_service("bench-startup");
    let dir = tempfile::tempdir().unwrap();
    let warm_dir = dir.path().join("warm");
    let manager = |cache: &std::path::Path| {
        SessionManager::new(&service, HashMap::from([(P.to_string(), config.clone())]))
            .with_lock_dir(dir.path().join("locks"))
            .with_cache_dir(cache)
    };
    support::sign_in(&manager(&warm_dir), P, A).await;
    let api = server.url("/api/me");

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for i in 0..RUNS {
        let empty = dir.path().join(format!("cold-{i}"));
        for (cache, out) in [(&empty, &mut cold), (&warm_dir, &mut warm)] {
            let m = manager(cache);
            let t = Instant::now();
            let r = m.fetch(P, A, FetchRequest::get(api.clone())).await.unwrap();
            out.push(ms(t));
            assert_eq!(r.status, 200);
        }
    }

    // Each phase alone.
    let mut store = Vec::new();
    let mut discovery = Vec::new();
    let mut cached_client = Vec::new();
    let mut jwks_and_check = Vec::new();
    let mut refresh = Vec::new();
    let mut api_call = Vec::new();
    // A session of its own for the refresh round trips: each refresh rotates its token, and
    // this chain never touches the stored session.
    let floor_client = OAuthClient::discover(config.clone()).await.unwrap();
    let mut rt = sign_in(
        &floor_client,
        &tauri_plugin_token_vault::SystemBrowser,
        &Default::default(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap()
    .tokens
    .refresh_token
    .unwrap();
    let pem = std::fs::read(idp.ca_cert_path()).unwrap();
    for _ in 0..RUNS {
        let t = Instant::now();
        let record = Vault::platform(&service)
            .unwrap()
            .load_record(P, A)
            .unwrap();
        store.push(ms(t));
        assert!(record.is_some());

        let t = Instant::now();
        let c = OAuthClient::discover(config.clone()).await.unwrap();
        discovery.push(ms(t));
        let t = Instant::now();
        let _ = OAuthClient::discover_cached(config.clone(), &warm_dir)
            .await
            .unwrap();
        cached_client.push(ms(t));

        // A refresh on a new connection (the client and its HTTP client built beforehand).
        let fresh = OAuthClient::from_parts(
            config.clone(),
            floor_client.metadata().clone(),
            HttpClient::new(Duration::from_secs(10), std::slice::from_ref(&pem)).unwrap(),
        )
        .unwrap();
        let t = Instant::now();
        let tokens = fresh.refresh(&rt, None).await.unwrap();
        refresh.push(ms(t));
        rt = tokens.refresh_token.clone().unwrap();

        // The refreshed ID token checked by a client that has no keys yet (JWKS fetch).
        let t = Instant::now();
        c.verify_id_token(tokens.id_token.as_ref().unwrap(), None)
            .await
            .unwrap();
        jwks_and_check.push(ms(t));

        // The API call on a new connection.
        let direct = oauth2::reqwest::Client::builder()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let t = Instant::now();
        let r = direct
            .get(api.clone())
            .bearer_auth(tokens.access_token.secret())
            .send()
            .await
            .unwrap();
        let _ = r.bytes().await.unwrap();
        api_call.push(ms(t));
    }
    let (cold, warm) = (median(cold), median(warm));
    let (store, discovery, cached_client) =
        (median(store), median(discovery), median(cached_client));
    let (refresh, jwks_and_check, api_call) =
        (median(refresh), median(jwks_and_check), median(api_call));
    let floor = refresh + api_call;

    println!("startup benchmark (median of {RUNS}; 2 cores; provider and API on 127.0.0.1)");
    println!("  mock app build without the plugin      {bare:>8.2} ms");
    println!(
        "  mock app build with the plugin         {with_plugin:>8.2} ms   plugin init = {:.2} ms",
        with_plugin - bare
    );
    println!("  first authorized response, cold        {cold:>8.2} ms   (empty warm-start cache)");
    println!(
        "  first authorized response, warm        {warm:>8.2} ms   (cached discovery and JWKS)"
    );
    println!("  phases alone:");
    println!("    store read (open + read)             {store:>8.2} ms");
    println!("    client, discovered (new connection)  {discovery:>8.2} ms");
    println!("    client, from the warm-start cache    {cached_client:>8.2} ms");
    println!("    refresh round trip (new connection)  {refresh:>8.2} ms");
    println!("    JWKS fetch + ID-token check          {jwks_and_check:>8.2} ms");
    println!("    API round trip (new connection)      {api_call:>8.2} ms");
    println!("  floor: refresh + API round trips       {floor:>8.2} ms");
    println!("plugin init = {:.2} ms", with_plugin - bare);
    println!(
        "first authorized response after launch: cold {cold:.1} ms; warm {warm:.1} ms; floor {floor:.1} ms"
    );
}
