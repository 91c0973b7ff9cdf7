//! Property tests of [`judge`] (issue 8, "hardening"): thousands of generated requests to the
//! loopback listener, each with a stated outcome.
//!
//! Request targets come from a grammar that mixes the real callback path, the launch path and
//! near misses of both, percent-encoded and `+` forms of every parameter name and value,
//! duplicated and missing `state`/`code`/`iss`/`error`, empty pairs, garbage and very long
//! strings. The model ([`expected`]) decodes nothing: it knows each generated parameter's
//! decoded name and value, and states the verdict every class of request gets:
//!
//! | request | verdict |
//! |---|---|
//! | any method but `GET` (`HEAD`, `get`, `POST`…) | ignored, 405 |
//! | `GET` of the armed launch path exactly (origin-form, no query, not even `?`) | launch |
//! | any other path (`/callback/`, `/Callback`, `/%63allback`, the launch path with a query…) | ignored, 404 |
//! | `state`, `code`, `error`, `error_description` or `iss` more than once | ignored, 400 "Duplicate" |
//! | no `state` | ignored, 400 "Missing state" |
//! | a `state` that is not this sign-in's (wrong, empty, other case, longer, shorter) | ignored, 400 |
//! | this `state`, a wrong `iss` (not the issuer, a configured alias, or the configured template with a plausible, allowed tenant id), or none when the provider advertises it | `issuer_mismatch` |
//! | this `state` and `error=access_denied` / another `error` | `authorization_denied` / `authorization_failed` |
//! | this `state`, no `error`, no or an empty `code` | `invalid_authorization_response` |
//! | this `state`, the right (or no optional) `iss`, one non-empty `code` | the code |
//!
//! Names and values compare after `application/x-www-form-urlencoded` decoding (`%73tate` is
//! `state`, `+` is a space); the path compares as sent (`/%63allback` is not `/callback`).
//! Target strings that `http` cannot parse never reach `judge` (hyper answers 400 itself).

use hyper::{Method, StatusCode, Uri};
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::{judge, Expectation, LaunchPath, Verdict};
use crate::secret::State;
use crate::url_policy::issuer::IssuerPolicy;

/// The redirect path the receiver serves in these tests.
const CALLBACK: &str = "/callback";
/// The authority of absolute-form targets.
const AUTHORITY: &str = "http://127.0.0.1:1";
/// Parameter names `judge` reads; every other name is ignored.
const TRACKED: [&str; 5] = ["state", "code", "error", "error_description", "iss"];

/// Thousands of cases, nothing written next to the sources.
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

/// What `judge` answers, in comparable form (the code is a test value, not a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ignore(u16, &'static str),
    Launch,
    Code(String),
    Error(&'static str),
}

fn outcome(v: Verdict) -> Outcome {
    match v {
        Verdict::Ignore(status, why) => Outcome::Ignore(status.as_u16(), why),
        Verdict::Launch => Outcome::Launch,
        Verdict::Complete(Ok(code)) => Outcome::Code(code.secret().to_string()),
        Verdict::Complete(Err(e)) => Outcome::Error(e.code()),
    }
}

const NOT_GET: Outcome = Outcome::Ignore(405, "Only GET is accepted here.");
const NOT_FOUND: Outcome = Outcome::Ignore(404, "Not found.");
const DUPLICATE: Outcome = Outcome::Ignore(400, "Duplicate parameters.");
const MISSING_STATE: Outcome = Outcome::Ignore(400, "Missing state.");
const WRONG_STATE: Outcome =
    Outcome::Ignore(400, "This is not the response to the current sign-in.");

/// How a name or value is written into the query.
#[derive(Debug, Clone, Copy)]
enum Enc {
    /// As is, percent-encoding only what the query cannot carry literally.
    Plain,
    /// Every byte `%XX` (upper or lower case hex).
    Percent { upper: bool },
    /// Spaces as `+`, the rest as `Plain`.
    Plus,
}

/// Bytes a query carries literally and `application/x-www-form-urlencoded` leaves alone.
fn literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$'()*,;:@/?".contains(&b)
}

