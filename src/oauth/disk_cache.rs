//! The warm-start cache: a provider's discovery document and JWKS on disk (the app data
//! directory), so the first `get_token` after a launch costs one token-endpoint round trip and
//! nothing else on the network.
//!
//! Neither document is secret (both are public at the provider), but both are trusted: an entry
//! is used only while fresh (its HTTP lifetime, at most [`MAX_AGE`]), and goes through the same
//! checks as a fetched one (the metadata's `issuer` against the configuration, its endpoints'
//! schemes; the keys' types). A failed request made with cached metadata drops the entry and the
//! client built from it ([`crate::SessionManager`]), so the next call discovers again; an ID token
//! whose `kid` the cached keys lack refetches the JWKS as always. Entries are written whole
//! (a temporary file renamed over the old one): a crash leaves the old entry or the new one.
//! Any I/O or parse failure is a cache miss, never an error of the call.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::Clock;

/// The longest an entry is used, whatever the provider's `Cache-Control` says.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The lifetime of a document whose response names none.
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// The largest entry read back (a discovery document or JWKS is a few kB).
const MAX_ENTRY_BYTES: u64 = 1024 * 1024;
/// The entry format.
const VERSION: u8 = 1;

/// What a cache entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A discovery document (OpenID Connect Discovery or RFC 8414), keyed by its URL.
    Metadata,
    /// A JWKS, keyed by the `jwks_uri`.
    Jwks,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Metadata => "metadata",
            Kind::Jwks => "jwks",
        }
    }
}

/// One file: the document, where it came from, when, and for how long it may be used.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    v: u8,
    url: String,
    fetched_at: u64,
    max_age_secs: u64,
    doc: serde_json::Value,
}

/// A fresh entry read back.
#[derive(Debug)]
pub(crate) struct Hit {
    /// The document as the provider served it.
    pub(crate) doc: serde_json::Value,
    /// When it was fetched.
    pub(crate) fetched_at: SystemTime,
    /// How long it may be used from then.
    pub(crate) max_age: Duration,
}

/// The cache directory of one session manager (created at the first write).
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    dir: PathBuf,
    clock: Clock,
    /// What the documents were trusted under: a hash of the configured extra CA certificates.
    /// A document fetched with one set of trusted roots is never used under another.
    trust: [u8; 32],
}

impl DiskCache {
    /// A cache in `dir`, measuring ages with `clock`, for documents fetched while trusting
    /// the extra CA certificates `extra_ca_pems` (besides the bundled roots).
    pub(crate) fn new(dir: impl Into<PathBuf>, clock: Clock, extra_ca_pems: &[Vec<u8>]) -> Self {
        let mut trust = Sha256::new();
        for pem in extra_ca_pems {
            trust.update((pem.len() as u64).to_be_bytes());
            trust.update(pem);
        }
        Self {
            dir: dir.into(),
            clock,
            trust: trust.finalize().into(),
        }
    }

    /// The file of `url`'s document: a hash of the URL and the trust, so any URL makes a safe
    /// file name and each trust configuration has entries of its own.
    fn path(&self, kind: Kind, url: &Url) -> PathBuf {
        let hash = Sha256::new()
            .chain_update(self.trust)
            .chain_update(url.as_str().as_bytes())
            .finalize();
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{}-{hex}.json", kind.prefix()))
    }

    /// The lifetime to store a document with: its `Cache-Control` lifetime (`None`: it names
    /// none), capped at [`MAX_AGE`]. Zero (`no-store`, `no-cache`, `max-age=0`): not stored.
    pub(crate) fn lifetime(max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or(DEFAULT_MAX_AGE).min(MAX_AGE)
    }

    /// `url`'s document when a fresh entry for it exists.
    pub(crate) async fn load(&self, kind: Kind, url: &Url) -> Option<Hit> {
        let path = self.path(kind, url);
        let read = crate::task::spawn_blocking(move || read_entry(&path))
            .await
            .ok()??;
        if read.v != VERSION || read.url != url.as_str() {
            return None;
        }
        let fetched_at = UNIX_EPOCH + Duration::from_secs(read.fetched_at);
        let max_age = Duration::from_secs(read.max_age_secs).min(MAX_AGE);
        // An entry from the future (the clock went back, or it was planted) is not fresh.
        let age = self.clock.now().duration_since(fetched_at).ok()?;
        (age < max_age).then_some(Hit {
            doc: read.doc,
            fetched_at,
            max_age,
        })
    }

    /// Stores `url`'s document, fetched now, for `max_age` (nothing when zero). Failures are
    /// logged and otherwise ignored: the cache only saves time.
    pub(crate) async fn store(
        &self,
        kind: Kind,
        url: &Url,
        doc: &serde_json::Value,
        max_age: Duration,
    ) {
        if max_age.is_zero() {
            return self.remove(kind, url).await;
        }
        let fetched_at = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let entry = Entry {
            v: VERSION,
            url: url.to_string(),
            fetched_at,
            max_age_secs: max_age.as_secs(),
            doc: doc.clone(),
        };
        let (dir, path) = (self.dir.clone(), self.path(kind, url));
        let written = crate::task::spawn_blocking(move || write_entry(&dir, &path, &entry)).await;
        if let Ok(Err(e)) = written {
            log::warn!(
                "token-vault: caching the provider's {} failed: {e}",
                kind.prefix()
            );
        }
    }

    /// Drops `url`'s entry (a request made with it failed).
    pub(crate) async fn remove(&self, kind: Kind, url: &Url) {
        let path = self.path(kind, url);
        let _ = crate::task::spawn_blocking(move || std::fs::remove_file(path)).await;
    }
}

