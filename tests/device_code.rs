//! The device authorization grant (RFC 8628) against the real provider (device flow on, a 1 s
//! polling interval) and the real Secret Service: the browser stand-in plays the user on
//! another device (`--device`: it opens the verification URI, confirms the code, logs in and
//! consents). Approval, refusal, `slow_down`, expiry, cancel, and a provider without the grant.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::Bed;
use tauri_plugin_token_vault::{DeviceCode, LoginCancel, SessionManager, SessionState};

const P: &str = "idp";
const A: &str = "default";

impl Bed {
    fn manager(&self) -> SessionManager {
        self.manager_for(P, self.idp.provider())
    }
}

/// A `show` callback that records the codes and, after `delay`, has the stand-in approve (or
/// deny, `as_user = "deny"`) on "another device". A stand-in that fails cancels `cancel`, so
/// the sign-in does not poll until the codes expire.
fn approve_after(
    delay: Duration,
    as_user: &'static str,
    cancel: &LoginCancel,
) -> (
    impl Fn(&DeviceCode) + Send + Sync,
    Arc<Mutex<Vec<DeviceCode>>>,
) {
    let cancel = cancel.clone();
    let shown: Arc<Mutex<Vec<DeviceCode>>> = Arc::default();
    let record = Arc::clone(&shown);
    let show = move |code: &DeviceCode| {
        record.lock().unwrap().push(code.clone());
        let uri = code
            .verification_uri_complete
            .clone()
            .expect("the provider gives the complete URI");
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            let status = Command::new("node")
                .arg(support::root().join("tests/support/browser-standin.mjs"))
                .args(["--device", &uri, "--as", as_user])
                .status()
                .unwrap();
            if !status.success() {
                eprintln!("the stand-in did not complete the device page");
                cancel.cancel();
            }
        });
    };
    (show, shown)
}

#[tokio::test]
async fn a_device_sign_in_approved_elsewhere_is_stored_and_restored() {
    let bed = Bed::new("device-ok", &[("IDP_DEVICE", "1")]);
    let m = bed.manager();
    let mut events = m.subscribe();
    let cancel = LoginCancel::new();
    let (show, shown) = approve_after(Duration::ZERO, "alice", &cancel);
    let status = m
        .login_with_device_code(P, A, &show, &BTreeMap::new(), cancel)
        .await
        .expect("device sign-in");
    assert!(status.signed_in);
    assert_eq!(status.subject.as_deref(), Some("alice"));
    let code = shown.lock().unwrap()[0].clone();
    assert_eq!((code.provider.as_str(), code.account.as_str()), (P, A));
    assert!(!code.user_code.is_empty());
    assert!(code
        .verification_uri
        .starts_with(bed.idp.issuer.as_str().trim_end_matches('/')));
    assert!(code.expires_in_secs > 0);
    assert!(
        !format!("{code:?}").contains(&code.user_code),
        "Debug leaves the user code out"
    );
    assert_eq!(events.try_recv().unwrap().state, SessionState::SignedIn);
    let stats = bed.idp.stats().await;
    assert_eq!(stats["device_authorization"], 1);

    // A new manager restores the stored session and refreshes it.
    let again = bed.manager();
    let refreshed = again.refresh(P, A).await.expect("restored and refreshed");
    assert_eq!(refreshed.subject.as_deref(), Some("alice"));
}

/// `slow_down` adds 5 s to the polling interval (RFC 8628 §3.5): the poll after it comes at
/// least 6 s (the provider's 1 s + 5 s) after it.
#[tokio::test]
async fn slow_down_slows_the_polling_by_five_seconds() {
    let bed = Bed::new("device-slow", &[("IDP_DEVICE", "slow_down")]);
    let m = bed.manager();
    // Approved only after the first poll has been answered `slow_down`.
    let cancel = LoginCancel::new();
    let (show, _) = approve_after(Duration::from_millis(2500), "alice", &cancel);
    m.login_with_device_code(P, A, &show, &BTreeMap::new(), cancel)
        .await
        .expect("device sign-in");
    let stats = bed.idp.stats().await;
    let polls: Vec<u64> = stats["device_code_polls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    assert!(polls.len() >= 2, "{polls:?}");
    let gap = polls[1] - polls[0];
    assert!(gap >= 6000, "the poll after slow_down came after {gap} ms");
}

/// The user's refusal, the codes' expiry and a cancel each end the sign-in with its stable
/// code and store nothing; a provider without the grant is `unsupported` before any code.
#[tokio::test]
async fn denied_expired_cancelled_and_unsupported_each_have_their_code() {
    let bed = Bed::new(
        "device-fail",
        &[("IDP_DEVICE", "1"), ("IDP_DEVICE_TTL", "3")],
    );
    let m = bed.manager();
    let mut events = m.subscribe();

    let cancel = LoginCancel::new();
    let (deny, _) = approve_after(Duration::ZERO, "deny", &cancel);
    let e = m
        .login_with_device_code(P, A, &deny, &BTreeMap::new(), cancel)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "authorization_denied", "{e}");

    let nobody = |_: &DeviceCode| {};
    let started = Instant::now();
    let e = m
        .login_with_device_code(P, A, &nobody, &BTreeMap::new(), LoginCancel::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_timed_out", "{e}");
    assert!(started.elapsed() < Duration::from_secs(30));

    let cancel = LoginCancel::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        later.cancel();
    });
    let e = m
        .login_with_device_code(P, A, &nobody, &BTreeMap::new(), cancel)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_cancelled", "{e}");
    assert!(events.try_recv().is_none(), "no session, no event");
    assert!(!m.status(P, A).await.unwrap().signed_in);

    // The default test provider has no device flow.
    let plain = Bed::new("device-none", &[]);
    let shown = Mutex::new(0);
    let count = |_: &DeviceCode| *shown.lock().unwrap() += 1;
    let e = plain
        .manager()
        .login_with_device_code(P, A, &count, &BTreeMap::new(), LoginCancel::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unsupported", "{e}");
    assert_eq!(*shown.lock().unwrap(), 0);
}