fn encode(s: &str, enc: Enc) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match enc {
            Enc::Percent { upper: true } => out.push_str(&format!("%{b:02X}")),
            Enc::Percent { upper: false } => out.push_str(&format!("%{b:02x}")),
            Enc::Plus if b == b' ' => out.push('+'),
            _ if literal(b) => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One query parameter: its decoded name and value and how they are written.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    name_enc: Enc,
    value: String,
    value_enc: Enc,
    /// Written as `name` alone when the value is empty (decodes to an empty value).
    bare: bool,
}

impl Param {
    fn write(&self) -> String {
        let name = encode(&self.name, self.name_enc);
        if self.bare && self.value.is_empty() {
            name
        } else {
            format!("{name}={}", encode(&self.value, self.value_enc))
        }
    }
}

/// A generated request target.
#[derive(Debug, Clone)]
struct Target {
    absolute: bool,
    path: String,
    /// `None`: no `?`. Each `Some` element is written as one pair; `None` elements are empty
    /// pairs (`&&`), which decoding skips.
    query: Option<Vec<Option<Param>>>,
}

impl Target {
    fn write(&self) -> String {
        let mut s = String::new();
        if self.absolute {
            s.push_str(AUTHORITY);
        }
        s.push_str(&self.path);
        if let Some(q) = &self.query {
            s.push('?');
            let pairs: Vec<String> = q
                .iter()
                .map(|p| p.as_ref().map(Param::write).unwrap_or_default())
                .collect();
            s.push_str(&pairs.join("&"));
        }
        s
    }

    /// The decoded parameters, empty pairs left out.
    fn params(&self) -> impl Iterator<Item = &Param> {
        self.query.iter().flatten().flatten()
    }
}

/// The issuer relaxation a side's provider configures (only with an issuer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relax {
    /// Neither `issuerTemplate` nor `issuerAliases`.
    None,
    /// `issuerAliases: [ALIAS]`.
    Alias,
    /// `issuerTemplate: TEMPLATE`, with `allowedTenants: [TENANT]` when `only`.
    Template { only: bool },
}

/// The alias a [`Relax::Alias`] side configures.
const ALIAS: &str = "idp.example";
/// The template a [`Relax::Template`] side configures, split around `{tenantid}`.
const TEMPLATE: (&str, &str) = ("https://idp.example/t/", "/v2");
/// The one allowed tenant of a `Relax::Template { only: true }` side.
const TENANT: &str = "tenant-a";

/// The sign-in's side: its `state`, issuer expectation and launch path.
#[derive(Debug, Clone)]
struct Side {
    state: String,
    issuer: &'static str,
    relax: Relax,
    advertised: bool,
    launch: Option<String>,
}

impl Side {
    fn expectation(&self) -> Expectation {
        let template = format!("{}{{tenantid}}{}", TEMPLATE.0, TEMPLATE.1);
        let policy = match self.relax {
            Relax::None => IssuerPolicy::exact(self.issuer),
            Relax::Alias => IssuerPolicy::new(self.issuer, None, &[], &[ALIAS.into()]).unwrap(),
            Relax::Template { only } => {
                let allowed = if only { vec![TENANT.into()] } else { vec![] };
                IssuerPolicy::new(self.issuer, Some(&template), &allowed, &[]).unwrap()
            }
        };
        Expectation::for_policy(State::new(self.state.clone()), policy, self.advertised)
    }

    /// Whether `iss` names this side's provider: the issuer (see [`is_the_issuer`]), the alias
    /// exactly, or the template with a tenant id of 1 to 64 ASCII letters, digits and `-`
    /// (the allowed one when there is an allow-list).
    fn names(&self, iss: &str) -> bool {
        let tenant_ok = |only: bool| {
            iss.strip_prefix(TEMPLATE.0)
                .and_then(|rest| rest.strip_suffix(TEMPLATE.1))
                .is_some_and(|t| {
                    (1..=64).contains(&t.len())
                        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && (!only || t == TENANT)
                })
        };
        is_the_issuer(iss, self.issuer)
            || match self.relax {
                Relax::None => false,
                Relax::Alias => iss == ALIAS,
                Relax::Template { only } => tenant_ok(only),
            }
    }
}

