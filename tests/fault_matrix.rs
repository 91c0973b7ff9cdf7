//! The fault matrix (issue 8, "hardening"): each fault against the real provider (behind the
//! fault-injecting TLS proxy of `tests/support/fault_proxy.rs`, which the provider names as its
//! issuer) and the real Secret Service. Each test checks the error code the caller gets, whether
//! the session survived (status, and a token once the fault is gone), what the store holds, and
//! which refresh tokens the provider says are active afterwards (RFC 7662 introspection of every
//! refresh token it issued in the test, named RT1, RT2… in the order issued).
//!
//! Each test prints its row (`cargo test --test fault_matrix -- --nocapture`). The matrix as
//! measured (`scripts/with-keyring.sh`, oidc-provider 9.13.3 with strict rotation and reuse
//! detection):
//!
//! | fault | error code | session survived | RT live at provider |
//! |---|---|---|---|
//! | provider down (connection refused) | `network` | yes | yes (the stored one only) |
//! | HTTP 503 from the token endpoint (body: `invalid_grant`) | `network` | yes | yes (the stored one only) |
//! | slow beyond `httpTimeoutSecs` (held 60 s, timeout 1 s) | `network` | yes | yes (the stored one only) |
//! | malformed JSON (HTTP 200, cut off) | `invalid_response` | yes | yes (the stored one only) |
//! | HTTP 200 with `{"error":"invalid_grant"}` | `session_expired` (+ event, store wiped; before issue 9 item 3: `invalid_response`, session kept) | no (the provider's refusal, as with a 400) | yes: RT1 (the provider never saw the refresh; orphaned until its TTL) |
//! | `invalid_grant` (RT revoked at the provider) | `session_expired` (+ event, store wiped) | no (by design) | no |
//! | answer lost after the provider rotated | `network`, then `session_expired` at the next refresh (+ event, store wiped) | no (inherent: RT2 never arrived, RT1 is spent) | no (RT2 revoked by the provider's reuse detection) |
//! | JWKS down during refresh (cold key cache) | `network` | yes (the rotated RT is stored before the ID-token check) | yes (the rotated one only) |
//! | store locked during the save of a rotation | `store_unavailable` | yes (rotated RT kept in memory, stored first on the next call) | yes (the stored one only) |
//! | store absent (no D-Bus session) | `store_unavailable` (no token in any file: no plaintext fallback) | yes (untouched; works with the store back) | yes (the stored one only); a sign-in without a store leaves none (before c48c8fb its RT was left live, orphaned: found by this row) |
//! | corrupted record | `store_corrupted` (+ event, record wiped) | no (by design; signing in again works) | yes: the unreadable record's RT (orphaned until its TTL) |
//! | SIGKILL between receiving and persisting a rotation | none in the killed run; next run none or `session_expired` (+ event) | one of two, both seen: spent RT kept, next run `session_expired` (11 of 15 kills in 3 runs, killed 0–3 ms after the answer reached its socket), or rotation stored, next run works (4 of 15) | yes when the rotation was stored; else no (grant revoked) |
//! | browser abandoned (sign-in never completed) | `login_timed_out` | yes (the old session untouched) | yes (the old one only) |
//! | second app instance refreshing at once (3 rounds) | none | yes | yes (the stored one only) |

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
mod support;

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use fault_proxy::{Event, Fault, FaultProxy};
use support::Idp;
use tauri_plugin_token_vault::testing::Vault;
use tauri_plugin_token_vault::{
    LoginCancel, ProviderConfig, SessionEvents, SessionManager, SessionState, SystemBrowser,
};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The CLI's provider id: CLI children and in-process managers share the same records.
const P: &str = "default";
const A: &str = "default";

/// The test run has one gnome-keyring (`scripts/with-keyring.sh`); the store-locked row locks
/// it, so that test holds it alone and every other test shares it.
static KEYRING: LazyLock<RwLock<()>> = LazyLock::new(|| RwLock::new(()));

