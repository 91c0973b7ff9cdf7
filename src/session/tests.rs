//! Fast unit tests of the session logic: a scripted provider behind the HTTP transport seam, a
//! fixed clock moved by hand, keyring-core's in-memory mock store. No sleeps, no network, no
//! real store. `tests/session.rs` checks the same contracts against a real provider and the
//! Secret Service.
//!
//! Tokens are compared with `assert!` and never printed, not even in failure messages.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oauth2::http::Method;
use serde_json::json;

use super::SessionManager;
use crate::config::ProviderConfig;
use crate::http::{ReadBody, Request, Response, Transport, TransportError, TransportFuture};
use crate::models::{SessionChangeReason, SessionState};
use crate::oauth::Clock;
use crate::secret::{AccessToken, RefreshToken};
use crate::vault::{Record, Vault, RECORD_VERSION};

const P: &str = "idp";
const A: &str = "default";
const ISSUER: &str = "https://idp.test";
const CLIENT: &str = "tv-client";
/// The access token lifetime the scripted provider grants (`expires_in`).
const TTL: Duration = Duration::from_secs(3600);
const KEY: &str = include_str!("../../tests/fixtures/unrelated-rsa-key.pem");

/// What the scripted token endpoint answers to one request.
enum Answer {
    /// A status and a JSON body.
    Json(u16, serde_json::Value),
    /// A status, a `Content-Type` and a body as given.
    Raw(u16, &'static str, &'static str),
    /// No response at all (connection refused, timeout…).
    Unreachable,
}

/// A successful token response (`expires_in` = [`TTL`]), with a rotated refresh token or not,
/// and an ID token or not.
fn tokens(access: &str, refresh: Option<&str>, id_token: Option<String>) -> Answer {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TTL.as_secs(),
    });
    if let Some(rt) = refresh {
        body["refresh_token"] = json!(rt);
    }
    if let Some(id) = id_token {
        body["id_token"] = json!(id);
    }
    Answer::Json(200, body)
}

/// One request the token endpoint received.
struct TokenRequest {
    grant_type: String,
    /// The refresh token presented (redacted `Debug`).
    refresh_token: Option<RefreshToken>,
}

#[derive(Default)]
struct Script {
    /// Answers of the token endpoint, in order; a request beyond them fails the test.
    token: VecDeque<Answer>,
    token_requests: Vec<TokenRequest>,
    /// `METHOD path` of every request (no query, no body), in order.
    log: Vec<String>,
    /// Every token the revocation endpoint received, with its `token_type_hint`.
    revoked: Vec<(String, String)>,
}

/// The scripted provider: discovery and JWKS from fixed documents, the token endpoint from the
/// script. Every future it returns is ready at once.
#[derive(Clone, Default)]
struct Idp(Arc<Mutex<Script>>);

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Idp")
    }
}

impl Idp {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues the token endpoint's next answer.
    fn then(&self, answer: Answer) -> &Self {
        self.script().token.push_back(answer);
        self
    }

    /// How many refresh requests the token endpoint received.
    fn refreshes(&self) -> usize {
        self.script()
            .token_requests
            .iter()
            .filter(|r| r.grant_type == "refresh_token")
            .count()
    }

    /// Whether the `n`th refresh request (from 0) presented `rt`.
    fn refresh_presented(&self, n: usize, rt: &str) -> bool {
        let s = self.script();
        let r = s
            .token_requests
            .iter()
            .filter(|r| r.grant_type == "refresh_token")
            .nth(n)
            .expect("that many refresh requests");
        r.refresh_token.as_ref().is_some_and(|t| t.secret() == rt)
    }

    /// Whether the revocation endpoint received `token` as a refresh token.
    fn revoked_refresh_token(&self, token: &str) -> bool {
        self.script()
            .revoked
            .iter()
            .any(|(t, hint)| t == token && hint == "refresh_token")
    }

    /// How many tokens the revocation endpoint received.
    fn revocations(&self) -> usize {
        self.script().revoked.len()
    }

    /// How many requests of any kind the provider received.
    fn requests(&self) -> usize {
        self.script().log.len()
    }

    fn answer(&self, request: Request, read: ReadBody) -> Result<Response, TransportError> {
        let path = request.url.path().to_string();
        self.script().log.push(format!("{} {path}", request.method));
        let mut content_type = "application/json";
        let (status, body) = match (&request.method, path.as_str()) {
            (&Method::GET, "/.well-known/openid-configuration") => (
                200,
                json!({
                    "issuer": ISSUER,
                    "authorization_endpoint": format!("{ISSUER}/authorize"),
                    "token_endpoint": format!("{ISSUER}/token"),
                    "jwks_uri": format!("{ISSUER}/jwks"),
                    "revocation_endpoint": format!("{ISSUER}/revoke"),
                    "code_challenge_methods_supported": ["S256"],
                })
                .to_string()
                .into_bytes(),
            ),
            (&Method::GET, "/jwks") => (200, json!({ "keys": [jwk()] }).to_string().into_bytes()),
            (&Method::POST, "/token") => {
                let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
                    .into_owned()
                    .collect();
                let mut s = self.script();
                s.token_requests.push(TokenRequest {
                    grant_type: form.get("grant_type").cloned().unwrap_or_default(),
                    refresh_token: form.get("refresh_token").cloned().map(RefreshToken::new),
                });
                match s.token.pop_front() {
                    Some(Answer::Json(status, body)) => (status, body.to_string().into_bytes()),
                    Some(Answer::Raw(status, kind, body)) => {
                        content_type = kind;
                        (status, body.as_bytes().to_vec())
                    }
                    Some(Answer::Unreachable) => {
                        return Err(TransportError::Failed(format!(
                            "{ISSUER}/token: connection failed: Connection refused"
                        )))
                    }
                    None => panic!("the token endpoint got a request the test did not script"),
                }
            }
            (&Method::POST, "/revoke") => {
                let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
                    .into_owned()
                    .collect();
                let token = form.get("token").cloned().unwrap_or_default();
                let hint = form.get("token_type_hint").cloned().unwrap_or_default();
                self.script().revoked.push((token, hint));
                (200, Vec::new())
            }
            _ => (404, Vec::new()),
        };
        let success = (200..300).contains(&status);
        let body = match read {
            ReadBody::SuccessUpTo(_) if !success => Vec::new(),
            ReadBody::SuccessUpTo(cap) | ReadBody::UpTo(cap) if body.len() > cap => {
                return Err(TransportError::TooLarge(cap))
            }
            _ => body,
        };
        Ok(oauth2::http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(body)
            .expect("a valid response"))
    }
}

impl Transport for Idp {
    fn send(&self, request: Request, read: ReadBody) -> TransportFuture<'_> {
        let answer = self.answer(request, read);
        Box::pin(std::future::ready(answer))
    }
}

/// A clock that stands still until the test moves it. Starts at the real time (whole seconds),
/// so ID tokens it dates also pass `jsonwebtoken`'s own `exp` check.
#[derive(Clone)]
struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    fn new() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Self(Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(secs))))
    }

    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    fn clock(&self) -> Clock {
        let me = self.clone();
        Clock::from_fn(move || me.now())
    }

    fn secs(&self) -> i64 {
        self.now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }
}