fn side() -> impl Strategy<Value = Side> {
    (
        prop_oneof![
            4 => "[A-Za-z0-9_-]{22,43}",
            1 => "\\PC{1,12}",
        ],
        prop_oneof![
            Just(""),
            Just("https://idp.example"),
            Just("https://idp.example/realms/a b"),
        ],
        prop_oneof![
            2 => Just(Relax::None),
            1 => Just(Relax::Alias),
            1 => any::<bool>().prop_map(|only| Relax::Template { only }),
        ],
        any::<bool>(),
        proptest::option::of("/[A-Za-z0-9_-]{43}"),
    )
        .prop_map(|(state, issuer, relax, advertised, launch)| Side {
            state,
            issuer,
            // A template and aliases need an issuer.
            relax: if issuer.is_empty() {
                Relax::None
            } else {
                relax
            },
            advertised,
            launch,
        })
}

/// `iss` values for `side`: its issuer and near misses, and, when it configures them, its
/// alias, tenants' issuers (allowed or not, plausible or not) and near misses of those.
fn iss_value(side: &Side) -> BoxedStrategy<String> {
    let issuer = side.issuer.to_string();
    let exact = prop_oneof![3 => Just(issuer.clone()), 2 => near(&issuer)];
    match side.relax {
        Relax::None => exact.boxed(),
        Relax::Alias => prop_oneof![
            2 => exact,
            2 => Just(ALIAS.to_string()),
            2 => near(ALIAS),
        ]
        .boxed(),
        Relax::Template { .. } => {
            let a = format!("{}{TENANT}{}", TEMPLATE.0, TEMPLATE.1);
            let tenant = prop_oneof![
                Just(TENANT.to_string()),
                Just("tenant-b".to_string()),
                Just("..".to_string()),
                Just("a/b".to_string()),
                Just("%2F".to_string()),
                Just(String::new()),
                "[A-Za-z0-9-]{1,70}",
                "\\PC{1,8}",
            ];
            prop_oneof![
                2 => exact,
                3 => tenant.prop_map(|t| format!("{}{t}{}", TEMPLATE.0, TEMPLATE.1)),
                2 => near(&a),
            ]
            .boxed()
        }
    }
}

/// Whether `iss` names `issuer`: the same text, or, for an issuer that is a bare origin (no
/// path), the same text with a `/` after it (one URL by the WHATWG rules). Nothing else.
fn is_the_issuer(iss: &str, issuer: &str) -> bool {
    let bare = issuer
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.contains('/'));
    iss == issuer || (bare && iss.strip_suffix('/') == Some(issuer))
}

/// Anything: any printable text, or a long run of one character (the request head of a real
/// request is at most 16 KiB: `MAX_REQUEST_BYTES`).
fn junk() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,16}",
        1 => (1000usize..6000, "[A-Za-z0-9._~-]").prop_map(|(n, c)| c.repeat(n)),
    ]
}

/// Near misses of `s`: empty, other case, one character more, less or changed.
fn near(s: &str) -> BoxedStrategy<String> {
    let s = s.to_string();
    let n = s.chars().count();
    prop_oneof![
        Just(String::new()),
        Just(s.to_uppercase()),
        Just(s.to_lowercase()),
        Just(format!("{s}x")),
        Just(format!("{s}/")),
        Just(format!("x{s}")),
        Just(format!("{s} ")),
        Just(s.chars().take(n.saturating_sub(1)).collect::<String>()),
        (0..n.max(1), any::<char>()).prop_map(move |(i, c)| {
            s.chars()
                .enumerate()
                .map(|(j, d)| if j == i { c } else { d })
                .collect()
        }),
    ]
    .boxed()
}

fn enc() -> impl Strategy<Value = Enc> {
    prop_oneof![
        4 => Just(Enc::Plain),
        1 => any::<bool>().prop_map(|upper| Enc::Percent { upper }),
        1 => Just(Enc::Plus),
    ]
}