/// A guard on [`KEYRING`], held for the test's lifetime (never read).
#[allow(dead_code)]
enum KeyringUse {
    Shared(RwLockReadGuard<'static, ()>),
    Alone(RwLockWriteGuard<'static, ()>),
}

/// One test's world: the proxy, the provider behind it (recording its token exchanges), a
/// service name of its own in the Secret Service and a lock directory.
struct Bed {
    proxy: FaultProxy,
    idp: Idp,
    service: String,
    locks: tempfile::TempDir,
    _keyring: KeyringUse,
}

impl Bed {
    async fn new(test: &str) -> Self {
        Self::start(test, KeyringUse::Shared(KEYRING.read().await))
    }

    async fn alone(test: &str) -> Self {
        Self::start(test, KeyringUse::Alone(KEYRING.write().await))
    }

    fn start(test: &str, keyring: KeyringUse) -> Self {
        support::require_secret_service();
        // The proxy's port first: the provider must name it as its issuer.
        let proxy = FaultProxy::bind();
        let (idp, upstream) = Idp::start_behind(&proxy.origin(), &[("IDP_RECORD_TOKENS", "1")]);
        proxy.serve(&upstream, &idp.ca_cert, &idp.tls_key_path());
        Bed {
            proxy,
            idp,
            service: support::unique_service(test),
            locks: tempfile::tempdir().unwrap(),
            _keyring: keyring,
        }
    }

    fn manager_with(&self, config: ProviderConfig) -> SessionManager {
        SessionManager::new(&self.service, HashMap::from([(P.to_string(), config)]))
            .with_lock_dir(self.locks.path())
    }

    fn manager(&self) -> SessionManager {
        self.manager_with(self.idp.provider())
    }

    fn vault(&self) -> Vault {
        Vault::platform(&self.service).unwrap()
    }

    /// The CLI example in a child process, on this bed's provider, store and lock directory.
    fn cli(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = support::cli();
        c.args(["--issuer", self.idp.issuer.as_str()])
            .args(["--client-id", support::NATIVE_CLIENT])
            .args(["--ca-cert", &self.idp.ca_cert.display().to_string()])
            .args(["--service", &self.service])
            .args(["--data-dir", &self.locks.path().display().to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tokio::process::Command::from(c)
    }

    /// Every refresh token the provider issued in this test, in order (RT1 is the sign-in's).
    async fn issued(&self) -> Vec<String> {
        let mut rts: Vec<String> = Vec::new();
        for x in self.idp.token_exchanges().await {
            if let Some(rt) = x["issued"]["refresh_token"].as_str() {
                if !rts.iter().any(|t| t == rt) {
                    rts.push(rt.to_string());
                }
            }
        }
        rts
    }

    /// The name (`RT<n>`) of an issued refresh token; messages carry names, never tokens.
    async fn name_of(&self, token: &str) -> String {
        match self.issued().await.iter().position(|t| t == token) {
            Some(i) => format!("RT{}", i + 1),
            None => "a refresh token the provider never issued".into(),
        }
    }

    /// The names of the issued refresh tokens the provider says are active.
    async fn live(&self) -> Vec<String> {
        let mut live = Vec::new();
        for (i, rt) in self.issued().await.iter().enumerate() {
            if self.idp.is_active(rt).await {
                live.push(format!("RT{}", i + 1));
            }
        }
        live
    }

    /// The name of the refresh token in the store, `None` when there is no record.
    async fn stored(&self) -> Option<String> {
        let record = self
            .vault()
            .load_record(P, A)
            .expect("the record reads back")?;
        Some(
            self.name_of(record.refresh_token.as_ref().unwrap().secret())
                .await,
        )
    }

    /// Refresh requests the provider received (whatever their outcome).
    async fn refreshes(&self) -> u64 {
        self.idp.stats().await["token"]["refresh_token"]
            .as_u64()
            .unwrap()
    }
}

/// Prints the test's row of the matrix.
fn row(fault: &str, code: &str, survived: &str, live: &str) {
    println!("| {fault} | {code} | {survived} | {live} |");
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The events sent so far, as `(state, reason)`.
fn drain(events: &mut SessionEvents) -> Vec<(SessionState, String)> {
    std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason.as_str().to_string()))
        .collect()
}

/// The session ended cleanly with `session_expired`: exactly one `signedOut` event with that
/// reason, the store wiped, the status signed out, and later calls `not_signed_in`.
async fn ended_by_session_expired(bed: &Bed, m: &SessionManager, events: &mut SessionEvents) {
    assert_eq!(
        drain(events),
        vec![(SessionState::SignedOut, "session_expired".into())]
    );
    assert_eq!(bed.stored().await, None, "store wiped");
    assert!(!m.status(P, A).await.unwrap().signed_in);
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
}

/// A fault the session must ride out: signs in (RT1), injects the fault, and checks that a
/// forced refresh and a caller needing a longer-lived token both get `code`, that the current
/// access token is still served, that nothing changed (no event, RT1 in the store, RT1 still
/// active: the provider never spent it), and that once the fault is cleared the next refresh
/// rotates as usual and only the new token (RT2) is live. Returns the refresh's error message.
async fn rides_out(
    bed: &Bed,
    m: &SessionManager,
    code: &str,
    inject: impl FnOnce(),
    clear: impl FnOnce(),
) -> String {
    support::sign_in(m, P, A).await;
    let mut events = m.subscribe();
    inject();
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    let e2 = m
        .get_token(P, A, Duration::from_secs(7200))
        .await
        .unwrap_err();
    assert_eq!(e2.code(), code, "{e2}");
    m.get_token(P, A, Duration::ZERO)
        .await
        .expect("the current access token is still served");
    assert!(m.status(P, A).await.unwrap().signed_in);
    clear();
    assert_eq!(drain(&mut events), vec![], "no session change");
    assert_eq!(
        bed.stored().await.as_deref(),
        Some("RT1"),
        "store untouched"
    );
    assert_eq!(bed.refreshes().await, 0, "the provider saw no refresh");
    assert_eq!(
        bed.live().await,
        names(&["RT1"]),
        "the fault spent no token"
    );
    m.refresh(P, A)
        .await
        .expect("a refresh once the fault is gone");
    assert_eq!(bed.stored().await.as_deref(), Some("RT2"));
    assert_eq!(bed.live().await, names(&["RT2"]), "only the newest is live");
    e.to_string()
}

/// Provider down (the proxy refuses connections): `network`, the session and its refresh token
/// are kept, and it refreshes once the provider is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_is_network_and_keeps_the_session() {
    let bed = Bed::new("fm-down").await;
    let m = bed.manager();
    let down = || bed.proxy.down();
    let e = rides_out(&bed, &m, "network", down, || bed.proxy.up()).await;
    assert!(!e.contains("certificate"), "{e}");
    row(
        "provider down (connection refused)",
        "`network`",
        "yes",
        "yes (the stored one only)",
    );
}

/// A 5xx from the token endpoint, even one whose body says `invalid_grant`: `network`, never
/// `session_expired`; the session and its refresh token are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_even_with_an_invalid_grant_body_is_network_and_keeps_the_session() {
    let bed = Bed::new("fm-5xx").await;
    let m = bed.manager();
    let inject = || bed.proxy.set("/token", Fault::status(503, "invalid_grant"));
    let e = rides_out(&bed, &m, "network", inject, || bed.proxy.clear()).await;
    assert!(e.contains("503"), "{e}");
    row(
        "HTTP 503 from the token endpoint (body: `invalid_grant`)",
        "`network`",
        "yes",
        "yes (the stored one only)",
    );
}

/// A provider slower than `httpTimeoutSecs` (the proxy holds the request): `network` ("timed
/// out"), the session and its refresh token are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_slower_than_the_timeout_is_network_and_keeps_the_session() {
    let bed = Bed::new("fm-slow").await;
    let m = bed.manager_with(bed.idp.provider().http_timeout_secs(1));
    let inject = || {
        bed.proxy
            .set("/token", Fault::Delay(Duration::from_secs(60)))
    };
    let e = rides_out(&bed, &m, "network", inject, || bed.proxy.clear()).await;
    assert!(e.contains("timed out"), "{e}");
    row(
        "slow beyond `httpTimeoutSecs` (held 60 s, timeout 1 s)",
        "`network`",
        "yes",
        "yes (the stored one only)",
    );
}