fn jwk() -> serde_json::Value {
    let key = EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("k1".into());
    serde_json::to_value(jwk).unwrap()
}

/// An ID token of the scripted provider for `sub`, issued now by `clock`.
fn id_token(clock: &TestClock, sub: &str) -> String {
    let now = clock.secs();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let claims = json!({
        "iss": ISSUER, "sub": sub, "aud": CLIENT, "iat": now, "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// A manager over the scripted provider, the test clock and a mock store.
struct Bed {
    idp: Idp,
    clock: TestClock,
    vault: Vault,
    m: SessionManager,
}

impl Bed {
    /// `scopes` without `openid`: no ID tokens are expected.
    fn new(scopes: &[&str]) -> Self {
        Self::configured(scopes, |c| c)
    }

    /// [`Self::new`] with the provider's settings changed by `configure`.
    fn configured(
        scopes: &[&str],
        configure: impl FnOnce(ProviderConfig) -> ProviderConfig,
    ) -> Self {
        let idp = Idp::default();
        let clock = TestClock::new();
        let vault = Vault::with_store(keyring_core::mock::Store::new().unwrap(), "svc");
        let config = configure(
            ProviderConfig::new(ISSUER.parse().unwrap(), CLIENT).scopes(scopes.iter().copied()),
        );
        let m = SessionManager::with_vault(vault.clone(), HashMap::from([(P.into(), config)]))
            .with_transport(Arc::new(idp.clone()))
            .with_clock(clock.clock());
        Self {
            idp,
            clock,
            vault,
            m,
        }
    }

    /// A signed-in session in the store (as a previous run left it), holding `rt`.
    fn stored(scopes: &[&str], rt: &str) -> Self {
        Self::stored_configured(scopes, rt, |c| c)
    }

    /// [`Self::stored`] with the provider's settings changed by `configure`.
    fn stored_configured(
        scopes: &[&str],
        rt: &str,
        configure: impl FnOnce(ProviderConfig) -> ProviderConfig,
    ) -> Self {
        let bed = Self::configured(scopes, configure);
        let record = Record {
            dpop_key: None,
            v: RECORD_VERSION,
            issuer: ISSUER.into(),
            client_id: CLIENT.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            subject: Some("alice".into()),
            refresh_token: Some(RefreshToken::new(rt.to_string())),
            access_token: None,
            access_token_expires_at: None,
            id_token: None,
            saved_at: 0,
        };
        bed.vault.save_record(P, A, &record).unwrap();
        bed
    }

    /// Whether the store holds a record with refresh token `rt`.
    fn store_holds(&self, rt: &str) -> bool {
        self.vault
            .load_record(P, A)
            .unwrap()
            .is_some_and(|r| r.refresh_token.is_some_and(|t| t.secret() == rt))
    }

    fn store_is_empty(&self) -> bool {
        self.vault.load_record(P, A).unwrap().is_none()
    }

    /// Whether the token endpoint received no request at all.
    fn script_is_silent_at_the_token_endpoint(&self) -> bool {
        self.idp.script().token_requests.is_empty()
    }

    /// Signs in through `browser` (no extra parameters).
    #[cfg(desktop)]
    async fn login(
        &self,
        browser: &dyn crate::redirect::Browser,
    ) -> crate::error::Result<crate::models::SessionStatus> {
        let cancel = super::LoginCancel::new();
        self.m
            .login(P, A, browser, &Default::default(), cancel)
            .await
    }

    async fn get_token(&self) -> crate::error::Result<AccessToken> {
        self.m.get_token(P, A, Duration::ZERO).await
    }
}

const SCOPES: &[&str] = &["api", "offline_access"];

fn is(t: &AccessToken, expected: &str) -> bool {
    t.secret() == expected
}

/// Starts every future while the test holds the account's lock (`gate`), so each one runs
/// until it waits on that lock, having seen the account's state as it is now; then opens the
/// gate and drives them all to completion. No sleeps: one poll each, then the lock's FIFO order.
async fn queued_behind<G, F: Future>(gate: G, futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut gate = Some(gate);
    std::future::poll_fn(|cx| {
        let mut pending = 0;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending += 1,
                }
            }
        }
        if gate.take().is_some() {
            assert_eq!(pending, out.len(), "every caller waits on the account lock");
        }
        if pending == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    out.into_iter().map(|o| o.unwrap()).collect()
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_before_the_new_access_token_is_returned() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    let at = bed.get_token().await.unwrap();
    assert!(is(&at, "AT1"), "the refreshed access token is returned");
    assert_eq!(bed.idp.refreshes(), 1);
    assert!(bed.idp.refresh_presented(0, "RT1"), "RT1 was presented");
    assert!(
        bed.store_holds("RT2"),
        "the rotated refresh token is in the store by the time the access token is returned"
    );

    // The next refresh presents the rotated token.
    bed.clock.advance(TTL);
    bed.idp.then(tokens("AT2", Some("RT3"), None));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    assert!(bed.idp.refresh_presented(1, "RT2"), "RT2 was presented");
    assert!(bed.store_holds("RT3"));
}

#[tokio::test]
async fn a_refresh_without_a_new_refresh_token_keeps_the_stored_one() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", None, None));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    assert!(bed.store_holds("RT1"), "RT1 is kept");

    bed.clock.advance(TTL);
    bed.idp.then(tokens("AT2", None, None));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    assert_eq!(bed.idp.refreshes(), 2);
    assert!(
        bed.idp.refresh_presented(1, "RT1"),
        "RT1 is presented again"
    );
    assert!(bed.store_holds("RT1"));
}

#[tokio::test]
async fn invalid_grant_wipes_the_record_and_announces_session_expired_once() {
    let bed = Bed::stored(SCOPES, "RT1");
    let mut events = bed.m.subscribe();
    bed.idp.then(Answer::Json(
        400,
        json!({"error": "invalid_grant", "error_description": "refresh token revoked"}),
    ));
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(bed.store_is_empty(), "the record is wiped from the store");

    let seen: Vec<_> = std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason))
        .collect();
    assert_eq!(
        seen,
        [
            (SessionState::SignedIn, SessionChangeReason::Restored),
            (SessionState::SignedOut, SessionChangeReason::SessionExpired),
        ]
    );
    assert!(!bed.m.status(P, A).await.unwrap().signed_in);

    // Signed out: the next call asks nobody.
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
    assert_eq!(bed.idp.refreshes(), 1);
    assert!(events.try_recv().is_none(), "no further event");
}

/// The events seen so far, as (state, reason).
fn seen(events: &mut super::SessionEvents) -> Vec<(SessionState, SessionChangeReason)> {
    std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason))
        .collect()
}

/// Ended by a refusal of its refresh token: `session_expired`, the record wiped, one event.
async fn assert_ended(bed: &Bed, events: &mut super::SessionEvents, case: &str) {
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{case}: {e}");
    assert!(bed.store_is_empty(), "{case}: the record is wiped");
    assert_eq!(
        seen(events),
        [
            (SessionState::SignedIn, SessionChangeReason::Restored),
            (SessionState::SignedOut, SessionChangeReason::SessionExpired),
        ],
        "{case}"
    );
    assert!(!bed.m.status(P, A).await.unwrap().signed_in, "{case}");
}

