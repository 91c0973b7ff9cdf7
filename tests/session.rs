//! The session manager against the real provider and the real Secret Service: restore in a
//! fresh manager, rotation, single-flight refresh, two processes, and every fault.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use support::Bed;
use tauri_plugin_token_vault::testing::{Record, Vault};
use tauri_plugin_token_vault::Endpoints;
use tauri_plugin_token_vault::LoginCancel;
use tauri_plugin_token_vault::ProviderConfig;
use tauri_plugin_token_vault::SystemBrowser;
use tauri_plugin_token_vault::{SessionEvent, SessionEvents, SessionManager, SessionState};

const P: &str = "idp";
const A: &str = "default";

impl Bed {
    fn config(&self) -> ProviderConfig {
        self.idp.provider()
    }

    fn manager_with(&self, config: ProviderConfig) -> SessionManager {
        self.manager_for(P, config)
    }

    fn manager(&self) -> SessionManager {
        self.manager_with(self.config())
    }

    fn record(&self) -> Option<Record> {
        self.record_of(P, A)
    }

    async fn login(&self, m: &SessionManager) {
        support::sign_in(m, P, A).await;
    }
}

fn next_event(rx: &mut SessionEvents) -> SessionEvent {
    rx.try_recv().expect("an event was sent")
}

#[tokio::test]
async fn a_fresh_manager_restores_from_the_store_and_rotation_keeps_only_the_newest_token() {
    let bed = Bed::new("restore", &[]);
    let m1 = bed.manager();
    let mut events = m1.subscribe();
    bed.login(&m1).await;
    let e = next_event(&mut events);
    assert_eq!(
        (e.state, e.reason.as_str(), e.subject.as_deref()),
        (SessionState::SignedIn, "login", Some("alice"))
    );
    let rt1 = bed
        .record()
        .expect("record stored at login")
        .refresh_token
        .unwrap();
    assert!(bed.idp.is_active(rt1.secret()).await);
    drop(m1);

    // A new manager (as in a new process) gets a token from the stored refresh token.
    let m2 = bed.manager();
    let mut events = m2.subscribe();
    let at = m2
        .get_token(P, A, Duration::ZERO)
        .await
        .expect("token from the stored session");
    assert!(bed.idp.is_active(at.secret()).await);
    let e = next_event(&mut events);
    assert_eq!(
        (e.state, e.reason.as_str()),
        (SessionState::SignedIn, "restored")
    );

    let rt2 = bed.record().unwrap().refresh_token.unwrap();
    assert_ne!(
        rt1.secret(),
        rt2.secret(),
        "the provider rotated the refresh token"
    );
    assert!(
        !bed.idp.is_active(rt1.secret()).await,
        "the old refresh token is dead"
    );
    assert!(
        bed.idp.is_active(rt2.secret()).await,
        "the stored one is the newest"
    );
    assert_eq!(bed.idp.stats().await["token"]["refresh_token"], 1);

    // The hot path does not refresh again.
    for _ in 0..10 {
        assert_eq!(
            m2.get_token(P, A, Duration::ZERO).await.unwrap().secret(),
            at.secret()
        );
    }
    assert_eq!(bed.idp.stats().await["token"]["refresh_token"], 1);
    let status = m2.status(P, A).await.unwrap();
    assert!(status.signed_in && status.expires_at.is_some());
    assert_eq!(status.subject.as_deref(), Some("alice"));
}