/// A name `judge` ignores, some of them close to the ones it reads.
fn other_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("STATE".to_string()),
        Just("State".to_string()),
        Just("state ".to_string()),
        Just(" state".to_string()),
        Just("states".to_string()),
        Just("code[]".to_string()),
        Just("Code".to_string()),
        Just("ISS".to_string()),
        Just("error_".to_string()),
        Just("session_state".to_string()),
        "\\PC{0,8}",
    ]
    .prop_filter("a name judge reads", |n| !TRACKED.contains(&n.as_str()))
}

fn param(side: &Side) -> BoxedStrategy<Param> {
    let state = side.state.clone();
    let name_value = prop_oneof![
        4 => prop_oneof![
            6 => Just(state.clone()),
            3 => near(&state),
            1 => junk(),
        ]
        .prop_map(|v| ("state".to_string(), v)),
        4 => prop_oneof![
            3 => "[A-Za-z0-9._~+/=-]{1,40}",
            1 => Just(String::new()),
            1 => junk(),
        ]
        .prop_map(|v| ("code".to_string(), v)),
        2 => prop_oneof![
            5 => iss_value(side),
            1 => Just("https://evil.example".to_string()),
        ]
        .prop_map(|v| ("iss".to_string(), v)),
        1 => prop_oneof![
            Just("access_denied".to_string()),
            Just("invalid_scope".to_string()),
            Just("ACCESS_DENIED".to_string()),
            Just(String::new()),
            junk(),
        ]
        .prop_map(|v| ("error".to_string(), v)),
        1 => junk().prop_map(|v| ("error_description".to_string(), v)),
        2 => (other_name(), junk()),
    ];
    (name_value, enc(), enc(), any::<bool>())
        .prop_map(|((name, value), name_enc, value_enc, bare)| Param {
            name,
            name_enc,
            value,
            value_enc,
            bare,
        })
        .boxed()
}

/// Paths: the callback path and its near misses, the launch path and its near misses, others.
fn path(side: &Side) -> BoxedStrategy<String> {
    let launch = side
        .launch
        .clone()
        .unwrap_or_else(|| "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    prop_oneof![
        40 => Just(CALLBACK.to_string()),
        1 => Just("/callback/".to_string()),
        1 => Just("/Callback".to_string()),
        1 => Just("/%63allback".to_string()),
        1 => Just("/callback%2F".to_string()),
        1 => Just("/callback;x".to_string()),
        1 => Just("//callback".to_string()),
        1 => Just("/callback/..".to_string()),
        1 => Just("/".to_string()),
        6 => Just(launch.clone()),
        1 => Just(format!("{launch}/")),
        1 => Just(launch.to_lowercase()),
        1 => Just(launch[..launch.len() - 1].to_string()),
        1 => "/[A-Za-z0-9%._~!$&'()*+,;=:@/-]{0,40}",
        1 => (1000usize..6000).prop_map(|n| format!("/{}", "a".repeat(n))),
    ]
    .boxed()
}

/// A parameter `name` with a value from `value`, written in any encoding.
fn named(name: &'static str, value: BoxedStrategy<String>) -> BoxedStrategy<Param> {
    (value, enc(), enc(), any::<bool>())
        .prop_map(move |(value, name_enc, value_enc, bare)| Param {
            name: name.to_string(),
            name_enc,
            value,
            value_enc,
            bare,
        })
        .boxed()
}