/// GitHub and Slack answer errors with HTTP 200: `{"error":"invalid_grant"}` with a 200 is
/// the refusal it says, and ends the session like the 400 does.
#[tokio::test]
async fn invalid_grant_with_http_200_ends_the_session() {
    for answer in [
        Answer::Json(200, json!({"error": "invalid_grant"})),
        Answer::Raw(
            200,
            "application/x-www-form-urlencoded",
            "error=invalid_grant",
        ),
    ] {
        let bed = Bed::stored(SCOPES, "RT1");
        let mut events = bed.m.subscribe();
        bed.idp.then(answer);
        assert_ended(&bed, &mut events, "HTTP 200").await;
    }
}

/// `deadRefreshTokenErrors` is the set of refusals that end a session: Dex's
/// `invalid_request` for a dead refresh token ends it when listed; by default it is
/// `refresh_failed` and the session is kept.
#[tokio::test]
async fn the_configured_dead_refresh_token_errors_end_the_session() {
    let refusal = || Answer::Json(400, json!({"error": "invalid_request"}));
    let bed = Bed::stored_configured(SCOPES, "RT1", |c| {
        c.dead_refresh_token_errors(["invalid_grant", "invalid_request"])
    });
    let mut events = bed.m.subscribe();
    bed.idp.then(refusal());
    assert_ended(&bed, &mut events, "invalid_request listed").await;

    let bed = Bed::stored(SCOPES, "RT1");
    let mut events = bed.m.subscribe();
    bed.idp.then(refusal());
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "refresh_failed", "{e}");
    assert!(bed.store_holds("RT1"), "the record is kept");
    assert!(bed.m.status(P, A).await.unwrap().signed_in);
    assert_eq!(
        seen(&mut events),
        [(SessionState::SignedIn, SessionChangeReason::Restored)]
    );
}

/// Refreshed to AT2 and RT2 (stored), expiring in `secs`, with `scopes`.
async fn assert_refreshed(bed: &Bed, secs: u64, scopes: &[&str]) {
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    assert!(bed.store_holds("RT2"));
    let status = bed.m.status(P, A).await.unwrap();
    let expected = bed.clock.now() + Duration::from_secs(secs);
    assert_eq!(
        status.expires_at,
        Some(expected.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64)
    );
    assert_eq!(status.scopes, scopes);
}

/// Entra's string `expires_in` and GitHub's comma-separated scopes: the expiry and scopes
/// they say.
#[tokio::test]
async fn a_string_expires_in_and_comma_separated_scopes_are_understood() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(Answer::Json(
        200,
        json!({
            "access_token": "AT2",
            "token_type": "Bearer",
            "expires_in": "3600",
            "refresh_token": "RT2",
            "scope": "api,offline_access, read:user",
        }),
    ));
    assert_refreshed(&bed, 3600, &["api", "offline_access", "read:user"]).await;
}

/// A form-encoded token response (GitHub without `Accept: application/json`) works.
#[tokio::test]
async fn a_form_encoded_token_response_is_understood() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(Answer::Raw(
        200,
        "application/x-www-form-urlencoded; charset=utf-8",
        "access_token=AT2&token_type=bearer&expires_in=1800&refresh_token=RT2&scope=api%2Cgist",
    ));
    assert_refreshed(&bed, 1800, &["api", "gist"]).await;
}

#[tokio::test]
async fn an_unreachable_or_failing_provider_is_a_network_error_and_the_next_call_retries() {
    let bed = Bed::stored(SCOPES, "RT1");
    let mut events = bed.m.subscribe();
    bed.idp.then(Answer::Unreachable).then(Answer::Json(
        503,
        json!({"error": "temporarily_unavailable"}),
    ));
    for fault in ["unreachable", "503"] {
        let e = bed.get_token().await.unwrap_err();
        assert_eq!(e.code(), "network", "{fault}: {e}");
        assert!(bed.store_holds("RT1"), "{fault}: the record is kept");
        assert!(
            bed.m.status(P, A).await.unwrap().signed_in,
            "{fault}: still signed in"
        );
    }
    assert_eq!(bed.idp.refreshes(), 2, "each call tried once");

    bed.idp.then(tokens("AT1", Some("RT2"), None));
    assert!(
        is(&bed.get_token().await.unwrap(), "AT1"),
        "the retry works"
    );
    assert_eq!(bed.idp.refreshes(), 3);
    assert!((0..3).all(|n| bed.idp.refresh_presented(n, "RT1")));
    let reasons: Vec<_> = std::iter::from_fn(|| events.try_recv())
        .map(|e| e.reason)
        .collect();
    assert_eq!(
        reasons,
        [SessionChangeReason::Restored],
        "no session change"
    );
}

#[tokio::test]
async fn concurrent_callers_at_expiry_share_one_refresh() {
    const N: usize = 50;
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    bed.get_token().await.unwrap();

    bed.clock.advance(TTL);
    bed.idp.then(tokens("AT2", Some("RT3"), None));
    let acct = bed.m.account(P, A).unwrap();
    let gate = acct.inner.lock().await;
    let got = queued_behind(gate, (0..N).map(|_| bed.get_token()).collect()).await;

    assert_eq!(bed.idp.refreshes(), 2, "one refresh for all {N} callers");
    assert!(bed.idp.refresh_presented(1, "RT2"));
    assert!(
        got.iter().all(|t| t.as_ref().is_ok_and(|t| is(t, "AT2"))),
        "all {N} callers got the new token"
    );
    assert!(bed.store_holds("RT3"));
}

#[tokio::test]
async fn concurrent_callers_at_expiry_share_one_failure_and_the_next_call_retries() {
    const N: usize = 50;
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    bed.get_token().await.unwrap();

    bed.clock.advance(TTL);
    bed.idp.then(Answer::Json(503, json!({})));
    let acct = bed.m.account(P, A).unwrap();
    let gate = acct.inner.lock().await;
    let got = queued_behind(gate, (0..N).map(|_| bed.get_token()).collect()).await;

    assert_eq!(bed.idp.refreshes(), 2, "one refresh for all {N} callers");
    assert!(
        got.iter()
            .all(|r| r.as_ref().is_err_and(|e| e.code() == "network")),
        "all {N} callers got the network error"
    );
    assert!(bed.store_holds("RT2"));

    bed.idp.then(tokens("AT2", Some("RT3"), None));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    assert_eq!(bed.idp.refreshes(), 3, "a later call tries again");
}