#[tokio::test]
async fn a_thousand_concurrent_callers_at_expiry_share_one_refresh() {
    // Access tokens live 2 s; no leeway, so they really expire.
    let bed = Bed::new("single-flight", &[("IDP_ACCESS_TTL", "2")]);
    let config = bed.config();
    let config = config.refresh_leeway_secs(0);
    let m = Arc::new(bed.manager_with(config));
    bed.login(&m).await;
    let first = m.get_token(P, A, Duration::ZERO).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let before = bed.idp.stats().await["token"]["refresh_token"]
        .as_u64()
        .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let m = m.clone();
        tasks.spawn(async move { m.get_token(P, A, Duration::ZERO).await });
    }
    let mut tokens = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        tokens.insert(
            r.unwrap()
                .expect("every caller gets a token")
                .secret()
                .to_string(),
        );
    }
    assert_eq!(tokens.len(), 1, "all callers got the same new token");
    assert!(!tokens.contains(first.secret()));
    assert_eq!(
        bed.idp.stats().await["token"]["refresh_token"]
            .as_u64()
            .unwrap()
            - before,
        1,
        "exactly one refresh request"
    );
    // With rotation and reuse detection on, a second refresh with the old token would have
    // revoked the grant: the session is alive and the stored token is active.
    let rt = bed.record().unwrap().refresh_token.unwrap();
    assert!(bed.idp.is_active(rt.secret()).await);
    m.refresh(P, A).await.expect("the session survives");
}

/// The first round in which a process failed: its stderr, and the access tokens the other
/// processes of that round printed (the ones that won the refresh).
struct RaceFailure {
    round: usize,
    /// The stderr of each process of that round that failed.
    stderrs: Vec<String>,
    winners_tokens: Vec<String>,
}