/// A query near a real authorization response: mostly this sign-in's `state`, a `code` or an
/// `error`, an `iss` or not, plus any parameters (repeats included), in any order, with
/// empty pairs between.
fn query(side: &Side) -> BoxedStrategy<Vec<Option<Param>>> {
    let state = side.state.clone();
    let state = named(
        "state",
        prop_oneof![8 => Just(state.clone()), 3 => near(&state), 1 => junk()].boxed(),
    );
    let code = named(
        "code",
        prop_oneof![6 => "[A-Za-z0-9._~+/=-]{1,40}", 1 => Just(String::new())].boxed(),
    );
    let error = named(
        "error",
        prop_oneof![
            Just("access_denied".to_string()),
            Just("invalid_scope".to_string())
        ]
        .boxed(),
    );
    let iss = named("iss", iss_value(side));
    (
        prop::option::weighted(0.85, state),
        prop::option::weighted(0.8, code),
        prop::option::weighted(0.1, error),
        prop::option::weighted(0.5, iss),
        prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(param(side), 1..4)],
        prop::collection::vec(Just(None), 0..2),
    )
        .prop_flat_map(|(state, code, error, iss, extra, empty)| {
            let mut q: Vec<Option<Param>> = [state, code, error, iss]
                .into_iter()
                .flatten()
                .map(Some)
                .collect();
            q.extend(extra.into_iter().map(Some));
            q.extend(empty);
            Just(q).prop_shuffle()
        })
        .boxed()
}

fn target(side: &Side) -> BoxedStrategy<Target> {
    (
        prop::bool::weighted(0.05),
        path(side),
        prop_oneof![2 => Just(None), 12 => query(side).prop_map(Some)],
    )
        .prop_map(|(absolute, path, query)| Target {
            absolute,
            path,
            query,
        })
        .boxed()
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        40 => Just(Method::GET),
        1 => Just(Method::HEAD),
        1 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::PATCH),
        1 => Just(Method::CONNECT),
        1 => Just(Method::TRACE),
        1 => Just(Method::from_bytes(b"get").unwrap()),
        1 => Just(Method::from_bytes(b"GET_").unwrap()),
        1 => "[A-Za-z!#$%&'*+.^_`|~0-9-]{1,10}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

fn request() -> impl Strategy<Value = (Side, Method, Target)> {
    side().prop_flat_map(|side| {
        let t = target(&side);
        (Just(side), method(), t)
    })
}

/// The verdict the table in this module's doc states, from the generated parameters.
fn expected(side: &Side, method: &Method, t: &Target) -> Outcome {
    if method != Method::GET {
        return NOT_GET;
    }
    if side.launch.as_deref() == Some(t.path.as_str()) && !t.absolute && t.query.is_none() {
        return Outcome::Launch;
    }
    if t.path != CALLBACK {
        return NOT_FOUND;
    }
    let values = |name: &str| -> Vec<&str> {
        t.params()
            .filter(|p| p.name == name)
            .map(|p| p.value.as_str())
            .collect()
    };
    if TRACKED.iter().any(|n| values(n).len() > 1) {
        return DUPLICATE;
    }
    let one = |name: &str| values(name).first().copied();
    let Some(state) = one("state") else {
        return MISSING_STATE;
    };
    if state != side.state {
        return WRONG_STATE;
    }
    if !side.issuer.is_empty() {
        let wrong = match one("iss") {
            Some(iss) => !side.names(iss),
            None => side.advertised,
        };
        if wrong {
            return Outcome::Error("issuer_mismatch");
        }
    }
    match (one("error"), one("code")) {
        (Some("access_denied"), _) => Outcome::Error("authorization_denied"),
        (Some(_), _) => Outcome::Error("authorization_failed"),
        (None, Some(code)) if !code.is_empty() => Outcome::Code(code.to_string()),
        (None, _) => Outcome::Error("invalid_authorization_response"),
    }
}

fn judged(side: &Side, method: &Method, uri: &Uri) -> Outcome {
    let launch = side.launch.clone().map(LaunchPath);
    outcome(judge(
        method,
        uri,
        CALLBACK,
        launch.as_ref(),
        &side.expectation(),
    ))
}