/// A token response that is not JSON: `invalid_response`, the session and its refresh token are
/// kept (the provider never saw the request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_token_response_is_invalid_response_and_keeps_the_session() {
    let bed = Bed::new("fm-malformed").await;
    let m = bed.manager();
    let inject = || bed.proxy.set("/token", Fault::malformed_json());
    rides_out(&bed, &m, "invalid_response", inject, || bed.proxy.clear()).await;
    row(
        "malformed JSON (HTTP 200, cut off)",
        "`invalid_response`",
        "yes",
        "yes (the stored one only)",
    );
}

/// HTTP 200 whose body is an error (`{"error":"invalid_grant"}`, as GitHub and Slack answer
/// errors): the refusal it says, like a 400 with that body: `session_expired`, one event, the
/// store wiped, later calls `not_signed_in`. The provider never saw the refresh (the proxy
/// answered), so its refresh token is still live there: nothing revokes a token its provider
/// has just called dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_200_with_an_invalid_grant_body_ends_the_session() {
    let bed = Bed::new("fm-200-error").await;
    let m = bed.manager();
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    bed.proxy.set("/token", Fault::status(200, "invalid_grant"));
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(e.to_string().contains("invalid_grant"), "{e}");
    bed.proxy.clear();
    ended_by_session_expired(&bed, &m, &mut events).await;
    assert_eq!(bed.refreshes().await, 0, "the provider saw no refresh");
    assert_eq!(bed.live().await, names(&["RT1"]));
    row(
        "HTTP 200 with `{\"error\":\"invalid_grant\"}`",
        "`session_expired` (+ event, store wiped)",
        "no (the provider's refusal, as with a 400)",
        "yes: RT1 (the provider never saw the refresh; orphaned until its TTL)",
    );
}