#[tokio::test]
async fn replace_refreshes_the_current_token_once_and_never_a_replaced_one() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    let at1 = bed.get_token().await.unwrap();

    // A 401 with the current token: one refresh.
    bed.idp.then(tokens("AT2", Some("RT3"), None));
    let at2 = bed.m.refresh_if_current(P, A, &at1).await.unwrap();
    assert!(is(&at2, "AT2"));
    assert_eq!(bed.idp.refreshes(), 2);

    // A 401 with the token just replaced (a request that was in flight): no refresh, the
    // current token.
    let again = bed.m.refresh_if_current(P, A, &at1).await.unwrap();
    assert!(is(&again, "AT2"), "the current token is returned");
    assert_eq!(bed.idp.refreshes(), 2, "no refresh for a replaced token");

    // Many 401s at once with the current token: one refresh between them.
    bed.idp.then(tokens("AT3", Some("RT4"), None));
    let acct = bed.m.account(P, A).unwrap();
    let gate = acct.inner.lock().await;
    let got = queued_behind(
        gate,
        (0..10)
            .map(|_| bed.m.refresh_if_current(P, A, &at2))
            .collect(),
    )
    .await;
    assert_eq!(bed.idp.refreshes(), 3);
    assert!(got.iter().all(|t| t.as_ref().is_ok_and(|t| is(t, "AT3"))));
    assert!(bed.store_holds("RT4"));
}

#[tokio::test]
async fn a_fresh_token_is_served_from_memory_without_any_request() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    bed.get_token().await.unwrap();
    let requests = bed.idp.requests();

    for _ in 0..1000 {
        assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    }
    // Just outside the refresh leeway (60 s by default) of the expiry: still fresh.
    bed.clock.advance(TTL - Duration::from_secs(61));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    // `min_ttl` longer than what is left: refreshed.
    bed.idp.then(tokens("AT2", None, None));
    let t = bed
        .m
        .get_token(P, A, Duration::from_secs(120))
        .await
        .unwrap();
    assert!(is(&t, "AT2"));
    assert_eq!(
        bed.idp.requests(),
        requests + 1,
        "only the refresh asked for a longer lifetime reached the provider"
    );
}

#[tokio::test]
async fn a_refreshed_id_token_is_checked_with_the_jwks_and_the_injected_clock() {
    let scopes = &["openid", "offline_access"];
    let bed = Bed::stored(scopes, "RT1");
    // Two hours ahead of the system clock: an `iat` checked against the system clock would be
    // "issued in the future".
    bed.clock.advance(Duration::from_secs(7200));
    bed.idp.then(tokens(
        "AT1",
        Some("RT2"),
        Some(id_token(&bed.clock, "alice")),
    ));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    let status = bed.m.status(P, A).await.unwrap();
    assert_eq!(status.subject.as_deref(), Some("alice"));
    assert!(status.claims.is_some_and(|c| c["sub"] == "alice"));
    let stored = bed.vault.load_record(P, A).unwrap().unwrap();
    assert!(stored.id_token.is_some(), "the new ID token is stored");
    assert_eq!(
        bed.idp.script().log,
        [
            "GET /.well-known/openid-configuration",
            "POST /token",
            "GET /jwks"
        ],
        "discovery, refresh and the keys all went through the transport"
    );
    let expires = status.expires_at.unwrap();
    let expected = bed.clock.now() + TTL;
    assert_eq!(
        expires,
        crate::models::epoch_millis(expected),
        "expires_at is measured with the injected clock"
    );
}

/// A transport that answers like [`Idp`] (so the provider has processed the request: a
/// refresh token presented is spent, a new one issued) and then holds the token endpoint's
/// response until the test lets it through: a response in flight when its caller gives up.
#[derive(Debug, Clone)]
struct Held {
    idp: Idp,
    arrived: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Semaphore>,
}

impl Held {
    /// A second manager over `bed`'s store and clock whose token responses wait for `release`.
    fn over(bed: &Bed) -> (Self, SessionManager) {
        let held = Held {
            idp: bed.idp.clone(),
            arrived: Arc::default(),
            release: Arc::new(tokio::sync::Semaphore::new(0)),
        };
        let config =
            ProviderConfig::new(ISSUER.parse().unwrap(), CLIENT).scopes(SCOPES.iter().copied());
        let m = SessionManager::with_vault(bed.vault.clone(), HashMap::from([(P.into(), config)]))
            .with_transport(Arc::new(held.clone()))
            .with_clock(bed.clock.clock());
        (held, m)
    }
}

impl Transport for Held {
    fn send(&self, request: Request, read: ReadBody) -> TransportFuture<'_> {
        let token = request.url.path() == "/token";
        let answer = self.idp.answer(request, read);
        Box::pin(async move {
            if token {
                self.arrived.notify_one();
                self.release.acquire().await.expect("open").forget();
            }
            answer
        })
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_even_when_the_refreshed_id_token_fails_its_checks() {
    let scopes = &["openid", "offline_access"];
    let bed = Bed::stored(scopes, "RT1");
    // The provider rotates, but the ID token it sends names another user: the check fails
    // after the provider has spent RT1.
    let other = id_token(&bed.clock, "mallory");
    bed.idp.then(tokens("AT2", Some("RT2"), Some(other)));
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "id_token_invalid");
    assert!(
        bed.store_holds("RT2"),
        "RT2 was persisted as soon as the response parsed; RT1 is spent"
    );
    // The next refresh presents the live token.
    bed.idp.then(tokens(
        "AT3",
        Some("RT3"),
        Some(id_token(&bed.clock, "alice")),
    ));
    bed.get_token().await.unwrap();
    assert!(bed.idp.refresh_presented(1, "RT2"));
}

#[tokio::test]
async fn a_refresh_its_caller_gave_up_on_still_persists_the_rotated_token() {
    let bed = Bed::stored(SCOPES, "RT1");
    let (held, m) = Held::over(&bed);
    bed.idp
        .then(tokens("AT2", Some("RT2"), None))
        .then(tokens("AT3", Some("RT3"), None));
    {
        // A caller with a deadline (`timeout`, `select!`): it gives up while the provider's
        // answer (RT1 spent, RT2 issued) is on its way, and its future is dropped.
        let call = m.get_token(P, A, Duration::ZERO);
        tokio::pin!(call);
        tokio::select! {
            _ = held.arrived.notified() => {}
            _ = &mut call => panic!("the refresh finished before its response was released"),
        }
    }
    held.release.add_permits(2);
    let t = m.get_token(P, A, Duration::ZERO).await.unwrap();
    assert_eq!(bed.idp.refreshes(), 2);
    assert!(
        bed.idp.refresh_presented(1, "RT2"),
        "the next refresh presents RT2: the abandoned refresh stored it"
    );
    assert!(is(&t, "AT3"));
    assert!(bed.store_holds("RT3"));
}

#[tokio::test]
async fn a_rotated_token_whose_save_failed_stays_in_use_and_is_saved_on_the_next_call() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp
        .then(tokens("AT2", Some("RT2"), None))
        .then(tokens("AT3", Some("RT3"), None));
    bed.m.status(P, A).await.unwrap();
    bed.vault.fail_next_write();
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "the failed save is reported");
    assert!(bed.store_holds("RT1"), "the store could not take RT2");
    // The next call saves RT2 first, then refreshes with it: RT1 (spent) is never presented
    // again.
    let t = bed.get_token().await.unwrap();
    assert!(is(&t, "AT3"));
    assert!(bed.idp.refresh_presented(1, "RT2"));
    assert!(bed.store_holds("RT3"));
}

