//! The mobile sign-in flow, driven on desktop through a stand-in for the native authentication
//! session (what `ASWebAuthenticationSession` / Custom Tabs do: open the authorization URL, hand
//! back the custom-scheme redirect), against the real provider and the real Secret Service.
//! The stand-in is the headless browser (`browser-standin.mjs --callback`), which logs in at the
//! provider and prints the redirect URL instead of opening it. Every other part is the one the
//! iOS and Android builds run: `SessionManager::login_with_session`, the authorization-response
//! judgment, the code exchange, the ID-token checks and the store.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::Bed;
use tauri_plugin_token_vault::{
    AuthSession, AuthSessionFuture, AuthSessionRequest, Error, LoginCancel, ProviderConfig,
    SessionManager, SessionState,
};
use url::Url;

const P: &str = "idp";
const A: &str = "default";
/// Registered for the test provider's `tv-native` client (`tests/idp/server.mjs`).
const REDIRECT: &str = "com.example.tokenvault:/oauth/callback";

/// What the stand-in session does with the sign-in.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Logs in at the provider and hands back its redirect.
    Complete,
    /// Hands back the provider's redirect with `f` applied (a tampered or foreign response).
    Tamper(fn(&mut Url)),
    /// The native side rejects with this error (the user closed it, another one is open).
    Reject(fn() -> Error),
    /// Stays open until dropped (the user leaves it on screen).
    Stall,
}

/// A stand-in native session that counts its uses and notices being dismissed (dropped).
struct StandinSession {
    mode: Mode,
    opened: AtomicUsize,
    dismissed: Arc<AtomicBool>,
    requests: Mutex<Vec<AuthSessionRequest>>,
}

impl StandinSession {
    fn new(mode: Mode) -> Self {
        StandinSession {
            mode,
            opened: AtomicUsize::new(0),
            dismissed: Arc::default(),
            requests: Mutex::default(),
        }
    }
}

/// Sets the flag when dropped: the sign-in dropped the session's future (dismissed it).
struct DismissOnDrop(Arc<AtomicBool>);

impl Drop for DismissOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs the browser stand-in as the session: it prints the redirect URL it was sent to.
async fn drive(request: &AuthSessionRequest) -> tauri_plugin_token_vault::Result<Url> {
    let out = tokio::process::Command::new("node")
        .arg(support::root().join("tests/support/browser-standin.mjs"))
        .arg("--callback")
        .arg(request.redirect_uri.as_str())
        .arg(request.url.as_str())
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs the stand-in");
    assert!(
        out.status.success(),
        "the stand-in failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    Ok(Url::parse(line.trim()).expect("the stand-in prints the redirect URL"))
}

impl AuthSession for StandinSession {
    fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().unwrap().push(request.clone());
        let guard = DismissOnDrop(Arc::clone(&self.dismissed));
        Box::pin(async move {
            let _guard = guard;
            match self.mode {
                Mode::Complete => drive(request).await,
                Mode::Tamper(f) => {
                    let mut url = drive(request).await?;
                    f(&mut url);
                    Ok(url)
                }
                Mode::Reject(e) => Err(e()),
                Mode::Stall => std::future::pending().await,
            }
        })
    }
}

impl Bed {
    fn config(&self) -> ProviderConfig {
        self.idp
            .provider()
            .mobile_redirect_uri(REDIRECT.parse().unwrap())
    }

    fn manager_with(&self, config: ProviderConfig) -> SessionManager {
        self.manager_for(P, config)
    }

    async fn login(
        &self,
        m: &SessionManager,
        session: &StandinSession,
        extra: &[(&str, &str)],
    ) -> tauri_plugin_token_vault::Result<tauri_plugin_token_vault::SessionStatus> {
        let extra: BTreeMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        m.login_with_session(P, A, session, &extra, LoginCancel::new())
            .await
    }

    fn stored(&self) -> bool {
        self.record_of(P, A).is_some()
    }
}

fn set_param(url: &mut Url, name: &str, value: Option<&str>) {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &pairs {
        q.append_pair(k, v);
    }
    if let Some(v) = value {
        q.append_pair(name, v);
    }
}

#[tokio::test]
async fn the_mobile_flow_signs_in_through_the_session_and_a_new_manager_restores_it() {
    let bed = Bed::new("mobile-ok", &[]);
    let m = bed.manager_with(bed.config().ephemeral_session(true));
    let mut events = m.subscribe();
    let session = StandinSession::new(Mode::Complete);

    let status = bed.login(&m, &session, &[]).await.expect("sign-in");
    assert!(status.signed_in);
    assert_eq!(status.subject.as_deref(), Some("alice"));

    // What the native side was asked to open: the provider's authorization URL naming the
    // custom-scheme redirect, PKCE S256, and the configured ephemeral flag.
    let request = session.requests.lock().unwrap()[0].clone();
    assert_eq!(request.redirect_uri.as_str(), REDIRECT);
    assert!(request.ephemeral);
    let q: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q.contains_key("state") && q.contains_key("nonce"));
    assert!(
        !format!("{request:?}").contains(&q["state"]),
        "the request's Debug hides the state"
    );

    let e = events.try_recv().expect("signedIn event");
    assert_eq!(e.state, SessionState::SignedIn);
    assert!(bed.stored(), "the refresh token is in the Secret Service");
    let stats = bed.idp.stats().await;
    assert_eq!(stats["token"]["authorization_code"], 1);

    // Another process: restored from the store, refreshed at the provider.
    let again = bed.manager_with(bed.config());
    let refreshed = again
        .refresh(P, A)
        .await
        .expect("refresh of the restored session");
    assert!(refreshed.signed_in);
    assert_eq!(refreshed.subject.as_deref(), Some("alice"));
    let token = again
        .get_token(P, A, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(bed.idp.is_active(token.secret()).await);
}