/// The refresh token revoked at the provider: `session_expired`, one event, the store wiped,
/// later calls `not_signed_in`, and no refresh token is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_ends_the_session_cleanly() {
    let bed = Bed::new("fm-invalid-grant").await;
    let m = bed.manager();
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    let rt1 = bed
        .vault()
        .load_record(P, A)
        .unwrap()
        .unwrap()
        .refresh_token
        .unwrap();
    bed.idp.revoke(rt1.secret(), "refresh_token").await;
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(e.to_string().contains("invalid_grant"), "{e}");
    ended_by_session_expired(&bed, &m, &mut events).await;
    assert_eq!(bed.live().await, names(&[]));
    row(
        "`invalid_grant` (RT revoked at the provider)",
        "`session_expired` (+ event, store wiped)",
        "no (by design)",
        "no",
    );
}

/// The provider rotates but its answer is lost (the proxy forwards the refresh and drops the
/// answer): `network` and nothing changes locally, but the stored refresh token is spent, so the
/// next refresh ends the session with `session_expired` (reuse detection revokes the grant,
/// the undelivered RT2 with it). Inherent to strict rotation: nothing on the client can get
/// RT2 back. The test proves the client neither panics nor loops, and ends cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_rotation_answer_is_network_then_a_clean_session_expired() {
    let bed = Bed::new("fm-lost").await;
    let m = bed.manager();
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    bed.proxy.once("/token", Fault::DropAnswer);
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
    assert_eq!(
        bed.proxy.hits("/token"),
        (2, 2),
        "sign-in and the refresh reached the provider"
    );
    assert_eq!(
        bed.refreshes().await,
        1,
        "the provider processed the refresh"
    );
    assert!(m.status(P, A).await.unwrap().signed_in);
    assert_eq!(drain(&mut events), vec![]);
    assert_eq!(bed.stored().await.as_deref(), Some("RT1"));
    assert_eq!(
        bed.live().await,
        names(&["RT2"]),
        "RT1 is spent; RT2 was issued and never delivered"
    );

    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    ended_by_session_expired(&bed, &m, &mut events).await;
    assert_eq!(
        bed.live().await,
        names(&[]),
        "reuse detection revoked the grant"
    );
    row(
        "answer lost after the provider rotated",
        "`network`, then `session_expired` at the next refresh (+ event, store wiped)",
        "no (inherent: RT2 never arrived and RT1 is spent)",
        "no (RT2 revoked by the provider's reuse detection)",
    );
}