#[tokio::test]
async fn hostile_numbers_do_not_panic() {
    // A `minTtlSecs` of 1e19 from page script: no token can be that fresh; every call
    // refreshes and returns the new token instead of overflowing the clock.
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp
        .then(tokens("AT2", Some("RT2"), None))
        .then(tokens("AT3", Some("RT3"), None));
    let huge = Duration::from_secs(10_000_000_000_000_000_000);
    let t = bed.m.get_token(P, A, huge).await.unwrap();
    assert!(is(&t, "AT2"));
    let t = bed.m.get_token(P, A, huge).await.unwrap();
    assert!(is(&t, "AT3"));

    // A provider that says the token lives for 2^63 seconds (or more): clamped, not a panic;
    // the token is served from memory afterwards.
    for expires_in in [json!(9_223_372_036_854_775_808u64), json!(u64::MAX)] {
        let bed = Bed::stored(SCOPES, "RT1");
        bed.idp.then(Answer::Json(
            200,
            json!({
                "access_token": "AT-long",
                "token_type": "Bearer",
                "refresh_token": "RT2",
                "expires_in": expires_in,
            }),
        ));
        let t = bed.get_token().await.unwrap();
        assert!(is(&t, "AT-long"));
        let before = bed.idp.requests();
        let t = bed.get_token().await.unwrap();
        assert!(is(&t, "AT-long"));
        assert_eq!(bed.idp.requests(), before, "served from memory");
        let status = bed.m.status(P, A).await.unwrap();
        assert!(status.expires_at.is_some());
    }
}

#[tokio::test]
async fn an_access_token_without_expires_in_is_assumed_to_live_five_minutes() {
    let bed = Bed::stored(SCOPES, "RT1");
    let no_expiry = |at: &str, rt: &str| {
        Answer::Json(
            200,
            json!({ "access_token": at, "token_type": "Bearer", "refresh_token": rt }),
        )
    };
    bed.idp
        .then(no_expiry("AT2", "RT2"))
        .then(no_expiry("AT3", "RT3"));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    let status = bed.m.status(P, A).await.unwrap();
    let expected = bed.clock.now() + Duration::from_secs(300);
    assert_eq!(
        status.expires_at,
        Some(expected.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64),
        "a bounded lifetime, not \"never expires\""
    );
    // Within it: from memory. Past it: refreshed.
    bed.clock.advance(Duration::from_secs(200));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
    assert_eq!(bed.idp.refreshes(), 1);
    bed.clock.advance(Duration::from_secs(101));
    assert!(is(&bed.get_token().await.unwrap(), "AT3"));
    assert_eq!(bed.idp.refreshes(), 2);
}

/// Logout whose cross-process lock cannot be taken (the lock directory is unusable) still
/// revokes and ends the session: the lock guards refreshes against each other, and a logout
/// that gives up leaves the user signed in against their will.
#[tokio::test]
async fn logout_ends_the_session_even_when_the_account_lock_cannot_be_taken() {
    let Bed { idp, vault, m, .. } = Bed::stored(SCOPES, "RT1");
    let not_a_dir = tempfile::NamedTempFile::new().unwrap();
    let m = m.with_lock_dir(not_a_dir.path().join("locks"));
    let mut events = m.subscribe();
    m.status(P, A).await.unwrap();
    let report = m.logout(P, A).await.unwrap();
    assert!(report.revoked, "{report:?}");
    assert!(idp.revoked_refresh_token("RT1"));
    assert!(
        report.store_cleared && report.store_error.is_none(),
        "{report:?}"
    );
    assert!(vault.load_record(P, A).unwrap().is_none());
    assert!(!m.status(P, A).await.unwrap().signed_in);
    let states: Vec<_> = std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason))
        .collect();
    assert_eq!(
        states.last(),
        Some(&(SessionState::SignedOut, SessionChangeReason::Logout))
    );
}

/// A store that cannot be read at logout: nothing to revoke is known, and the report says so
/// (`revocation_error` = `store_unavailable`) instead of claiming a clean logout; the record is
/// still deleted when the store lets it.
#[tokio::test]
async fn logout_with_an_unreadable_store_reports_that_nothing_could_be_revoked() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.vault.fail_next_read();
    let report = bed.m.logout(P, A).await.unwrap();
    assert!(!report.revoked, "{report:?}");
    assert_eq!(
        report.revocation_error.as_ref().map(|e| e.code()),
        Some("store_unavailable"),
        "{report:?}"
    );
    assert_eq!(bed.idp.revocations(), 0);
    assert!(report.store_cleared, "{report:?}");
    assert!(bed.store_is_empty());
}

/// A store delete that fails at logout: the session ends in this process (status, event,
/// no token served), the report says the store kept the record, and the next logout clears it.
#[tokio::test]
async fn logout_whose_delete_fails_ends_the_session_here_and_reports_the_store_kept_it() {
    let bed = Bed::stored(SCOPES, "RT1");
    bed.idp.then(tokens("AT2", Some("RT2"), None));
    bed.get_token().await.unwrap();
    let mut events = bed.m.subscribe();
    bed.vault.fail_next_delete();
    let report = bed.m.logout(P, A).await.unwrap();
    assert!(report.revoked, "{report:?}");
    assert!(bed.idp.revoked_refresh_token("RT2"));
    assert!(!report.store_cleared, "{report:?}");
    assert_eq!(
        report.store_error.as_ref().map(|e| e.code()),
        Some("store_unavailable")
    );
    let e = events.try_recv().expect("an event");
    assert_eq!(
        (e.state, e.reason),
        (SessionState::SignedOut, SessionChangeReason::Logout)
    );
    assert!(!bed.m.status(P, A).await.unwrap().signed_in);
    assert_eq!(bed.get_token().await.unwrap_err().code(), "not_signed_in");
    assert!(bed.store_holds("RT2"), "the failed delete left the record");
    let again = bed.m.logout(P, A).await.unwrap();
    assert!(
        again.store_cleared && again.store_error.is_none(),
        "{again:?}"
    );
    assert!(bed.store_is_empty());
}

/// Logout while a refresh whose caller gave up is still in flight: logout waits for it and
/// revokes the token it rotated to, and the store ends empty (before, the abandoned refresh
/// stored its rotated token after the logout's delete: the session came back).
#[tokio::test]
async fn logout_during_an_abandoned_refresh_revokes_the_rotated_token_and_nothing_comes_back() {
    let bed = Bed::stored(SCOPES, "RT1");
    let (held, m) = Held::over(&bed);
    let m = Arc::new(m);
    bed.idp.then(tokens("AT2", Some("RT2"), None));
    {
        let call = m.get_token(P, A, Duration::ZERO);
        tokio::pin!(call);
        tokio::select! {
            _ = held.arrived.notified() => {}
            _ = &mut call => panic!("the refresh finished before its response was released"),
        }
    }
    let logout = tokio::spawn({
        let m = m.clone();
        async move { m.logout(P, A).await }
    });
    tokio::task::yield_now().await;
    held.release.add_permits(1);
    let report = logout.await.unwrap().unwrap();
    assert!(report.revoked, "{report:?}");
    assert!(
        bed.idp.revoked_refresh_token("RT2"),
        "the rotated token is revoked"
    );
    assert!(bed.store_is_empty(), "nothing came back after the logout");
    assert!(!m.status(P, A).await.unwrap().signed_in);
}