/// Two CLI processes asking for a token at the same moment, `rounds` times; each process is
/// new, so it reads the store and must refresh. `lock_dirs` gives each process its lock
/// directory. Returns the access tokens the last round printed, or the first round with a
/// failure.
fn race_two_processes(
    bed: &Bed,
    lock_dirs: [&std::path::Path; 2],
    rounds: usize,
) -> Result<Vec<String>, RaceFailure> {
    let run = |dir: &std::path::Path| {
        let mut c = support::cli();
        c.args([
            "--issuer",
            bed.idp.issuer.as_str(),
            "--client-id",
            support::NATIVE_CLIENT,
        ])
        .args(["--ca-cert", &bed.idp.ca_cert_path().display().to_string()])
        .args(["--service", &bed.service, "--account", A])
        .args(["--data-dir", &dir.display().to_string(), "token"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let mut last = Vec::new();
    for round in 0..rounds {
        let children = [run(lock_dirs[0]), run(lock_dirs[1])];
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        if outs.iter().any(|o| !o.status.success()) {
            return Err(RaceFailure {
                round,
                stderrs: outs
                    .iter()
                    .filter(|o| !o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                    .collect(),
                winners_tokens: outs
                    .iter()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .collect(),
            });
        }
        last = outs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .collect();
    }
    Ok(last)
}

#[tokio::test]
async fn two_processes_refreshing_for_twenty_rounds_never_burn_a_rotated_token() {
    let bed = Bed::new("two-processes", &[]);
    bed.login(&bed.manager()).await;
    // The CLI stores under provider id "default": move the session there.
    let record = bed.record().unwrap();
    bed.vault().save_record("default", A, &record).unwrap();
    bed.vault().delete_record(P, A).unwrap();

    let shared = bed.locks();
    let last = match race_two_processes(&bed, [&shared, &shared], 20) {
        Ok(last) => last,
        Err(f) => panic!(
            "with the shared lock directory, round {}: {:?}",
            f.round, f.stderrs
        ),
    };
    assert_eq!(bed.idp.stats().await["token"]["refresh_token"], 40);
    let rt = bed
        .vault()
        .load_record("default", A)
        .unwrap()
        .expect("session alive")
        .refresh_token
        .unwrap();
    assert!(
        bed.idp.is_active(rt.secret()).await,
        "no invalid_grant: the grant was never revoked"
    );
    // The same check the control below makes, here with the opposite answer: the access
    // tokens of the last round are alive.
    assert_eq!(last.len(), 2);
    for at in &last {
        assert!(
            bed.idp.is_active(at).await,
            "last round's access token active"
        );
    }

    // Control: the same race without a shared lock (each process its own lock directory)
    // reuses a rotated refresh token, and the provider's reuse detection revokes the whole
    // grant: the access token the *winning* process was just issued dies with it. So the
    // check above (a live grant after 40 refreshes) is not vacuous.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Unlocked, the two processes may also collide on the store item itself (a write to an
    // item the other just replaced: `store_unavailable`); the winner's rotated token is then
    // lost with its process, and the next rounds show the reuse. Up to three races.
    let mut failure = None;
    for _ in 0..3 {
        match race_two_processes(&bed, [a.path(), b.path()], 20) {
            Err(f)
                if f.stderrs
                    .iter()
                    .all(|s| s.contains("error: store_unavailable: ")) =>
            {
                continue
            }
            Err(f) => {
                failure = Some(f);
                break;
            }
            Ok(_) => panic!("without the lock, two processes reuse a rotated refresh token"),
        }
    }
    let failure = failure.expect("a reuse within three unlocked races");
    // One process presented the spent token: `session_expired`. The other either won the
    // refresh (its new access token must then be dead) or found the session already ended by
    // the first (`not_signed_in`: the store was wiped under it).
    let (round, stderrs) = (failure.round, &failure.stderrs);
    assert!(
        stderrs
            .iter()
            .any(|s| s.contains("error: session_expired: ")),
        "round {round}: {stderrs:?}"
    );
    assert!(
        stderrs
            .iter()
            .all(|s| s.contains("error: session_expired: ")
                || s.contains("error: not_signed_in: ")
                || s.contains("error: store_unavailable: ")),
        "round {round}: {stderrs:?}"
    );
    assert_eq!(failure.winners_tokens.len() + stderrs.len(), 2);
    for winners in &failure.winners_tokens {
        assert!(!winners.is_empty());
        assert!(
            !bed.idp.is_active(winners).await,
            "reuse detection revoked the grant, including the winner's new access token"
        );
    }
    // And what the store holds now is dead too (or gone: the loser wiped it).
    if let Some(r) = bed.vault().load_record("default", A).unwrap() {
        assert!(
            !bed.idp
                .is_active(r.refresh_token.as_ref().unwrap().secret())
                .await,
            "the stored refresh token was revoked with the grant"
        );
    }
}

#[tokio::test]
async fn a_refresh_token_revoked_at_the_provider_signs_out_and_wipes_the_store() {
    let bed = Bed::new("revoked", &[]);
    let m = bed.manager();
    bed.login(&m).await;
    let mut events = m.subscribe();
    let rt = bed.record().unwrap().refresh_token.unwrap();
    bed.idp.revoke(rt.secret(), "refresh_token").await;

    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(e.to_string().contains("invalid_grant"), "{e}");
    let ev = next_event(&mut events);
    assert_eq!(
        (ev.state, ev.reason.as_str()),
        (SessionState::SignedOut, "session_expired")
    );
    assert!(bed.record().is_none(), "store wiped");
    assert!(!m.status(P, A).await.unwrap().signed_in);
    assert_eq!(
        m.get_token(P, A, Duration::from_secs(7200))
            .await
            .unwrap_err()
            .code(),
        "not_signed_in"
    );
}

#[tokio::test]
async fn provider_down_or_failing_is_a_network_error_and_the_session_is_kept() {
    let bed = Bed::new("network", &[]);
    let m = bed.manager();
    bed.login(&m).await;
    let mut events = m.subscribe();
    let before = bed.record().unwrap().refresh_token.unwrap();

    // Connections reset before the provider sees the request, then 503s.
    for fault in ["reset", "503"] {
        bed.idp.fault(fault).await;
        let e = m.refresh(P, A).await.unwrap_err();
        assert_eq!(e.code(), "network", "{fault}: {e}");
        // A caller that needs a longer-lived token than the current one also gets `network`.
        let e = m
            .get_token(P, A, Duration::from_secs(7200))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "network", "{fault}: {e}");
        // The current access token is still served while valid.
        m.get_token(P, A, Duration::ZERO)
            .await
            .expect("still valid access token");
    }
    bed.idp.fault("none").await;

    assert!(
        events.try_recv().is_none(),
        "no session change on a network error"
    );
    assert_eq!(
        bed.record()
            .unwrap()
            .refresh_token
            .as_ref()
            .unwrap()
            .secret(),
        before.secret(),
        "store untouched"
    );
    m.refresh(P, A)
        .await
        .expect("works again once the provider is back");
    assert!(m.status(P, A).await.unwrap().signed_in);
    assert_ne!(
        bed.record()
            .unwrap()
            .refresh_token
            .as_ref()
            .unwrap()
            .secret(),
        before.secret(),
        "rotated"
    );
}

#[tokio::test]
async fn a_provider_that_does_not_answer_times_out_as_a_network_error() {
    let bed = Bed::new("timeout", &[]);
    let config = bed.config();
    let config = config.http_timeout_secs(1);
    let m = bed.manager_with(config);
    bed.login(&m).await;
    let mut events = m.subscribe();
    let before = bed.record().unwrap().refresh_token.unwrap();
    bed.idp.pause();
    let e = m.refresh(P, A).await.unwrap_err();
    bed.idp.resume();
    assert_eq!(e.code(), "network", "{e}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(
        events.try_recv().is_none(),
        "no session change on a timeout"
    );
    assert_eq!(
        bed.record()
            .unwrap()
            .refresh_token
            .as_ref()
            .unwrap()
            .secret(),
        before.secret(),
        "store untouched"
    );
    // (Whether the next refresh succeeds depends on whether the frozen provider processed the
    // request whose answer was lost: with strict rotation it may have rotated the token. That
    // case ends as `session_expired`, tested above through revocation.)
}

#[tokio::test]
async fn a_corrupted_record_is_signed_out_without_a_panic() {
    let bed = Bed::new("corrupted", &[]);
    bed.vault()
        .set(&Vault::record_key(P, A), b"{\"v\":1,\"truncated")
        .unwrap();
    let m = bed.manager();
    let mut events = m.subscribe();
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "store_corrupted", "{e}");
    let ev = next_event(&mut events);
    assert_eq!(
        (ev.state, ev.reason.as_str()),
        (SessionState::SignedOut, "store_corrupted")
    );
    assert!(bed.record().is_none(), "the unreadable record is wiped");
    assert_eq!(
        m.get_token(P, A, Duration::ZERO).await.unwrap_err().code(),
        "not_signed_in"
    );
    // And signing in again works.
    bed.login(&m).await;
    assert!(bed.record().is_some());
}

#[tokio::test]
async fn logout_revokes_at_the_provider_and_empties_the_store() {
    let bed = Bed::new("logout", &[]);
    let m = bed.manager();
    bed.login(&m).await;
    let at = m.get_token(P, A, Duration::ZERO).await.unwrap();
    let rt = bed.record().unwrap().refresh_token.unwrap();
    let mut events = m.subscribe();

    let report = m.logout(P, A).await.unwrap();
    assert!(report.revoked, "{:?}", report.revocation_error);
    let url = report
        .end_session_url
        .expect("the provider has an end_session_endpoint");
    assert!(url.query_pairs().any(|(k, _)| k == "id_token_hint"));
    assert!(
        !bed.idp.is_active(rt.secret()).await,
        "refresh token inactive at the provider"
    );
    assert!(
        !bed.idp.is_active(at.secret()).await,
        "access token inactive at the provider"
    );
    assert!(bed.record().is_none(), "store empty");
    let ev = next_event(&mut events);
    assert_eq!(
        (ev.state, ev.reason.as_str()),
        (SessionState::SignedOut, "logout")
    );
    assert_eq!(
        m.get_token(P, A, Duration::ZERO).await.unwrap_err().code(),
        "not_signed_in"
    );
    assert!(bed.idp.stats().await["revocation"].as_u64().unwrap() >= 2);
}

/// Signing in again over a session revokes the replaced session's refresh token at the
/// provider (once the new one is stored): a second sign-in never leaves an orphan live token.
#[tokio::test]
async fn signing_in_over_a_session_revokes_the_replaced_refresh_token() {
    let bed = Bed::new("relogin", &[]);
    let m = bed.manager();
    bed.login(&m).await;
    let first = bed.record().unwrap().refresh_token.unwrap();
    assert!(bed.idp.is_active(first.secret()).await);
    // A fresh manager (another launch): the replaced session is only in the store.
    let m = bed.manager();
    bed.login(&m).await;
    let second = bed.record().unwrap().refresh_token.unwrap();
    assert!(first.secret() != second.secret());
    assert!(
        !bed.idp.is_active(first.secret()).await,
        "the replaced refresh token is revoked"
    );
    assert!(bed.idp.is_active(second.secret()).await);
    m.get_token(P, A, Duration::ZERO).await.unwrap();
}

/// An OpenID provider without discovery (`discovery: false`, every endpoint configured): the
/// sign-in's ID token is validated against the configured issuer (a bare origin, which URL
/// normalisation writes with a `/` the provider's `iss` lacks), the refreshed one too, a new
/// manager restores the session, and logout revokes at the configured endpoint.
#[tokio::test]
async fn an_openid_provider_without_discovery_works_from_configured_endpoints() {
    let bed = Bed::new("manual", &[]);
    let meta: serde_json::Value = bed
        .idp
        .http()
        .get_json(&bed.idp.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .unwrap();
    let url = |k: &str| url::Url::parse(meta[k].as_str().unwrap()).unwrap();
    let config = bed.config().discovery(false).endpoints(
        Endpoints::new(url("authorization_endpoint"), url("token_endpoint"))
            .jwks_uri(url("jwks_uri"))
            .revocation(url("revocation_endpoint")),
    );
    let m = bed.manager_with(config.clone());
    bed.login(&m).await;
    let status = m.status(P, A).await.unwrap();
    assert_eq!(status.subject.as_deref(), Some("alice"));
    assert!(status.claims.is_some(), "the ID token was validated");
    let refreshed = m.refresh(P, A).await.unwrap();
    assert!(refreshed.claims.is_some(), "the refreshed ID token too");
    let m = bed.manager_with(config);
    m.get_token(P, A, Duration::ZERO).await.unwrap();
    let rt = bed.record().unwrap().refresh_token.unwrap();
    let report = m.logout(P, A).await.unwrap();
    assert!(report.revoked, "{report:?}");
    assert!(!bed.idp.is_active(rt.secret()).await);
}

/// `endpoints` beside a discovered issuer replace only what they name: here the end-session
/// endpoint (Cognito's logout is not in its metadata); revocation still comes from discovery.
#[tokio::test]
async fn endpoints_beside_a_discovered_issuer_override_only_what_they_name() {
    let bed = Bed::new("overrides", &[]);
    let logout_page = url::Url::parse("https://logout.example/bye").unwrap();
    let config = bed
        .config()
        .endpoints(Endpoints::overrides().end_session(logout_page.clone()));
    let m = bed.manager_with(config);
    bed.login(&m).await;
    let report = m.logout(P, A).await.unwrap();
    assert!(report.revoked, "{report:?}");
    let url = report.end_session_url.expect("an end-session URL");
    assert_eq!(
        (url.origin(), url.path()),
        (logout_page.origin(), logout_page.path())
    );
}

#[tokio::test]
async fn logout_with_the_provider_down_still_wipes_and_reports_why() {
    let bed = Bed::new("logout-down", &[]);
    let config = bed.config();
    let config = config.http_timeout_secs(1);
    let m = bed.manager_with(config);
    bed.login(&m).await;
    bed.idp.pause();
    let report = m.logout(P, A).await.unwrap();
    bed.idp.resume();
    assert!(!report.revoked);
    assert_eq!(report.revocation_error.unwrap().code(), "network");
    assert!(
        bed.record().is_none(),
        "wiped even though revocation failed"
    );
}

#[tokio::test]
async fn accounts_are_independent() {
    let bed = Bed::new("accounts", &[]);
    let m = bed.manager();
    for (account, user) in [("work", "wendy"), ("home", "harry")] {
        let hint = BTreeMap::from([("login_hint".to_string(), user.to_string())]);
        m.login(P, account, &SystemBrowser, &hint, LoginCancel::new())
            .await
            .unwrap();
    }
    assert_eq!(
        m.status(P, "work").await.unwrap().subject.as_deref(),
        Some("wendy")
    );
    assert_eq!(
        m.status(P, "home").await.unwrap().subject.as_deref(),
        Some("harry")
    );
    m.logout(P, "work").await.unwrap();
    assert!(!m.status(P, "work").await.unwrap().signed_in);
    assert!(m.status(P, "home").await.unwrap().signed_in);
    assert_eq!(
        m.status("nope", A).await.unwrap_err().code(),
        "unknown_provider"
    );
}

#[tokio::test]
async fn a_record_from_a_newer_app_version_is_refused_and_left_intact() {
    let bed = Bed::new("newer-record", &[]);
    bed.login(&bed.manager()).await;
    let stored = bed.record().unwrap();
    let key = format!("{P}/{A}");
    let mut cases = Vec::new();
    // A newer format version (2 is this build's access-token record), and a field this build
    // does not know (a newer app side by side).
    for (what, edit) in [("v: 3", "v"), ("an unknown field", "deviceKey")] {
        let mut json: serde_json::Value =
            serde_json::from_slice(&bed.vault().get(&key).unwrap().unwrap()).unwrap();
        match edit {
            "v" => json["v"] = 3.into(),
            field => json[field] = "from-the-future".into(),
        }
        cases.push((what, serde_json::to_vec(&json).unwrap()));
    }
    for (what, bytes) in cases {
        bed.vault().set(&key, &bytes).unwrap();
        let m = bed.manager();
        let mut events = m.subscribe();
        for e in [
            m.status(P, A).await.unwrap_err(),
            m.get_token(P, A, Duration::ZERO).await.unwrap_err(),
            m.refresh(P, A).await.unwrap_err(),
        ] {
            assert_eq!(e.code(), "store_unsupported_version", "{what}: {e}");
            assert!(!e
                .to_string()
                .contains(stored.refresh_token.as_ref().unwrap().secret()));
        }
        assert!(events.try_recv().is_none(), "{what}: no session change");
        assert_eq!(
            &bed.vault().get(&key).unwrap().unwrap()[..],
            &bytes[..],
            "{what}: the record is left intact for the app that wrote it"
        );
        assert!(
            bed.idp
                .is_active(stored.refresh_token.as_ref().unwrap().secret())
                .await,
            "{what}: its refresh token was not used or revoked"
        );
    }
}

/// `persistAccessToken` with a provider that issues no refresh token (no `offline_access`
/// requested): the sign-in's access token is stored (a version 2 record, nothing else), a new
/// manager (a restart) restores it without asking the provider anything, and logout revokes
/// it at the provider and wipes the record.
#[tokio::test]
async fn an_access_token_only_session_is_persisted_restored_and_revoked_at_logout() {
    let bed = Bed::new("persist-access", &[]);
    let config = bed.config().scopes(["openid"]).persist_access_token(true);
    let m1 = bed.manager_with(config.clone());
    let status = support::sign_in(&m1, P, A).await;
    assert!(status.signed_in && status.expires_at.is_some());
    let record = bed.record().expect("the session is stored");
    assert_eq!(record.v, 2);
    assert!(record.refresh_token.is_none(), "the provider issued none");
    let at = record
        .access_token
        .clone()
        .expect("the access token is stored");
    assert!(
        record.access_token_expires_at.is_some(),
        "the provider gave expires_in"
    );
    assert!(bed.idp.is_active(at.secret()).await);
    assert_eq!(
        m1.get_token(P, A, Duration::ZERO).await.unwrap().secret(),
        at.secret()
    );
    drop(m1);

    // A new manager (as in a new process): the stored token, no token request.
    let before = bed.idp.stats().await["token"].clone();
    let m2 = bed.manager_with(config.clone());
    let mut events = m2.subscribe();
    let status = m2.status(P, A).await.unwrap();
    assert!(status.signed_in);
    assert_eq!(status.subject.as_deref(), Some("alice"));
    assert_eq!(
        m2.get_token(P, A, Duration::ZERO).await.unwrap().secret(),
        at.secret()
    );
    assert!(m2.refresh(P, A).await.unwrap().signed_in);
    assert_eq!(
        m2.get_token(P, A, Duration::ZERO).await.unwrap().secret(),
        at.secret()
    );
    assert_eq!(
        bed.idp.stats().await["token"],
        before,
        "the provider saw no token request"
    );
    let e = next_event(&mut events);
    assert_eq!(
        (e.state, e.reason.as_str()),
        (SessionState::SignedIn, "restored")
    );

    drop(m2);

    // Logout from a new manager that has not read the store yet: the stored token is revoked.
    let m3 = bed.manager_with(config);
    let report = m3.logout(P, A).await.unwrap();
    assert!(report.revoked && report.store_cleared, "{report:?}");
    assert!(!bed.idp.is_active(at.secret()).await, "revoked at logout");
    assert!(bed.record().is_none(), "the record is wiped");
    assert!(!m3.status(P, A).await.unwrap().signed_in);
    assert!(!bed.manager().status(P, A).await.unwrap().signed_in);
}

/// A 401 from an API on a restored access-token-only session (what `fetch` reports through
/// `refresh_if_current`) ends it: `session_expired`, record wiped, an event; the provider is
/// not asked for a refresh.
#[tokio::test]
async fn a_refused_access_token_ends_an_access_token_only_session() {
    let bed = Bed::new("persist-access-401", &[]);
    let config = bed.config().scopes(["openid"]).persist_access_token(true);
    let m1 = bed.manager_with(config.clone());
    support::sign_in(&m1, P, A).await;
    drop(m1);
    let at = bed.record().unwrap().access_token.unwrap();
    bed.idp.revoke(at.secret(), "access_token").await;

    let m2 = bed.manager_with(config);
    let mut events = m2.subscribe();
    let used = m2.get_token(P, A, Duration::ZERO).await.unwrap();
    let e = m2.refresh_if_current(P, A, &used).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(!e.to_string().contains(at.secret()));
    assert!(bed.record().is_none(), "the record is wiped");
    assert_eq!(next_event(&mut events).reason.as_str(), "restored");
    let e = next_event(&mut events);
    assert_eq!(
        (e.state, e.reason.as_str()),
        (SessionState::SignedOut, "session_expired")
    );
    assert_eq!(
        m2.get_token(P, A, Duration::ZERO).await.unwrap_err().code(),
        "not_signed_in"
    );
    assert_eq!(bed.idp.stats().await["token"]["refresh_token"], 0);
}

/// Without `persistAccessToken` (the default) a sign-in without refresh token stores nothing:
/// the session lasts as long as the manager.
#[tokio::test]
async fn without_persist_access_token_a_session_without_refresh_token_is_not_stored() {
    let bed = Bed::new("no-persist-access", &[]);
    let config = bed.config().scopes(["openid"]);
    let m1 = bed.manager_with(config.clone());
    assert!(support::sign_in(&m1, P, A).await.signed_in);
    assert!(bed.record().is_none(), "nothing stored");
    assert!(m1.get_token(P, A, Duration::ZERO).await.is_ok());
    assert!(
        !bed.manager_with(config)
            .status(P, A)
            .await
            .unwrap()
            .signed_in
    );
}