/// The JWKS unreachable while a fresh manager (cold key cache) refreshes: the rotated refresh
/// token is stored before the refreshed ID token is checked, so the caller gets `network` but
/// the session survives on the new token, and works once the JWKS is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_down_during_refresh_is_network_and_the_rotated_token_is_kept() {
    let bed = Bed::new("fm-jwks").await;
    support::sign_in(&bed.manager(), P, A).await;
    // A new manager, as in a new process: the session comes from the store, no key cached.
    let m = bed.manager();
    let mut events = m.subscribe();
    let (jwks_seen, jwks_forwarded) = bed.proxy.hits("/jwks");
    bed.proxy.set("/jwks", Fault::Close);
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
    let last = bed.idp.token_exchanges().await.pop().unwrap();
    assert_eq!(last["grant_type"], "refresh_token");
    assert!(
        last["issued"]["id_token"].is_string(),
        "the refresh answered an ID token, which must be verified"
    );
    assert_eq!(
        bed.proxy.hits("/jwks"),
        (jwks_seen + 1, jwks_forwarded),
        "the key fetch was tried and refused"
    );
    assert_eq!(
        bed.stored().await.as_deref(),
        Some("RT2"),
        "rotation stored"
    );
    assert_eq!(bed.live().await, names(&["RT2"]));
    assert!(m.status(P, A).await.unwrap().signed_in);
    assert_eq!(
        drain(&mut events),
        vec![(SessionState::SignedIn, "restored".into())],
        "restored, never signed out"
    );

    bed.proxy.clear();
    m.get_token(P, A, Duration::ZERO)
        .await
        .expect("a token once the JWKS is back");
    assert_eq!(
        bed.proxy.hits("/jwks").1,
        jwks_forwarded + 1,
        "keys fetched now"
    );
    assert_eq!(bed.stored().await.as_deref(), Some("RT3"));
    assert_eq!(bed.live().await, names(&["RT3"]));
    row(
        "JWKS down during refresh (cold key cache)",
        "`network`",
        "yes (the rotated RT was stored before the ID-token check)",
        "yes (the rotated one only)",
    );
}

/// `GNOME_KEYRING_CONTROL`'s control socket unlocks the login keyring with its password (the
/// one `scripts/with-keyring.sh` created it with): gnome-keyring's own PAM protocol, so no
/// prompt is needed. Length-prefixed big-endian frames: `[len, op=1 (unlock), pw_len, pw]`.
fn unlock_keyring() {
    use std::io::{Read, Write};
    const PASSWORD: &[u8] = b"token-vault-tests";
    let dir = std::env::var_os("GNOME_KEYRING_CONTROL")
        .expect("GNOME_KEYRING_CONTROL (run under scripts/with-keyring.sh)");
    let mut s = std::os::unix::net::UnixStream::connect(std::path::Path::new(&dir).join("control"))
        .unwrap();
    let mut msg = vec![0u8]; // the credentials byte
    msg.extend((12 + PASSWORD.len() as u32).to_be_bytes());
    msg.extend(1u32.to_be_bytes());
    msg.extend((PASSWORD.len() as u32).to_be_bytes());
    msg.extend(PASSWORD);
    s.write_all(&msg).unwrap();
    let mut answer = [0u8; 8];
    s.read_exact(&mut answer).unwrap();
    assert_eq!(answer, [0, 0, 0, 8, 0, 0, 0, 0], "the keyring unlocked");
}