/// A provider without revocation (`revocationStyle` `none`, Entra, Dex): logout sends nothing,
/// reports `revoked: false` with the reason and no error, and still ends the session and
/// wipes the store.
#[tokio::test]
async fn logout_without_revocation_reports_the_reason_not_an_error_and_still_wipes() {
    let Bed { idp, vault, m, .. } = Bed::stored_configured(SCOPES, "RT1", |c| {
        c.revocation_style(crate::config::RevocationStyle::None)
    });
    let mut events = m.subscribe();
    m.status(P, A).await.unwrap();
    let report = m.logout(P, A).await.unwrap();
    assert!(!report.revoked, "{report:?}");
    assert!(report.revocation_error.is_none(), "{report:?}");
    assert!(
        report
            .revocation_skipped
            .as_deref()
            .is_some_and(|r| r.contains("none")),
        "{report:?}"
    );
    assert_eq!(idp.revocations(), 0, "nothing sent to the provider");
    assert!(report.store_cleared, "{report:?}");
    assert!(vault.load_record(P, A).unwrap().is_none());
    assert!(!m.status(P, A).await.unwrap().signed_in);
    let states: Vec<_> = std::iter::from_fn(|| events.try_recv())
        .map(|e| (e.state, e.reason))
        .collect();
    assert_eq!(
        states.last(),
        Some(&(SessionState::SignedOut, SessionChangeReason::Logout))
    );
}

/// GitHub's style revokes access tokens only: a restored session holds only its refresh
/// token, so nothing is sent and the report says why instead of claiming a revocation.
#[tokio::test]
async fn github_style_logout_without_an_access_token_claims_no_revocation() {
    let Bed { idp, vault, m, .. } = Bed::stored_configured(SCOPES, "RT1", |c| {
        c.client_secret("gh-secret")
            .revocation_style(crate::config::RevocationStyle::Github)
            .endpoints(
                crate::config::Endpoints::overrides()
                    .revocation(format!("{ISSUER}/applications/c/token").parse().unwrap()),
            )
    });
    m.status(P, A).await.unwrap();
    let report = m.logout(P, A).await.unwrap();
    assert!(!report.revoked, "{report:?}");
    assert!(report.revocation_error.is_none(), "{report:?}");
    assert!(
        report
            .revocation_skipped
            .as_deref()
            .is_some_and(|r| r.contains("access tokens only")),
        "{report:?}"
    );
    assert_eq!(idp.revocations(), 0);
    assert!(vault.load_record(P, A).unwrap().is_none());
}

/// A browser that completes the sign-in at once: it follows the launch URL to the
/// authorization URL, then delivers `code` with that request's `state` (and the issuer) to its
/// redirect URI. Counts how often it was opened.
#[cfg(desktop)]
fn instant_browser(
    code: &'static str,
    opened: Arc<std::sync::atomic::AtomicUsize>,
) -> impl Fn(&url::Url) -> crate::error::Result<()> {
    use std::io::{Read, Write};
    fn get(url: &url::Url) -> String {
        let mut s = std::net::TcpStream::connect((
            url.host_str().unwrap(),
            url.port_or_known_default().unwrap(),
        ))
        .unwrap();
        let target = &url[url::Position::BeforePath..];
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    }
    move |launch: &url::Url| {
        opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let launch = launch.clone();
        std::thread::spawn(move || {
            let answer = get(&launch);
            let location = answer
                .lines()
                .find_map(|l| {
                    l.strip_prefix("location: ")
                        .or(l.strip_prefix("Location: "))
                })
                .expect("the launch URL redirects");
            let authorize = url::Url::parse(location.trim()).unwrap();
            let q: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
            let mut redirect = url::Url::parse(&q["redirect_uri"]).unwrap();
            redirect
                .query_pairs_mut()
                .append_pair("code", code)
                .append_pair("state", &q["state"])
                .append_pair("iss", ISSUER);
            get(&redirect);
        });
        Ok(())
    }
}

/// A sign-in whose session cannot be stored (the store failed after the sign-in began) revokes
/// the refresh token it was issued: nobody will ever hold it. Before, it stayed live.
#[cfg(desktop)]
#[tokio::test]
async fn a_sign_in_whose_save_fails_revokes_its_refresh_token() {
    let bed = Bed::new(SCOPES);
    bed.idp.then(tokens("AT1", Some("RT1"), None));
    let opened = Arc::default();
    let browser = instant_browser("code-1", Arc::clone(&opened));
    bed.vault.fail_next_write();
    let e = bed.login(&browser).await.unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    assert!(bed.idp.revoked_refresh_token("RT1"));
    assert!(bed.store_is_empty());
    assert!(!bed.m.status(P, A).await.unwrap().signed_in);
}

/// A store that does not answer is found before the browser opens: the user is not sent
/// through a sign-in whose session could not be kept, and the provider issues nothing.
#[cfg(desktop)]
#[tokio::test]
async fn a_sign_in_without_a_usable_store_fails_before_the_browser_opens() {
    let bed = Bed::new(SCOPES);
    let opened = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let browser = instant_browser("code-1", Arc::clone(&opened));
    bed.vault.fail_next_read();
    let e = bed.login(&browser).await.unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(bed.script_is_silent_at_the_token_endpoint());
}

// ---- Sessions without refresh token whose access token is persisted (`persistAccessToken`) ----

/// Scopes without `offline_access`: the scripted provider is told to issue no refresh token.
const NO_OFFLINE: &[&str] = &["api"];

/// A token response without refresh token, with `expires_in` or without.
fn access_only(access: &str, expires_in: Option<u64>) -> Answer {
    let mut body = json!({ "access_token": access, "token_type": "Bearer" });
    if let Some(secs) = expires_in {
        body["expires_in"] = json!(secs);
    }
    Answer::Json(200, body)
}

impl Idp {
    /// Whether the revocation endpoint received `token` as an access token.
    fn revoked_access_token(&self, token: &str) -> bool {
        self.script()
            .revoked
            .iter()
            .any(|(t, hint)| t == token && hint == "access_token")
    }
}

impl Bed {
    /// A manager whose provider persists access tokens (`persistAccessToken`).
    fn persisting() -> Self {
        Self::configured(NO_OFFLINE, |c| c.persist_access_token(true))
    }

    /// [`Self::persisting`] with a session without refresh token in the store (as a previous
    /// run left it): access token `at`, expiring at `expires_at` (seconds since the epoch).
    fn stored_access(at: &str, expires_at: Option<u64>) -> Self {
        let bed = Self::persisting();
        bed.vault
            .save_record(P, A, &access_record(at, expires_at))
            .unwrap();
        bed
    }

    /// The stored record, if any.
    fn record(&self) -> Option<Record> {
        self.vault.load_record(P, A).unwrap()
    }

