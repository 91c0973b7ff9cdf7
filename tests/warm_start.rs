//! The warm-start cache against the real provider and the real Secret Service: a new process
//! (a new `SessionManager`) with a stored session and a warm cache refreshes with one provider
//! request; stale or planted cache entries never cost a session.

mod support;

use std::path::Path;
use std::time::Duration;

use support::Bed;
use tauri_plugin_token_vault::{ProviderConfig, SessionManager};

const P: &str = "idp";
const A: &str = "default";

impl Bed {
    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    /// A manager as a newly launched app builds it (with or without the cache).
    fn manager(&self, cached: bool) -> SessionManager {
        self.manager_with(self.idp.provider(), cached)
    }

    fn manager_with(&self, config: ProviderConfig, cached: bool) -> SessionManager {
        let m = self.manager_for(P, config);
        if cached {
            m.with_cache_dir(self.cache())
        } else {
            m
        }
    }

    /// (discovery, jwks, refresh) requests the provider has answered.
    async fn counts(&self) -> (u64, u64, u64) {
        let s = self.idp.stats().await;
        (
            s["discovery"].as_u64().unwrap(),
            s["jwks"].as_u64().unwrap(),
            s["token"]["refresh_token"].as_u64().unwrap(),
        )
    }

    /// The cache entry files whose name starts with `prefix`.
    fn entries(&self, prefix: &str) -> Vec<std::path::PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.cache()) else {
            return Vec::new();
        };
        dir.map(|e| e.unwrap().path())
            .filter(|p| file_name(p).starts_with(prefix))
            .collect()
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Rewrites the `doc` of a cache entry file.
fn edit_entry(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut entry["doc"]);
    std::fs::write(path, serde_json::to_vec(&entry).unwrap()).unwrap();
}

#[tokio::test]
async fn after_a_launch_with_a_warm_cache_the_first_token_costs_one_refresh_request() {
    let bed = Bed::new("warm-start", &[]);
    let first = bed.manager(true);
    support::sign_in(&first, P, A).await;
    // Sign-in discovered the provider and fetched its keys: both cached.
    assert_eq!(bed.counts().await, (1, 1, 0));
    assert_eq!(bed.entries("metadata-").len(), 1);
    assert_eq!(bed.entries("jwks-").len(), 1);
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bed.entries("metadata-")[0]).unwrap()).unwrap();
    assert!(entry["maxAgeSecs"].as_u64().unwrap() <= 24 * 3600);
    drop(first);

    // A new launch: the stored session, the cached metadata and keys; the refresh (whose
    // response carries an ID token, checked against the cached keys) is the only request.
    let warm = bed.manager(true);
    let token = warm.get_token(P, A, Duration::from_secs(30)).await.unwrap();
    assert!(bed.idp.is_active(token.secret()).await);
    assert_eq!(
        bed.counts().await,
        (1, 1, 1),
        "no discovery, no JWKS request"
    );

    // The same launch without the cache: discovery, refresh, JWKS.
    let cold = bed.manager(false);
    cold.refresh(P, A).await.unwrap();
    assert_eq!(bed.counts().await, (2, 2, 2));
}

/// A planted entry that points the token endpoint elsewhere (a provider that moved, or a
/// tampered file) fails that one call as a network error and keeps the session; the entry is
/// dropped and the next call discovers again and refreshes.
#[tokio::test]
async fn a_stale_cached_endpoint_fails_one_call_keeps_the_session_then_rediscovers() {
    let bed = Bed::new("warm-stale", &[]);
    support::sign_in(&bed.manager(true), P, A).await;
    let dead = format!("https://127.0.0.1:{}/token", support::free_fixed_port());
    edit_entry(&bed.entries("metadata-")[0], |doc| {
        doc["token_endpoint"] = dead.clone().into();
    });

    let m = bed.manager(true);
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
    assert!(
        m.status(P, A).await.unwrap().signed_in,
        "the session is kept"
    );
    assert!(bed.entries("metadata-").is_empty(), "the entry was dropped");
    let (discovery, _, refreshes) = bed.counts().await;
    assert_eq!((discovery, refreshes), (1, 0));

    m.refresh(P, A).await.expect("rediscovered, refreshed");
    let (discovery, _, refreshes) = bed.counts().await;
    assert_eq!((discovery, refreshes), (2, 1));
    assert_eq!(bed.entries("metadata-").len(), 1, "cached again");
}

/// Cached keys that lack the ID token's `kid` (the provider rotated its keys since) are
/// refetched at once, even though the cached copy is seconds old; a cached document naming
/// another issuer is never used.
#[tokio::test]
async fn rotated_keys_are_refetched_and_a_foreign_issuer_entry_is_ignored() {
    let bed = Bed::new("warm-kid", &[]);
    support::sign_in(&bed.manager(true), P, A).await;
    edit_entry(&bed.entries("jwks-")[0], |doc| {
        for k in doc["keys"].as_array_mut().unwrap() {
            k["kid"] = "rotated-away".into();
        }
    });
    let m = bed.manager(true);
    m.refresh(P, A)
        .await
        .expect("the ID token checks out after a refetch");
    assert_eq!(bed.counts().await, (1, 2, 1), "one JWKS refetch");

    edit_entry(&bed.entries("metadata-")[0], |doc| {
        doc["issuer"] = "https://evil.example".into();
    });
    let m = bed.manager(true);
    m.refresh(P, A).await.unwrap();
    let (discovery, _, _) = bed.counts().await;
    assert_eq!(
        discovery, 2,
        "the foreign entry was not used: discovered again"
    );
}