/// Locks the login keyring (as a screen lock or a keyring timeout does).
fn lock_keyring() {
    let ok = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--dest=org.freedesktop.secrets",
            "--print-reply",
        ])
        .args([
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
        ])
        .arg("array:objpath:/org/freedesktop/secrets/collection/login")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "dbus-send Lock");
}

/// Unlocks the keyring when dropped, so a failing test leaves it usable for the others.
struct UnlockOnDrop;
impl Drop for UnlockOnDrop {
    fn drop(&mut self) {
        unlock_keyring();
    }
}

/// The keyring locked between the refresh answer and the save of the rotated token (the proxy
/// holds the answer while the test locks the keyring): `store_unavailable`, the rotated token
/// stays in memory and is stored first on the next call once the keyring is unlocked, so the
/// session survives and only the newest token is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_locked_during_the_save_keeps_the_rotated_token_for_the_next_call() {
    let bed = Bed::alone("fm-locked").await;
    let m = Arc::new(bed.manager());
    support::sign_in(&m, P, A).await;
    let mut events = m.subscribe();
    bed.proxy.once("/token", Fault::Hold);
    let refreshing = tokio::spawn({
        let m = m.clone();
        async move { m.refresh(P, A).await }
    });
    assert_eq!(
        bed.proxy.event(Duration::from_secs(20)).await,
        Some(Event::Held("/token".into()))
    );
    lock_keyring();
    let unlock = UnlockOnDrop;
    bed.proxy.release();
    let e = refreshing.await.unwrap().unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    assert!(m.status(P, A).await.unwrap().signed_in);
    // Still locked: the next call fails the same way and loses nothing.
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    assert_eq!(
        bed.refreshes().await,
        1,
        "no refresh with a token not yet stored"
    );
    drop(unlock);

    assert_eq!(
        bed.stored().await.as_deref(),
        Some("RT1"),
        "nothing was written"
    );
    assert_eq!(
        bed.live().await,
        names(&["RT2"]),
        "RT2 lives in memory only"
    );
    m.refresh(P, A)
        .await
        .expect("stores RT2, then refreshes with it");
    assert_eq!(bed.stored().await.as_deref(), Some("RT3"));
    assert_eq!(bed.live().await, names(&["RT3"]));
    assert_eq!(drain(&mut events), vec![], "no session change");
    row(
        "store locked during the save of a rotation",
        "`store_unavailable`",
        "yes (rotated RT kept in memory, stored first on the next call)",
        "yes (the stored one only)",
    );
}