    /// Whether the store holds a record without refresh token with access token `at`.
    fn store_holds_access(&self, at: &str) -> bool {
        self.record().is_some_and(|r| {
            r.v == crate::vault::ACCESS_TOKEN_RECORD_VERSION
                && r.refresh_token.is_none()
                && r.access_token.is_some_and(|t| t.secret() == at)
        })
    }
}

/// A version 2 record of the scripted provider holding access token `at`.
fn access_record(at: &str, expires_at: Option<u64>) -> Record {
    Record {
        dpop_key: None,
        v: crate::vault::ACCESS_TOKEN_RECORD_VERSION,
        issuer: ISSUER.into(),
        client_id: CLIENT.into(),
        scopes: NO_OFFLINE.iter().map(|s| s.to_string()).collect(),
        subject: None,
        refresh_token: None,
        access_token: Some(AccessToken::new(at.to_string())),
        access_token_expires_at: expires_at,
        id_token: None,
        saved_at: 0,
    }
}

/// With `persistAccessToken` on, a sign-in without refresh token stores its access token and
/// the expiry the provider gave, in one version 2 record.
#[cfg(desktop)]
#[tokio::test]
async fn a_sign_in_without_refresh_token_stores_its_access_token_when_configured() {
    let bed = Bed::persisting();
    bed.idp.then(access_only("AT1", Some(3600)));
    let status = bed
        .login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap();
    assert!(status.signed_in);
    assert!(bed.store_holds_access("AT1"));
    let expected = bed.clock.secs() as u64 + 3600;
    assert_eq!(
        bed.record().unwrap().access_token_expires_at,
        Some(expected)
    );
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
}

/// Without `expires_in` such an access token does not expire (GitHub's never do): no expiry
/// in the store or the status, and it is served years later without a request.
#[cfg(desktop)]
#[tokio::test]
async fn a_persisted_access_token_without_expires_in_does_not_expire() {
    let bed = Bed::persisting();
    bed.idp.then(access_only("AT1", None));
    let status = bed
        .login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap();
    assert_eq!(status.expires_at, None, "no assumed lifetime");
    assert!(bed.store_holds_access("AT1"));
    assert_eq!(bed.record().unwrap().access_token_expires_at, None);
    let requests = bed.idp.requests();
    bed.clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    assert!(is(
        &bed.m
            .get_token(P, A, Duration::from_secs(86_400))
            .await
            .unwrap(),
        "AT1"
    ));
    assert_eq!(bed.idp.requests(), requests, "no request");
}

/// A sign-in that gets a refresh token stores that, exactly as without the setting: a
/// version 1 record, no access token in it; and a refresh response without `expires_in` keeps
/// the assumed lifetime.
#[cfg(desktop)]
#[tokio::test]
async fn with_a_refresh_token_the_access_token_is_never_persisted() {
    let bed = Bed::configured(SCOPES, |c| c.persist_access_token(true));
    bed.idp.then(Answer::Json(
        200,
        json!({ "access_token": "AT1", "token_type": "Bearer", "refresh_token": "RT1" }),
    ));
    let status = bed
        .login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap();
    let r = bed.record().unwrap();
    assert_eq!(r.v, RECORD_VERSION);
    assert!(r.access_token.is_none() && r.access_token_expires_at.is_none());
    assert!(bed.store_holds("RT1"));
    let expected = bed.clock.now() + Duration::from_secs(300);
    assert_eq!(
        status.expires_at,
        Some(expected.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64),
        "the assumed lifetime, as without the setting"
    );
}

/// The setting off (the default): a sign-in without refresh token stores nothing, as before.
#[cfg(desktop)]
#[tokio::test]
async fn without_the_setting_a_sign_in_without_refresh_token_stores_nothing() {
    let bed = Bed::new(NO_OFFLINE);
    bed.idp.then(access_only("AT1", None));
    let status = bed
        .login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap();
    assert!(status.signed_in);
    assert!(bed.store_is_empty());
    assert!(status.expires_at.is_some(), "the assumed lifetime");
    let restarted = SessionManager::with_vault(
        bed.vault.clone(),
        HashMap::from([(
            P.into(),
            ProviderConfig::new(ISSUER.parse().unwrap(), CLIENT).scopes(NO_OFFLINE.iter().copied()),
        )]),
    )
    .with_transport(Arc::new(bed.idp.clone()));
    assert!(!restarted.status(P, A).await.unwrap().signed_in);
}

/// A new manager (the app restarted) restores the session from the store: the stored access
/// token, without any request (not even discovery); status signed in; one `restored` event.
#[tokio::test]
async fn a_persisted_access_token_is_restored_without_any_request() {
    let expires = TestClock::new().secs() as u64 + 3600;
    let bed = Bed::stored_access("AT1", Some(expires));
    let mut events = bed.m.subscribe();
    let status = bed.m.status(P, A).await.unwrap();
    assert!(status.signed_in);
    assert_eq!(status.expires_at, Some(expires * 1000));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    assert!(bed.m.refresh(P, A).await.unwrap().signed_in);
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    assert_eq!(bed.idp.requests(), 0, "no request at all");
    assert_eq!(
        seen(&mut events),
        [(SessionState::SignedIn, SessionChangeReason::Restored)]
    );
    // Restored by `get_token` first as well.
    let bed = Bed::stored_access("AT1", None);
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    assert!(bed.m.status(P, A).await.unwrap().signed_in);
    assert_eq!(bed.idp.requests(), 0);
}

/// Ended: `session_expired`, the record wiped, `signed_out`/`session_expired` once after the
/// restore, no request at the token endpoint; later calls are `not_signed_in` (no loop).
async fn assert_access_only_ended(
    bed: &Bed,
    events: &mut super::SessionEvents,
    e: crate::error::Error,
) {
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(!e.to_string().contains("AT1"), "{e}");
    assert!(bed.store_is_empty(), "the record is wiped");
    assert_eq!(
        seen(events),
        [
            (SessionState::SignedIn, SessionChangeReason::Restored),
            (SessionState::SignedOut, SessionChangeReason::SessionExpired),
        ]
    );
    assert!(!bed.m.status(P, A).await.unwrap().signed_in);
    assert_eq!(bed.get_token().await.unwrap_err().code(), "not_signed_in");
    assert_eq!(
        bed.m.refresh(P, A).await.unwrap_err().code(),
        "not_signed_in"
    );
    assert!(bed.script_is_silent_at_the_token_endpoint());
    assert!(seen(events).is_empty(), "no further event");
}

