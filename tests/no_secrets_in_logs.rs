//! Three sign-ins (the third over the second's session, whose refresh token it revokes), a
//! refresh, fetches (one answered 401, so the session refreshes and the request is retried), an
//! `invalid_grant` wipe, a logout whose revocation fails (provider answering 503) and whose
//! account lock cannot be taken, a clean logout, and a fourth sign-in without refresh token
//! whose access token is kept in the store (`persistAccessToken`: restored by a new manager,
//! logged out), and a fifth with DPoP (RFC 9449: its private key generated, stored, signing the
//! exchange, a fetch through a nonce challenge, a refresh and the revocation; the key is
//! searched for in five text forms), against the real provider and Secret Service, with every `log` record and every `tracing` event and span (all targets, TRACE:
//! hyper-util carries every request; the Secret Service is reached through libdbus, C code that
//! logs nothing to `log` or `tracing`)
//! captured: no secret of the run appears in the logs, in any `Debug` output, in the session
//! events or in the error strings.
//!
//! The secrets are the real values of the run, taken from both ends: the provider records every
//! token endpoint exchange (`IDP_RECORD_TOKENS`: each code and verifier presented, each access,
//! refresh and ID token issued, so every rotation) and the browser stand-in records the launch
//! URL it was given, the authorization URL that launch URL redirected it to (`state`, `nonce`,
//! `code_challenge`) and the redirect it delivered (`code`) (`TV_BROWSER_RECORD`). The two
//! records are checked against each other and against what the plugin stored and served, so
//! they are the values the plugin really used.
//!
//! The browser is opened on the loopback launch URL, never on the authorization URL: the
//! `webbrowser` crate logs the URL it opens (DEBUG), which the capture must see, and what it
//! sees is the launch URL. The launch path (a one-time secret until used) appears in no other
//! log record, tracing line, `Debug` output, event or error.

#[path = "support/dpop_server.rs"]
mod dpop_server;
mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use tauri_plugin_token_vault::testing::Vault;
use tauri_plugin_token_vault::FetchRequest;
use tauri_plugin_token_vault::{SessionManager, SessionState};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Interest, LevelFilter, Metadata, Subscriber};
use url::Url;

const P: &str = "p";
const A: &str = "a";

/// Every `log` record, formatted.
static LOG_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Every `tracing` event, span creation and span field update, formatted with all fields.
static TRACE_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct LogCapture;

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        LOG_LINES.lock().unwrap().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

/// A `tracing` subscriber interested in everything (every callsite, every level), keeping one
/// line per event and per span (with its fields) and per later `record` of span fields.
struct TraceCapture {
    next_span: AtomicU64,
}

/// Writes each field as ` name=value`: strings raw (no escaping that could hide a secret),
/// errors by `Display` and `Debug`, anything else by `Debug`.
struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let _ = write!(self.0, " {}={value} ({value:?})", field.name());
    }
}

fn describe(kind: &str, meta: &Metadata<'_>) -> String {
    format!("{kind} {} {} {}", meta.level(), meta.target(), meta.name())
}

impl Subscriber for TraceCapture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = describe("span", span.metadata());
        span.record(&mut Fields(&mut line));
        TRACE_LINES.lock().unwrap().push(line);
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut line = format!("record span {}", span.into_u64());
        values.record(&mut Fields(&mut line));
        TRACE_LINES.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = describe("event", event.metadata());
        event.record(&mut Fields(&mut line));
        TRACE_LINES.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn install_captures() {
    static LOG: LogCapture = LogCapture;
    log::set_logger(&LOG).expect("the only logger of this test binary");
    log::set_max_level(log::LevelFilter::Trace);
    tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(TraceCapture {
        next_span: AtomicU64::new(1),
    }))
    .expect("the only tracing subscriber of this test binary");
}

/// One secret of the run: what it is (for the report) and its value.
struct Secret {
    kind: String,
    value: String,
}