/// No Secret Service (a child process whose D-Bus address points at nothing):
/// `store_unavailable`, the stored session untouched and usable again with the store back; a
/// sign-in without a store fails the same way and writes no token to any file (no plaintext
/// fallback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_is_store_unavailable_with_no_plaintext_fallback() {
    let bed = Bed::new("fm-no-store").await;
    support::sign_in(&bed.manager(), P, A).await;
    let no_bus = ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let out = bed
        .cli(&["token"])
        .env(no_bus.0, no_bus.1)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: store_unavailable: "), "{stderr}");
    assert_eq!(bed.refreshes().await, 0, "nothing was sent without a store");
    assert_eq!(bed.stored().await.as_deref(), Some("RT1"));
    assert_eq!(bed.live().await, names(&["RT1"]));

    // A sign-in without a store: refused, and it leaves no token anywhere (no file, and no
    // refresh token live at the provider that nobody holds).
    let since = std::time::SystemTime::now();
    let home = tempfile::tempdir().unwrap();
    let out = bed
        .cli(&["--account", "no-store", "login"])
        .env(no_bus.0, no_bus.1)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: store_unavailable: "), "{stderr}");
    let mut secrets = Vec::new();
    for x in bed.idp.token_exchanges().await {
        for k in ["access_token", "refresh_token", "id_token"] {
            secrets.extend(x["issued"][k].as_str().map(str::to_string));
        }
    }
    let needles: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    for dir in [home.path(), bed.locks.path(), &std::env::temp_dir()] {
        let hits = support::files_containing(dir, &needles, since);
        assert!(
            hits.is_empty(),
            "a token in a file under {}: {hits:?}",
            dir.display()
        );
    }
    assert_eq!(
        bed.live().await,
        names(&["RT1"]),
        "the session's RT only: none from the sign-in that could not be stored"
    );

    // The stored session was never touched and works with the store back.
    let out = bed.cli(&["token"]).output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = bed.stored().await.unwrap();
    assert_eq!(
        bed.live().await,
        vec![stored],
        "the session's newest RT only"
    );
    row(
        "store absent (no D-Bus session)",
        "`store_unavailable` (no plaintext fallback: no token in any file)",
        "yes (untouched; works with the store back)",
        "yes (the stored one only; a sign-in without a store leaves none)",
    );
}

/// A corrupted record: `store_corrupted`, one event, the record wiped, signed out; signing in
/// again works. The refresh token in the unreadable record cannot be revoked (it cannot be
/// read): it stays live until its lifetime ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_record_is_store_corrupted_and_signs_out() {
    let bed = Bed::new("fm-corrupted").await;
    support::sign_in(&bed.manager(), P, A).await;
    bed.vault()
        .set(&Vault::record_key(P, A), b"{\"v\":1,\"refresh_tok\x00\xff")
        .unwrap();
    let m = bed.manager();
    let mut events = m.subscribe();
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "store_corrupted", "{e}");
    assert_eq!(
        drain(&mut events),
        vec![(SessionState::SignedOut, "store_corrupted".into())]
    );
    assert!(
        bed.vault().get(&Vault::record_key(P, A)).unwrap().is_none(),
        "wiped"
    );
    assert!(!m.status(P, A).await.unwrap().signed_in);
    assert_eq!(
        bed.live().await,
        names(&["RT1"]),
        "unreadable, so not revoked"
    );
    support::sign_in(&m, P, A).await;
    assert_eq!(bed.stored().await.as_deref(), Some("RT2"));
    row(
        "corrupted record",
        "`store_corrupted` (+ event, record wiped)",
        "no (by design: signed out, sign-in works again)",
        "yes: the unreadable record's RT (orphaned until its TTL)",
    );
}

/// SIGKILL of a CLI process between receiving a rotation and persisting it (killed when the
/// proxy has flushed the refresh answer to it, after 0–10 ms more). Exactly two outcomes are
/// allowed: the store holds the rotated live token and the next run works, or it holds the
/// spent one and the next run ends the session cleanly (`session_expired`, one event, store
/// wiped). Never `store_corrupted`, never a panic. Each run's branch is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_receiving_and_persisting_a_rotation_ends_in_one_of_two_clean_states() {
    let bed = Bed::new("fm-sigkill").await;
    support::sign_in(&bed.manager(), P, A).await;
    let mut branches = Vec::new();
    for delay_ms in [0u64, 0, 1, 3, 10] {
        let before = bed.stored().await.unwrap();
        bed.proxy.once("/token", Fault::Report);
        let mut child = bed.cli(&["token"]).stdout(Stdio::null()).spawn().unwrap();
        assert_eq!(
            bed.proxy.event(Duration::from_secs(20)).await,
            Some(Event::Written("/token".into()))
        );
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.start_kill();
        let out = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let rotated = bed.name_of(&bed.issued().await.pop().unwrap()).await;
        let stored = bed.stored().await.expect("a record that reads back");

        let m = bed.manager();
        let mut events = m.subscribe();
        let next = m.get_token(P, A, Duration::ZERO).await;
        let branch = if stored == rotated {
            next.expect("the stored rotation works");
            let newest = bed.stored().await.unwrap();
            assert_eq!(bed.live().await, vec![newest]);
            "stored the rotation; next run works"
        } else {
            assert_eq!(stored, before, "the store holds the spent token");
            let e = next.unwrap_err();
            assert_eq!(e.code(), "session_expired", "{e}");
            assert_eq!(
                drain(&mut events),
                vec![
                    (SessionState::SignedIn, "restored".into()),
                    (SessionState::SignedOut, "session_expired".into())
                ]
            );
            assert_eq!(bed.stored().await, None);
            assert_eq!(bed.live().await, names(&[]), "the grant was revoked");
            support::sign_in(&bed.manager(), P, A).await;
            "kept the spent token; next run session_expired"
        };
        let ended = if out.status.success() {
            "finished"
        } else {
            "killed"
        };
        println!("sigkill after {delay_ms} ms ({ended}): {branch}");
        branches.push(branch);
    }
    row(
        "SIGKILL between receiving and persisting a rotation",
        "none in the killed run; next run: none or `session_expired` (+ event)",
        &format!("per run: {}", branches.join(" / ")),
        "yes when the rotation was stored; else no (grant revoked)",
    );
}