fn read_entry(path: &Path) -> Option<Entry> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

fn write_entry(dir: &Path, path: &Path, entry: &Entry) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    // Written beside the entry, then renamed over it: readers see the old entry or the new
    // one, never a half-written file. The name is unique per writer.
    let tmp = path.with_extension(format!(
        "{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn clocked(dir: &Path) -> (DiskCache, Arc<Mutex<SystemTime>>) {
        let now = Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000)));
        let read = Arc::clone(&now);
        let clock = Clock::from_fn(move || *read.lock().unwrap());
        (DiskCache::new(dir.join("cache"), clock, &[]), now)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[tokio::test]
    async fn an_entry_is_used_while_fresh_and_never_after_its_capped_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, now) = clocked(dir.path());
        let u = url("https://id.example.com/.well-known/openid-configuration");
        let doc = serde_json::json!({ "issuer": "https://id.example.com" });
        assert!(cache.load(Kind::Metadata, &u).await.is_none(), "empty");
        cache
            .store(Kind::Metadata, &u, &doc, Duration::from_secs(600))
            .await;
        let hit = cache.load(Kind::Metadata, &u).await.expect("fresh");
        assert_eq!(hit.doc, doc);
        assert_eq!(hit.max_age, Duration::from_secs(600));
        // Another kind or URL is another entry.
        assert!(cache.load(Kind::Jwks, &u).await.is_none());
        assert!(cache
            .load(Kind::Metadata, &url("https://other.example/"))
            .await
            .is_none());
        *now.lock().unwrap() += Duration::from_secs(600);
        assert!(
            cache.load(Kind::Metadata, &u).await.is_none(),
            "stale at max-age"
        );
        // A year-long max-age is capped at a day.
        cache
            .store(
                Kind::Metadata,
                &u,
                &doc,
                DiskCache::lifetime(Some(Duration::from_secs(31_536_000))),
            )
            .await;
        *now.lock().unwrap() += MAX_AGE - Duration::from_secs(1);
        assert!(cache.load(Kind::Metadata, &u).await.is_some());
        *now.lock().unwrap() += Duration::from_secs(1);
        assert!(
            cache.load(Kind::Metadata, &u).await.is_none(),
            "stale after a day"
        );
    }

    #[tokio::test]
    async fn no_store_future_entries_and_damaged_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, now) = clocked(dir.path());
        let u = url("https://id.example.com/jwks");
        let doc = serde_json::json!({ "keys": [] });
        assert_eq!(DiskCache::lifetime(Some(Duration::ZERO)), Duration::ZERO);
        assert_eq!(DiskCache::lifetime(None), DEFAULT_MAX_AGE);
        cache
            .store(Kind::Jwks, &u, &doc, Duration::from_secs(60))
            .await;
        assert!(cache.load(Kind::Jwks, &u).await.is_some());
        // `no-store` (lifetime zero) removes what was there.
        cache.store(Kind::Jwks, &u, &doc, Duration::ZERO).await;
        assert!(cache.load(Kind::Jwks, &u).await.is_none());
        // Written "later" than now (the clock went back): not fresh.
        cache
            .store(Kind::Jwks, &u, &doc, Duration::from_secs(60))
            .await;
        *now.lock().unwrap() -= Duration::from_secs(10);
        assert!(cache.load(Kind::Jwks, &u).await.is_none());
        *now.lock().unwrap() += Duration::from_secs(10);
        // Damaged, foreign or oversized files: misses, no panic, no error.
        let path = cache.path(Kind::Jwks, &u);
        for bad in [
            b"{not json".to_vec(),
            br#"{"v":2,"url":"https://id.example.com/jwks","fetchedAt":1800000000,"maxAgeSecs":60,"doc":{}}"#.to_vec(),
            br#"{"v":1,"url":"https://evil.example/jwks","fetchedAt":1800000000,"maxAgeSecs":60,"doc":{}}"#.to_vec(),
            vec![b' '; MAX_ENTRY_BYTES as usize + 1],
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(cache.load(Kind::Jwks, &u).await.is_none());
        }
        // No temporary files are left behind.
        cache
            .store(Kind::Jwks, &u, &doc, Duration::from_secs(60))
            .await;
        let names: Vec<String> = std::fs::read_dir(dir.path().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(
            names[0].starts_with("jwks-") && names[0].ends_with(".json"),
            "{names:?}"
        );
    }

    /// A document fetched while trusting one CA set is not used under another.
    #[tokio::test]
    async fn entries_are_kept_apart_by_the_trusted_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let cache = |pems: &[Vec<u8>]| DiskCache::new(dir.path(), Clock::system(), pems);
        let u = url("https://id.example.com/jwks");
        let doc = serde_json::json!({ "keys": [] });
        cache(&[b"corp-ca".to_vec()])
            .store(Kind::Jwks, &u, &doc, Duration::from_secs(60))
            .await;
        assert!(cache(&[b"corp-ca".to_vec()])
            .load(Kind::Jwks, &u)
            .await
            .is_some());
        assert!(cache(&[]).load(Kind::Jwks, &u).await.is_none());
        assert!(cache(&[b"other-ca".to_vec()])
            .load(Kind::Jwks, &u)
            .await
            .is_none());
    }

    #[tokio::test]
    async fn an_unwritable_directory_is_a_silent_miss() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let cache = DiskCache::new(file.join("cache"), Clock::system(), &[]);
        let u = url("https://id.example.com/jwks");
        cache
            .store(
                Kind::Jwks,
                &u,
                &serde_json::json!({}),
                Duration::from_secs(60),
            )
            .await;
        assert!(cache.load(Kind::Jwks, &u).await.is_none());
    }
}