/// One failure: what it is, the session's mode, extra authorization parameters, the code.
type Case = (
    &'static str,
    Mode,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// Each way the native step can fail ends the sign-in with its stable code, stores nothing,
/// announces nothing and (but for the provider's own error) redeems no code.
#[tokio::test]
async fn every_failure_of_the_session_has_its_stable_code_and_loses_nothing() {
    let bed = Bed::new("mobile-fail", &[]);
    let cases: [Case; 8] = [
        (
            "the user closed the session",
            Mode::Reject(|| Error::LoginCancelled),
            &[],
            "login_cancelled",
        ),
        (
            "another session is on screen",
            Mode::Reject(|| Error::LoginInProgress("a sign-in is already presented".into())),
            &[],
            "login_in_progress",
        ),
        (
            "a response with another sign-in's state",
            Mode::Tamper(|u| set_param(u, "state", Some("not-this-sign-in"))),
            &[],
            "invalid_authorization_response",
        ),
        (
            "a response without state",
            Mode::Tamper(|u| set_param(u, "state", None)),
            &[],
            "invalid_authorization_response",
        ),
        (
            "another issuer's response (mix-up)",
            Mode::Tamper(|u| set_param(u, "iss", Some("https://evil.example"))),
            &[],
            "issuer_mismatch",
        ),
        (
            "a response without the advertised iss",
            Mode::Tamper(|u| set_param(u, "iss", None)),
            &[],
            "issuer_mismatch",
        ),
        (
            "a redirect to another path",
            Mode::Tamper(|u| u.set_path("/elsewhere")),
            &[],
            "invalid_authorization_response",
        ),
        (
            "the user denied consent at the provider",
            Mode::Complete,
            &[("login_hint", "deny")],
            "authorization_denied",
        ),
    ];
    let m = bed.manager_with(bed.config());
    let mut events = m.subscribe();
    for (what, mode, extra, code) in cases {
        let session = StandinSession::new(mode);
        let e = bed.login(&m, &session, extra).await.unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert_eq!(session.opened.load(Ordering::SeqCst), 1, "{what}");
        assert!(!bed.stored(), "{what}: nothing stored");
        assert!(events.try_recv().is_none(), "{what}: no event");
        assert!(!m.status(P, A).await.unwrap().signed_in, "{what}");
    }
    let stats = bed.idp.stats().await;
    assert_eq!(
        stats["token"]["authorization_code"].as_u64().unwrap_or(0),
        0,
        "no code was redeemed"
    );
    // The same manager still signs in afterwards.
    let ok = bed
        .login(&m, &StandinSession::new(Mode::Complete), &[])
        .await
        .expect("sign-in after the failures");
    assert!(ok.signed_in);
}

#[tokio::test]
async fn cancel_and_timeout_dismiss_the_session() {
    let bed = Bed::new("mobile-cancel", &[]);
    let m = bed.manager_with(bed.config());

    let session = StandinSession::new(Mode::Stall);
    let cancel = LoginCancel::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        later.cancel();
    });
    let e = m
        .login_with_session(P, A, &session, &BTreeMap::new(), cancel)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_cancelled");
    assert!(
        session.dismissed.load(Ordering::SeqCst),
        "the session was dismissed"
    );

    let quick = bed.manager_with(bed.config().login_timeout_secs(1));
    let session = StandinSession::new(Mode::Stall);
    let e = bed.login(&quick, &session, &[]).await.unwrap_err();
    assert_eq!(e.code(), "login_timed_out");
    assert!(
        session.dismissed.load(Ordering::SeqCst),
        "the session was dismissed"
    );
    assert!(!bed.stored());
}

#[tokio::test]
async fn without_a_mobile_redirect_uri_nothing_is_opened() {
    let bed = Bed::new("mobile-config", &[]);
    let m = bed.manager_with(bed.idp.provider());
    let session = StandinSession::new(Mode::Complete);
    let e = bed.login(&m, &session, &[]).await.unwrap_err();
    assert_eq!(e.code(), "invalid_config");
    assert!(
        e.to_string().contains("providers.idp.mobile.redirectUri"),
        "{e}"
    );
    assert_eq!(session.opened.load(Ordering::SeqCst), 0);
}