/// A sign-in abandoned in the browser (the stand-in stalls): `login_timed_out` after
/// `loginTimeoutSecs`, nothing exchanged or stored, the existing session untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_sign_in_times_out_and_leaves_the_old_session_alone() {
    let bed = Bed::new("fm-abandoned").await;
    let m = bed.manager_with(bed.idp.provider().login_timeout_secs(2));
    support::sign_in(&m, P, A).await;
    let at = m.get_token(P, A, Duration::ZERO).await.unwrap();
    let mut events = m.subscribe();
    let stall = BTreeMap::from([("login_hint".to_string(), "stall".to_string())]);
    let e = m
        .login(P, A, &SystemBrowser, &stall, LoginCancel::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_timed_out", "{e}");
    assert_eq!(drain(&mut events), vec![]);
    assert_eq!(bed.idp.stats().await["token"]["authorization_code"], 1);
    assert_eq!(bed.stored().await.as_deref(), Some("RT1"));
    let status = m.status(P, A).await.unwrap();
    assert!(status.signed_in && status.subject.as_deref() == Some("alice"));
    let same = m.get_token(P, A, Duration::ZERO).await.unwrap();
    assert!(same.secret() == at.secret(), "the same access token");
    assert_eq!(bed.live().await, names(&["RT1"]));
    row(
        "browser abandoned (sign-in never completed)",
        "`login_timed_out`",
        "yes (the old session untouched)",
        "yes (the old one only)",
    );
}

/// A second app instance (a CLI process) refreshing at the same moment as this one, three
/// rounds, sharing the lock directory: every refresh succeeds, each uses the newest token (no
/// `invalid_grant`), and exactly the stored token is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_app_instance_refreshing_at_once_never_spends_a_rotated_token() {
    let bed = Bed::new("fm-second").await;
    let m = bed.manager();
    support::sign_in(&m, P, A).await;
    for round in 1..=3u64 {
        let other = bed.cli(&["token"]).stdout(Stdio::null()).spawn().unwrap();
        let (mine, theirs) = tokio::join!(m.refresh(P, A), other.wait_with_output());
        let theirs = theirs.unwrap();
        let stderr = String::from_utf8_lossy(&theirs.stderr);
        assert!(theirs.status.success(), "round {round}: {stderr}");
        mine.unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(bed.refreshes().await, 2 * round);
    }
    let stored = bed.stored().await.unwrap();
    assert_eq!(stored, "RT7", "six rotations, each from the newest token");
    assert_eq!(bed.live().await, vec![stored]);
    row(
        "second app instance refreshing at once (3 rounds)",
        "none",
        "yes",
        "yes (the stored one only)",
    );
}