/// While it is valid, a refresh (forced or for `min_ttl`) returns the persisted access token
/// unchanged without a request; once it has expired the session ends cleanly.
#[tokio::test]
async fn a_persisted_access_token_is_kept_while_valid_and_the_session_ends_when_it_expires() {
    let expires = TestClock::new().secs() as u64 + 3600;
    let bed = Bed::stored_access("AT1", Some(expires));
    let mut events = bed.m.subscribe();
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    bed.clock.advance(Duration::from_secs(3550));
    // Within the leeway, and `min_ttl` longer than what is left: the same token.
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    let t = bed
        .m
        .get_token(P, A, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(is(&t, "AT1"));
    assert!(bed.m.refresh(P, A).await.unwrap().signed_in);
    assert_eq!(bed.idp.requests(), 0);
    bed.clock.advance(Duration::from_secs(50));
    let e = bed.get_token().await.unwrap_err();
    assert_access_only_ended(&bed, &mut events, e).await;

    // `refresh` after expiry ends it the same way.
    let bed = Bed::stored_access("AT1", Some(expires));
    let mut events = bed.m.subscribe();
    bed.m.status(P, A).await.unwrap();
    bed.clock.advance(Duration::from_secs(3600));
    let e = bed.m.refresh(P, A).await.unwrap_err();
    assert_access_only_ended(&bed, &mut events, e).await;

    // Already expired when restored.
    let bed = Bed::stored_access("AT1", Some(expires - 7200));
    let mut events = bed.m.subscribe();
    let e = bed.get_token().await.unwrap_err();
    assert_access_only_ended(&bed, &mut events, e).await;
}

/// A 401 from an API (`refresh_if_current`, what `fetch` calls) on a session without refresh
/// token ends it: the token is dead and nothing can renew it. Callers queued behind share the
/// outcome; one event.
#[tokio::test]
async fn a_401_on_a_persisted_access_token_ends_the_session() {
    let bed = Bed::stored_access("AT1", None);
    let mut events = bed.m.subscribe();
    let used = bed.get_token().await.unwrap();
    let acct = bed.m.account(P, A).unwrap();
    let gate = acct.inner.lock().await;
    let got = queued_behind(
        gate,
        vec![
            bed.m.refresh_if_current(P, A, &used),
            bed.m.refresh_if_current(P, A, &used),
        ],
    )
    .await;
    let mut got = got.into_iter();
    let e = got.next().unwrap().unwrap_err();
    assert_eq!(got.next().unwrap().unwrap_err().code(), "session_expired");
    assert_access_only_ended(&bed, &mut events, e).await;
}

/// Logout revokes the persisted access token (also right after a restart, before anything
/// was loaded) and wipes the record.
#[tokio::test]
async fn logout_revokes_the_persisted_access_token_and_wipes_the_record() {
    for load_first in [true, false] {
        let bed = Bed::stored_access("AT1", None);
        let mut events = bed.m.subscribe();
        if load_first {
            assert!(is(&bed.get_token().await.unwrap(), "AT1"));
        }
        let report = bed.m.logout(P, A).await.unwrap();
        assert!(
            report.revoked && report.revocation_error.is_none(),
            "{report:?}"
        );
        assert!(report.store_cleared, "{report:?}");
        assert!(bed.idp.revoked_access_token("AT1"));
        assert_eq!(bed.idp.revocations(), 1, "once");
        assert!(bed.store_is_empty());
        assert!(!bed.m.status(P, A).await.unwrap().signed_in);
        assert_eq!(
            seen(&mut events).last(),
            Some(&(SessionState::SignedOut, SessionChangeReason::Logout))
        );
    }
}

/// Signing in over a session without refresh token replaces it: the new session is stored
/// and the replaced access token revoked.
#[cfg(desktop)]
#[tokio::test]
async fn a_sign_in_over_a_persisted_access_token_revokes_the_replaced_one() {
    let bed = Bed::stored_access("AT1", None);
    bed.idp.then(access_only("AT2", None));
    bed.login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap();
    assert!(bed.store_holds_access("AT2"));
    assert!(bed.idp.revoked_access_token("AT1"));
    assert!(!bed.idp.revoked_access_token("AT2"));
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));
}

/// A sign-in whose access token cannot be stored revokes it (nobody would hold it), like a
/// refresh token.
#[cfg(desktop)]
#[tokio::test]
async fn a_sign_in_whose_access_token_save_fails_revokes_it() {
    let bed = Bed::persisting();
    bed.idp.then(access_only("AT1", None));
    bed.vault.fail_next_write();
    let e = bed
        .login(&instant_browser("code-1", Arc::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    assert!(bed.idp.revoked_access_token("AT1"));
    assert!(bed.store_is_empty());
    assert!(!bed.m.status(P, A).await.unwrap().signed_in);
}

/// Another process signed in again since this one read the store: a 401 on the old token (or
/// its expiry) takes over the new session instead of wiping it; a stored session with a
/// refresh token is refreshed.
#[tokio::test]
async fn an_ended_access_token_defers_to_a_session_another_process_stored() {
    let bed = Bed::stored_access("AT1", None);
    let used = bed.get_token().await.unwrap();
    bed.vault
        .save_record(P, A, &access_record("AT2", None))
        .unwrap();
    let t = bed.m.refresh_if_current(P, A, &used).await.unwrap();
    assert!(is(&t, "AT2"));
    assert!(
        bed.store_holds_access("AT2"),
        "the other process's session is kept"
    );
    assert!(is(&bed.get_token().await.unwrap(), "AT2"));

    let expires = TestClock::new().secs() as u64 + 60;
    let bed = Bed::stored_access("AT1", Some(expires));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    let mut other = access_record("unused", None);
    other.v = RECORD_VERSION;
    other.access_token = None;
    other.refresh_token = Some(RefreshToken::new("RT9"));
    bed.vault.save_record(P, A, &other).unwrap();
    bed.clock.advance(Duration::from_secs(61));
    bed.idp.then(tokens("AT3", Some("RT10"), None));
    assert!(is(&bed.get_token().await.unwrap(), "AT3"));
    assert!(bed.idp.refresh_presented(0, "RT9"));
    assert!(bed.store_holds("RT10"));
}

/// A session with a refresh token whose store another process replaced with a session without
/// one (a new sign-in there): the refresh re-reads the store under the lock and serves the
/// stored access token instead of refreshing; an expired one ends the session.
#[tokio::test]
async fn a_refresh_defers_to_an_access_token_session_another_process_stored() {
    let bed = Bed::stored_configured(SCOPES, "RT1", |c| c.persist_access_token(true));
    bed.idp.then(tokens("AT1", Some("RT2"), None));
    assert!(is(&bed.get_token().await.unwrap(), "AT1"));
    bed.vault
        .save_record(P, A, &access_record("AT9", None))
        .unwrap();
    bed.clock.advance(TTL);
    assert!(is(&bed.get_token().await.unwrap(), "AT9"));
    assert_eq!(bed.idp.refreshes(), 1, "no refresh with the replaced token");
    assert!(bed.store_holds_access("AT9"));

    let bed = Bed::stored_configured(SCOPES, "RT1", |c| c.persist_access_token(true));
    let mut events = bed.m.subscribe();
    bed.m.status(P, A).await.unwrap();
    let expired = bed.clock.secs() as u64 - 1;
    bed.vault
        .save_record(P, A, &access_record("AT9", Some(expired)))
        .unwrap();
    let e = bed.get_token().await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    assert!(bed.store_is_empty());
    assert!(bed.script_is_silent_at_the_token_endpoint());
    assert_eq!(
        seen(&mut events),
        [
            (SessionState::SignedIn, SessionChangeReason::Restored),
            (SessionState::SignedOut, SessionChangeReason::SessionExpired),
        ]
    );
}