/// WHATWG `application/x-www-form-urlencoded` decoding of one name or value, written out
/// here rather than borrowed from the `url` crate `judge` uses.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded pairs of a raw query, empty pairs skipped.
fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// What an accepted code implies, read off the request as sent (its raw query, decoded by
/// [`decode`]).
fn check_acceptance(
    side: &Side,
    method: &Method,
    uri: &Uri,
    code: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(method, &Method::GET, "an accepted code came by GET");
    prop_assert_eq!(
        uri.path(),
        CALLBACK,
        "an accepted code came on the callback path"
    );
    let pairs = pairs(uri.query().unwrap_or(""));
    let all = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let states = all("state");
    prop_assert_eq!(states.len(), 1, "exactly one state");
    prop_assert!(
        State::new(side.state.clone()).matches(states[0]),
        "the state is this sign-in's"
    );
    prop_assert_eq!(
        all("code"),
        vec![code],
        "exactly one code, the one returned"
    );
    prop_assert!(!code.is_empty(), "a non-empty code");
    prop_assert!(all("error").is_empty(), "no error parameter");
    let iss = all("iss");
    prop_assert!(iss.len() <= 1, "at most one iss");
    if !side.issuer.is_empty() {
        if let Some(found) = iss.first() {
            prop_assert!(
                side.names(found),
                "a present iss is the issuer, the alias or an allowed tenant's"
            );
        }
        if side.advertised {
            prop_assert_eq!(iss.len(), 1, "an advertised iss is present");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2500))]

    /// Every generated request gets the verdict the table in the module doc states, and the
    /// same one whether the target is written by the grammar or re-read from its string.
    #[test]
    fn every_request_gets_its_stated_verdict((side, method, t) in request()) {
        let raw = t.write();
        let uri: Uri = raw
            .parse()
            .map_err(|e| TestCaseError::fail(format!("the grammar wrote an unparsable target: {e}")))?;
        prop_assert_eq!(judged(&side, &method, &uri), expected(&side, &method, &t), "{} {}", method, raw);
    }

    /// A verdict that accepts a code implies GET, exactly the callback path, exactly one
    /// `state` equal to this sign-in's, exactly one non-empty `code`, no `error`, and the
    /// issuer's `iss` when one is present or advertised (checked on the raw request with an
    /// independent decoder).
    #[test]
    fn an_accepted_code_implies_the_whole_contract((side, method, t) in request()) {
        let raw = t.write();
        let uri: Uri = raw.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
        if let Outcome::Code(code) = judged(&side, &method, &uri) {
            check_acceptance(&side, &method, &uri, &code)?;
        }
    }

    /// Arbitrary methods and arbitrary target bytes never panic `judge`; a target that parses
    /// gets exactly one verdict, which is 405 for any method but GET, 404 for any path but the
    /// callback path and the armed launch path, and an accepted code only with the whole
    /// contract; a target that does not parse never reaches `judge`.
    #[test]
    fn arbitrary_targets_never_panic_and_never_pass_by_accident(
        side in side(),
        m in prop_oneof![
            3 => Just(Method::GET),
            1 => "[A-Za-z!#$%&'*+.^_`|~0-9-]{1,12}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
        ],
        target in prop_oneof![
            4 => "(/callback|/|\\*|http://127.0.0.1:1/callback|127.0.0.1:1)?[\\x21-\\x7e]{0,60}",
            1 => prop::collection::vec(any::<u8>(), 0..80)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            1 => (1000usize..30_000, "[\\x21-\\x7e]").prop_map(|(n, c)| format!("/callback?{}", c.repeat(n))),
        ],
    ) {
        let Ok(uri) = Uri::try_from(target.as_bytes()) else {
            return Ok(()); // hyper refuses the request line before `judge`
        };
        let got = judged(&side, &m, &uri);
        let launch = side.launch.as_deref() == Some(uri.path())
            && uri.query().is_none()
            && uri.authority().is_none();
        match &got {
            _ if m != Method::GET => prop_assert_eq!(&got, &NOT_GET),
            _ if launch => prop_assert_eq!(&got, &Outcome::Launch),
            _ if uri.path() != CALLBACK => prop_assert_eq!(&got, &NOT_FOUND),
            Outcome::Code(code) => check_acceptance(&side, &m, &uri, code)?,
            Outcome::Launch => prop_assert!(false, "launch on the callback path"),
            Outcome::Ignore(status, _) => prop_assert_eq!(*status, StatusCode::BAD_REQUEST.as_u16()),
            Outcome::Error(_) => {}
        }
    }
}