/// Whether any captured log record contains `text`.
fn logs_contain(text: &str) -> bool {
    LOG_LINES.lock().unwrap().iter().any(|l| l.contains(text))
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn no_secret_in_logs_tracing_debug_output_events_or_errors() {
    install_captures();
    support::require_secret_service();
    let work = tempfile::tempdir().unwrap();
    let browser_record = work.path().join("browser-record.jsonl");
    // Inherited by the stand-in the system-browser step spawns ($BROWSER, set by the support
    // module). This binary runs this one test, so no other thread reads the environment.
    std::env::set_var("TV_BROWSER_RECORD", &browser_record);
    let idp = support::Idp::start_with(&[("IDP_RECORD_TOKENS", "1")]);
    let rs = support::RecordingServer::start().await;
    let service = support::unique_service("no-secrets");
    let vault = Vault::platform(&service).unwrap();
    let config = idp
        .provider()
        .fetch_allowlist(tauri_plugin_token_vault::Allowlist::parse([rs.origin.as_str()]).unwrap());
    let m = SessionManager::new(&service, HashMap::from([(P.to_string(), config)]))
        .with_lock_dir(work.path().join("locks"));
    let mut events = m.subscribe();
    // Debug output, serialized events and error strings of the run.
    let mut printed: Vec<String> = Vec::new();
    // Values read back from the plugin (store, `get_token`, resource server), each of which must
    // be one the provider issued.
    let mut seen_access = Vec::new();
    let mut seen_refresh = Vec::new();
    let mut seen_id = Vec::new();

    // Sign-in 1, a token from memory, a forced refresh.
    let status = support::sign_in(&m, P, A).await;
    printed.push(format!("{status:?} {m:?} {vault:?}"));
    let record = vault.load_record(P, A).unwrap().unwrap();
    printed.push(format!("{record:?}"));
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    seen_id.push(record.id_token.as_ref().unwrap().secret().to_string());
    let at = m.get_token(P, A, Duration::ZERO).await.unwrap();
    printed.push(format!("{at:?}"));
    seen_access.push(at.secret().to_string());
    printed.push(format!("{:?}", m.refresh(P, A).await.unwrap()));
    let record = vault.load_record(P, A).unwrap().unwrap();
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    let at = m.get_token(P, A, Duration::ZERO).await.unwrap();
    seen_access.push(at.secret().to_string());
    printed.push(format!("{:?}", m.status(P, A).await.unwrap()));

    // The fetch path: a plain 200, then a 401 (the resource server rejects the first token it
    // ever saw) ⇒ one refresh and one retry with the new token.
    let r = m
        .fetch(P, A, FetchRequest::get(rs.url("/api/data")))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    printed.push(format!("{r:?}"));
    let r = m
        .fetch(P, A, FetchRequest::get(rs.url("/reject-first")))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "retried with the refreshed token");
    printed.push(format!("{r:?}"));
    let retried: Vec<String> = rs
        .requests()
        .iter()
        .filter(|s| s.path == "/reject-first")
        .map(|s| s.authorization.clone().expect("a bearer token"))
        .collect();
    assert_eq!(retried.len(), 2, "one 401, one retry");
    assert_ne!(retried[0], retried[1], "the retry carries a new token");
    for auth in rs.requests().iter().filter_map(|s| s.authorization.clone()) {
        let token = auth.strip_prefix("Bearer ").expect("a bearer token");
        seen_access.push(token.to_string());
    }
    let record = vault.load_record(P, A).unwrap().unwrap();
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    seen_id.push(record.id_token.as_ref().unwrap().secret().to_string());

    // invalid_grant: the provider no longer knows the stored refresh token ⇒ the refresh fails
    // with session_expired and the record is wiped.
    idp.revoke(
        record.refresh_token.as_ref().unwrap().secret(),
        "refresh_token",
    )
    .await;
    let e = m.refresh(P, A).await.unwrap_err();
    assert_eq!(e.code(), "session_expired", "{e}");
    printed.push(format!("{e} {e:?} {}", serde_json::to_string(&e).unwrap()));
    assert!(vault.load_record(P, A).unwrap().is_none(), "record wiped");
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    assert_eq!(e.code(), "not_signed_in", "{e}");
    printed.push(format!("{e} {e:?}"));

    // Sign-in 2 (a second state, nonce, code and verifier), then sign-in 3 over it (the
    // replaced refresh token is revoked).
    let status = support::sign_in(&m, P, A).await;
    printed.push(format!("{status:?}"));
    let replaced = vault
        .load_record(P, A)
        .unwrap()
        .unwrap()
        .refresh_token
        .unwrap();
    seen_refresh.push(replaced.secret().to_string());
    let status = support::sign_in(&m, P, A).await;
    printed.push(format!("{status:?}"));
    assert!(
        !idp.is_active(replaced.secret()).await,
        "replaced token revoked"
    );
    let record = vault.load_record(P, A).unwrap().unwrap();
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    let latest_id_token = record.id_token.as_ref().unwrap().secret().to_string();
    seen_id.push(latest_id_token.clone());
    let at = m.get_token(P, A, Duration::ZERO).await.unwrap();
    seen_access.push(at.secret().to_string());

    // A logout that cannot revoke (the provider answers 503) from another manager whose
    // account lock cannot be taken (its lock directory is a file): it goes on, clears the
    // store and reports why revocation failed (logged: the missing lock).
    let not_a_dir = work.path().join("not-a-dir");
    std::fs::write(&not_a_dir, b"").unwrap();
    let config2 = idp.provider();
    let m2 = SessionManager::new(&service, HashMap::from([(P.to_string(), config2)]))
        .with_lock_dir(not_a_dir.join("locks"));
    m2.userinfo_endpoint(P).await.unwrap(); // discovered while the provider still answers
    idp.fault("503").await;
    let report = m2.logout(P, A).await.unwrap();
    idp.fault("none").await;
    assert!(!report.revoked && report.store_cleared, "{report:?}");
    assert_eq!(report.revocation_error.as_ref().unwrap().code(), "network");
    printed.push(format!("{report:?} {m2:?}"));
    printed.push(serde_json::to_string(&report.revocation_error).unwrap());
    assert!(
        logs_contain("without the account lock"),
        "the lock failure is logged"
    );

    // The clean logout (this manager still holds the session in memory).
    let report = m.logout(P, A).await.unwrap();
    // The end-session URL carries the ID token by design (`id_token_hint`): the report's Debug
    // must still not show it.
    assert!(report
        .end_session_url
        .as_ref()
        .unwrap()
        .as_str()
        .contains(&latest_id_token));
    printed.push(format!("{report:?}"));
    let e = m.get_token(P, A, Duration::ZERO).await.unwrap_err();
    printed.push(format!("{e} {e:?}"));

    // Sign-in 4 with a configuration that gets no refresh token and keeps the access token in
    // the store (`persistAccessToken`): stored, restored by a new manager, logged out.
    let persisting = idp.provider().scopes(["openid"]).persist_access_token(true);
    let persisting_manager = || {
        SessionManager::new(
            &service,
            HashMap::from([(P.to_string(), persisting.clone())]),
        )
        .with_lock_dir(work.path().join("locks"))
    };
    let m3 = persisting_manager();
    let status = support::sign_in(&m3, P, A).await;
    printed.push(format!("{status:?} {m3:?}"));
    let record = vault.load_record(P, A).unwrap().unwrap();
    printed.push(format!("{record:?}"));
    assert!(record.refresh_token.is_none(), "no refresh token issued");
    seen_access.push(record.access_token.as_ref().unwrap().secret().to_string());
    seen_id.push(record.id_token.as_ref().unwrap().secret().to_string());
    drop(m3);
    let m4 = persisting_manager();
    let at = m4.get_token(P, A, Duration::ZERO).await.unwrap();
    printed.push(format!("{at:?}"));
    seen_access.push(at.secret().to_string());
    printed.push(format!("{:?}", m4.status(P, A).await.unwrap()));
    let report = m4.logout(P, A).await.unwrap();
    assert!(report.revoked && report.store_cleared, "{report:?}");
    printed.push(format!("{report:?}"));
    let e = m4.get_token(P, A, Duration::ZERO).await.unwrap_err();
    printed.push(format!("{e} {e:?}"));

    // Sign-in 5 with DPoP (RFC 9449): the key pair is generated, stored beside the refresh
    // token, signs the code exchange, a fetch to a resource server that asks for a nonce, a
    // refresh and the logout's revocation.
    let dpop_rs = dpop_server::DpopServer::start(&idp, true).await;
    let dpop_origin = dpop_rs.url("/");
    let dpop_config = idp
        .provider()
        .dpop(tauri_plugin_token_vault::DpopMode::Required)
        .fetch_allowlist(
            tauri_plugin_token_vault::Allowlist::parse([dpop_origin
                .as_str()
                .trim_end_matches('/')])
            .unwrap(),
        );
    let m5 = SessionManager::new(&service, HashMap::from([(P.to_string(), dpop_config)]))
        .with_lock_dir(work.path().join("locks"));
    let mut dpop_events = m5.subscribe();
    let status = support::sign_in(&m5, P, A).await;
    assert!(status.dpop_jkt.is_some(), "a DPoP session");
    printed.push(format!("{status:?} {m5:?}"));
    let record = vault.load_record(P, A).unwrap().unwrap();
    printed.push(format!("{record:?}"));
    let dpop_key = record.dpop_key.clone().expect("the key is stored");
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    seen_id.push(record.id_token.as_ref().unwrap().secret().to_string());
    let at = m5.get_token(P, A, Duration::ZERO).await.unwrap();
    printed.push(format!("{at:?}"));
    seen_access.push(at.secret().to_string());
    let r = m5
        .fetch(P, A, FetchRequest::get(dpop_rs.url("/api/me")))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    printed.push(format!("{r:?}"));
    assert_eq!(dpop_rs.nonce_challenges(), 1);
    printed.push(format!("{:?}", m5.refresh(P, A).await.unwrap()));
    let record = vault.load_record(P, A).unwrap().unwrap();
    seen_refresh.push(record.refresh_token.as_ref().unwrap().secret().to_string());
    let at = m5.get_token(P, A, Duration::ZERO).await.unwrap();
    seen_access.push(at.secret().to_string());
    let report = m5.logout(P, A).await.unwrap();
    assert!(report.revoked && report.store_cleared, "{report:?}");
    printed.push(format!("{report:?}"));
    let mut dpop_reasons = Vec::new();
    while let Some(e) = dpop_events.try_recv() {
        dpop_reasons.push(e.reason);
        printed.push(format!("{e:?}"));
        printed.push(serde_json::to_string(&e).unwrap());
    }
    assert_eq!(dpop_reasons, ["login", "logout"]);

    let mut event_count = 0;
    let mut reasons = Vec::new();
    while let Some(e) = events.try_recv() {
        event_count += 1;
        reasons.push(e.reason);
        printed.push(format!("{e:?}"));
        printed.push(serde_json::to_string(&e).unwrap());
        if e.reason == "session_expired" {
            assert_eq!(e.state, SessionState::SignedOut);
        }
    }
    assert_eq!(
        reasons,
        ["login", "session_expired", "login", "login", "logout"],
        "the events of the run"
    );

    // ---- The secrets of the run, from the provider and from the browser, cross-checked. ----
    let mut secrets: Vec<Secret> = Vec::new();
    let mut add = |kind: String, value: &str| {
        secrets.push(Secret {
            kind,
            value: value.to_string(),
        })
    };

    let exchanges = idp.token_exchanges().await;
    let grants: Vec<&str> = exchanges
        .iter()
        .map(|x| x["grant_type"].as_str().unwrap())
        .collect();
    // Sign-in, refresh, 401 retry, revoked (fails), sign-in, sign-in, sign-in (no refresh
    // token, access token persisted), DPoP sign-in, its refresh.
    assert_eq!(
        grants,
        [
            "authorization_code",
            "refresh_token",
            "refresh_token",
            "refresh_token",
            "authorization_code",
            "authorization_code",
            "authorization_code",
            "authorization_code",
            "refresh_token"
        ],
        "the token endpoint requests of the run"
    );
    assert_eq!(exchanges[3]["status"], 400, "the revoked token is refused");
    let issued = |kind: &str| -> Vec<String> {
        exchanges
            .iter()
            .filter_map(|x| x["issued"][kind].as_str().map(String::from))
            .collect()
    };
    let (issued_access, issued_refresh, issued_id) = (
        issued("access_token"),
        issued("refresh_token"),
        issued("id_token"),
    );
    // 5 sign-ins + 3 successful refreshes, each rotating the refresh token; the fourth
    // sign-in got no refresh token.
    assert_eq!(issued_access.len(), 8);
    assert_eq!(issued_refresh.len(), 7);
    assert_eq!(issued_id.len(), 8);
    for (seen, issued, kind) in [
        (&seen_access, &issued_access, "access token"),
        (&seen_refresh, &issued_refresh, "refresh token"),
        (&seen_id, &issued_id, "ID token"),
    ] {
        for s in seen {
            assert!(
                issued.contains(s),
                "a {kind} the plugin held was issued by the provider"
            );
        }
    }
    for (i, t) in issued_access.iter().enumerate() {
        add(format!("access token #{i}"), t);
    }
    for (i, t) in issued_refresh.iter().enumerate() {
        add(format!("refresh token #{i}"), t);
    }
    for (i, t) in issued_id.iter().enumerate() {
        add(format!("ID token #{i}"), t);
    }
    // Every refresh token presented (the revoked one included) was one issued.
    for x in &exchanges[1..4] {
        assert!(issued_refresh.contains(&x["refresh_token"].as_str().unwrap().to_string()));
    }
    let codes_presented: Vec<(&str, &str)> = exchanges
        .iter()
        .filter(|x| x["grant_type"] == "authorization_code")
        .map(|x| {
            (
                x["code"].as_str().unwrap(),
                x["code_verifier"].as_str().unwrap(),
            )
        })
        .collect();

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&browser_record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let authorize: Vec<Url> = lines
        .iter()
        .filter(|l| l["event"] == "authorize")
        .map(|l| Url::parse(l["url"].as_str().unwrap()).unwrap())
        .collect();
    let delivered: Vec<HashMap<String, String>> = lines
        .iter()
        .filter(|l| l["event"] == "deliver")
        .map(|l| {
            let url = Url::parse(l["url"].as_str().unwrap()).unwrap();
            match l["body"].as_str() {
                Some(body) => url::form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect(),
                None => query(&url),
            }
        })
        .collect();
    let launches: Vec<Url> = lines
        .iter()
        .filter(|l| l["event"] == "launch")
        .map(|l| Url::parse(l["url"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!((authorize.len(), delivered.len()), (5, 5), "five sign-ins");
    for (i, ((url, response), (code, verifier))) in authorize
        .iter()
        .zip(&delivered)
        .zip(&codes_presented)
        .enumerate()
    {
        let q = query(url);
        let (state, nonce, challenge) = (&q["state"], &q["nonce"], &q["code_challenge"]);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            &response["state"], state,
            "the redirect answers this request"
        );
        assert_eq!(
            &response["code"], code,
            "the code delivered is the one exchanged"
        );
        assert_eq!(
            &s256(verifier),
            challenge,
            "the verifier presented is the one behind the URL's challenge"
        );
        add(format!("state #{i}"), state);
        add(format!("nonce #{i}"), nonce);
        add(format!("code challenge #{i}"), challenge);
        add(format!("authorization code #{i}"), code);
        add(format!("PKCE verifier #{i}"), verifier);
    }
    // The DPoP private key as stored (base64url PKCS#8), its DER in the other usual text forms,
    // and its private scalar alone (the 32 bytes after the ECPrivateKey's version, `04 20`).
    assert_eq!(dpop_key.alg, "ES256");
    let der = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(dpop_key.pkcs8.as_ref().unwrap().secret())
        .unwrap();
    let at = der
        .windows(5)
        .position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20])
        .expect("an ECPrivateKey in the PKCS#8 document");
    let scalar = &der[at + 5..at + 37];
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    add(
        "DPoP key (stored form)".into(),
        dpop_key.pkcs8.as_ref().unwrap().secret(),
    );
    add(
        "DPoP key (base64)".into(),
        &base64::engine::general_purpose::STANDARD.encode(&der),
    );
    add("DPoP key (hex)".into(), &hex(&der));
    add(
        "DPoP private scalar (base64url)".into(),
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(scalar),
    );
    add("DPoP private scalar (hex)".into(), &hex(scalar));
    // 8 access + 7 refresh + 8 ID tokens, per sign-in state, nonce, challenge, code, verifier,
    // and the DPoP key in 5 forms.
    assert_eq!(secrets.len(), 8 + 7 + 8 + 5 * 5 + 5);
    for s in &secrets {
        assert!(
            s.value.len() >= 20,
            "{} is long enough to search for",
            s.kind
        );
    }

    // ---- Every channel, against every secret. ----
    let logs = LOG_LINES.lock().unwrap().clone();
    let traces = TRACE_LINES.lock().unwrap().clone();
    assert!(
        logs.iter().any(|l| l.contains("token-vault")),
        "the log capture works: {} lines",
        logs.len()
    );
    assert!(
        traces.iter().any(|l| l
            .split(' ')
            .nth(2)
            .is_some_and(|t| t.starts_with("hyper_util"))),
        "the tracing capture sees hyper_util: {} lines",
        traces.len()
    );
    let channels: [(&str, &[String]); 3] = [
        ("log record", &logs),
        ("tracing event/span", &traces),
        ("Debug output, event or error string", &printed),
    ];
    let mut leaks = Vec::new();
    for (channel, texts) in channels {
        for text in texts {
            for s in &secrets {
                let n = text.matches(s.value.as_str()).count();
                if n > 0 {
                    let mut shown = text.clone();
                    for s in &secrets {
                        shown = shown.replace(s.value.as_str(), &format!("<{}>", s.kind));
                    }
                    leaks.push(format!("{n} × {} in a {channel}: {shown}", s.kind));
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // Checked after the leaks, so opening the authorization URL itself is reported as leaks.
    assert_eq!(
        launches.len(),
        5,
        "the browser was given a launch URL five times"
    );
    // What the browser was given: the loopback receiver's origin (the authorization request's
    // redirect URI) and a fresh random path; no authorization parameter, no secret of the run.
    for (i, (launch, url)) in launches.iter().zip(&authorize).enumerate() {
        let redirect_uri = Url::parse(&query(url)["redirect_uri"]).unwrap();
        assert_eq!(launch.scheme(), "http", "launch URL #{i}");
        assert_eq!(launch.host_str(), Some("127.0.0.1"), "launch URL #{i}");
        assert_eq!(launch.port(), redirect_uri.port(), "launch URL #{i}");
        assert_eq!((launch.query(), launch.fragment()), (None, None));
        assert_eq!(
            launch.path().len(),
            44,
            "launch URL #{i}: `/` and 43 characters"
        );
        for name in ["state", "nonce", "code_challenge", "redirect_uri"] {
            assert!(
                !launch.as_str().contains(name),
                "launch URL #{i} names `{name}`"
            );
        }
        for s in &secrets {
            assert!(
                !launch.as_str().contains(s.value.as_str()),
                "launch URL #{i} carries the {}",
                s.kind
            );
        }
    }
    for (a, b) in (0..5).flat_map(|a| (a + 1..5).map(move |b| (a, b))) {
        assert_ne!(
            launches[a].path(),
            launches[b].path(),
            "a fresh launch path per sign-in"
        );
    }

    // The browser launch is logged (webbrowser, DEBUG, the command it spawns): the capture sees
    // it, and it shows the launch URL, nothing of the authorization URL (the leak check above).
    // Only there does the launch path appear.
    let launched_by_webbrowser = |l: &String| {
        l.split(' ')
            .nth(1)
            .is_some_and(|target| target.starts_with("webbrowser"))
    };
    for (i, launch) in launches.iter().enumerate() {
        assert!(
            logs.iter()
                .any(|l| launched_by_webbrowser(l) && l.contains(launch.as_str())),
            "the log capture sees webbrowser open launch URL #{i}"
        );
        let random = &launch.path()[1..];
        let elsewhere = logs
            .iter()
            .filter(|l| !launched_by_webbrowser(l))
            .chain(&traces)
            .chain(&printed)
            .filter(|text| text.contains(random))
            .count();
        assert_eq!(
            elsewhere, 0,
            "launch path #{i} appears outside webbrowser's launch record"
        );
    }
    eprintln!(
        "{} log records, {} tracing lines, {} Debug/event/error texts ({event_count} events) \
         checked against {} secrets: 0 occurrences",
        logs.len(),
        traces.len(),
        printed.len(),
        secrets.len()
    );
}
