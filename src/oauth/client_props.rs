//! Property tests of token-response parsing (issue 8, "hardening"): thousands of generated
//! token endpoint answers, each sent through the whole path (`oauth2`'s request and parsing,
//! the error mapping and [`OAuthClient::token_set`]) of both a refresh and a code exchange,
//! each with a stated outcome:
//!
//! | answer | refresh | code exchange |
//! |---|---|---|
//! | no response, or a 5xx status (whatever the body) | `network` | `network` |
//!
//! Any other answer is first normalised (provider quirks, issue 9), then:
//!
//! - a body that does not start with a JSON value but is UTF-8 form pairs (`a=b&c=d`, no key
//!   repeated) with an `access_token` or an `error` key is read as the JSON object of those
//!   pairs, string values; the `Content-Type` of a JSON object does not matter;
//! - a 200 whose object has no key repeated, every value readable, a string `error` and no
//!   `access_token` key is read as that error with a 400 status (rows "any other status");
//! - in an object with no key repeated and every value readable, an `expires_in` string of
//!   ASCII digits below 2^64 is that number; a `scope` string with a comma is split at commas
//!   and ASCII whitespace (empty pieces dropped) and joined with spaces; a `scope` array of
//!   strings is joined with spaces.
//!
//! | answer (normalised) | refresh | code exchange |
//! |---|---|---|
//! | 200, an empty body, not JSON, not an object, invalid UTF-8, nesting deeper than 128 | `invalid_response` | `invalid_response` |
//! | 200, a token field repeated, or mistyped (`expires_in` negative, a float, another string, ≥ 2^64; a token not a string; `scope` another array or an object), `access_token` or `token_type` missing | `invalid_response` | `invalid_response` |
//! | 200 with an `error` body and no `access_token` not read as an error (a key repeated, a value unreadable, `error` not a string) | `invalid_response` | `invalid_response` |
//! | 200, `token_type` not `bearer` in any case | `invalid_response` | `invalid_response` |
//! | 200, otherwise (unknown fields, an `error` beside the tokens and bytes after the object are ignored) | tokens | tokens |
//! | any other status, an empty or unparsable RFC 6749 §5.2 body (values of unknown keys are skipped unread) | `invalid_response` | `invalid_response` |
//! | any other status, `error=invalid_grant` (the default `deadRefreshTokenErrors`) | `session_expired` | `token_exchange_failed` |
//! | any other status, another `error` | `refresh_failed` | `token_exchange_failed` |
//!
//! Tokens: the access token, refresh token and ID token as sent; `expires_at` is now plus
//! `expires_in` (at most ten years; absent or `null`: the configured default lifetime); the
//! scopes are `scope` (normalised) split at each space, or the configured ones when it is
//! absent or `null`.
//! No error message holds a token value of the answer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::http::HeaderValue;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use url::Url;

use super::{OAuthClient, TokenSet, MAX_TOKEN_LIFETIME};
use crate::config::ProviderConfig;
use crate::error::Result;
use crate::http::{
    HttpClient, ReadBody, Request, Response, Transport, TransportError, TransportFuture,
};
use crate::oauth::discovery::ProviderMetadata;
use crate::oauth::Clock;
use crate::secret::{AuthorizationCode, RefreshToken};

/// The configured scopes, granted when a response does not list any.
const SCOPES: [&str; 2] = ["profile", "email"];
/// Default lifetimes of the three clients (`defaultTokenLifetimeSecs`).
const LIFETIMES: [u64; 3] = [1, 300, u64::MAX];
/// Keys of the token response this crate reads.
const TOKEN_KEYS: [&str; 6] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "id_token",
];
/// Keys of an RFC 6749 §5.2 error response.
const ERROR_KEYS: [&str; 3] = ["error", "error_description", "error_uri"];

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// Thousands of cases, nothing written next to the sources.
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

/// One answer of the token endpoint.
#[derive(Debug, Clone)]
enum Reply {
    /// No response at all (connection refused, timeout…).
    Unreachable,
    Http {
        status: u16,
        content_type: Option<Vec<u8>>,
        body: Body,
    },
}

/// One JSON value as written into a body, by the class that decides its outcome.
#[derive(Debug, Clone)]
enum Val {
    /// A string (written by serde_json, escapes included).
    Str(String),
    Null,
    Bool(bool),
    Uint(u64),
    /// A negative integer.
    Neg(i64),
    /// A number JSON allows but no `u64` is: `2^64`, `3600.0`, `1e3`, `-0`.
    Num(&'static str),
    /// An array or object.
    Compound(serde_json::Value),
    /// Not JSON at all: `NaN`, `0x10`, `01`, `'x'`.
    Invalid(Vec<u8>),
    /// Refused when read, passed over when skipped: `1e400` (out of range), a string with
    /// invalid UTF-8, arrays nested 200 deep (beyond serde_json's 128). serde_json skips the
    /// values of unknown keys of an error response without reading them; a token response
    /// reads every value (its `id_token` is a flattened field, so unknown keys are buffered).
    Unreadable(Vec<u8>),
}

impl Val {
    fn write(&self) -> Vec<u8> {
        match self {
            Val::Str(s) => serde_json::to_vec(s).unwrap(),
            Val::Null => b"null".to_vec(),
            Val::Bool(b) => b.to_string().into_bytes(),
            Val::Uint(n) => n.to_string().into_bytes(),
            Val::Neg(n) => n.to_string().into_bytes(),
            Val::Num(s) => s.as_bytes().to_vec(),
            Val::Compound(v) => serde_json::to_vec(v).unwrap(),
            Val::Invalid(b) | Val::Unreadable(b) => b.clone(),
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Body {
    /// A JSON object (repeated keys kept), then `trailing` bytes.
    Object(Vec<(String, Val)>, Vec<u8>),
    /// Any bytes; never a valid token or error response.
    Raw(Vec<u8>),
}

impl Body {
    fn write(&self) -> Vec<u8> {
        match self {
            Body::Object(fields, trailing) => {
                let mut out = b" {".to_vec();
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).unwrap());
                    out.push(b':');
                    out.extend(v.write());
                }
                out.push(b'}');
                out.extend(trailing);
                out
            }
            Body::Raw(b) => b.clone(),
        }
    }
}

/// The token values of one case: they show up if any message quotes them.
#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    refresh: String,
    id: String,
}

fn tokens() -> impl Strategy<Value = Tokens> {
    (
        "at-[A-Za-z0-9._~+/=-]{12,40}",
        prop_oneof!["rt-[A-Za-z0-9._~-]{12,40}", "rt-\\PC{12,20}"],
        "id-[A-Za-z0-9_-]{12,30}\\.[A-Za-z0-9_-]{4,10}",
    )
        .prop_map(|(access, refresh, id)| Tokens {
            access,
            refresh,
            id,
        })
}

/// Keys whose value a message quotes as the provider's words (RFC 6749 §5.2 `error` and
/// `error_description`, an unsupported `token_type`): token values are not put there.
const QUOTED: [&str; 4] = ["error", "error_description", "error_uri", "token_type"];

/// Any value for `key`, with `t`'s token values among the strings unless `key` is quoted.
fn val(key: &str, t: &Tokens) -> BoxedStrategy<Val> {
    let token = if QUOTED.contains(&key) {
        prop::sample::select(vec!["x".to_string()])
    } else {
        prop::sample::select(vec![t.access.clone(), t.refresh.clone(), t.id.clone()])
    };
    prop_oneof![
        2 => token.prop_map(Val::Str),
        2 => "\\PC{0,12}".prop_map(Val::Str),
        1 => Just(Val::Null),
        1 => any::<bool>().prop_map(Val::Bool),
        2 => prop_oneof![
            Just(0u64),
            Just(3600),
            Just(1 << 63),
            Just(u64::MAX),
            any::<u64>(),
        ]
        .prop_map(Val::Uint),
        1 => (i64::MIN..0).prop_map(Val::Neg),
        1 => prop::sample::select(
            &["18446744073709551616", "3600.0", "1e3", "-0", "1.5", "-1e10", "1e308"][..],
        )
        .prop_map(Val::Num),
        1 => prop_oneof![
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
            Just(serde_json::json!(["a", 1])),
            Just(serde_json::json!({"access_token": "x"})),
        ]
        .prop_map(Val::Compound),
        1 => prop_oneof![
            Just(b"NaN".to_vec()),
            Just(b"0x10".to_vec()),
            Just(b"01".to_vec()),
            Just(b"'x'".to_vec()),
        ]
        .prop_map(Val::Invalid),
        1 => prop_oneof![
            Just(b"1e400".to_vec()),
            Just(b"\"a\xffb\"".to_vec()),
            Just(b"\"\xed\xa0\x80\"".to_vec()),
            Just([vec![b'['; 200], vec![b']'; 200]].concat()),
        ]
        .prop_map(Val::Unreadable),
    ]
    .boxed()
}

/// A well-formed value for a token response key.
fn good(key: &str, t: &Tokens) -> BoxedStrategy<Val> {
    match key {
        "access_token" => Just(Val::Str(t.access.clone())).boxed(),
        "refresh_token" => Just(Val::Str(t.refresh.clone())).boxed(),
        "id_token" => Just(Val::Str(t.id.clone())).boxed(),
        "token_type" => prop_oneof![
            16 => Just("Bearer"),
            2 => Just("bearer"),
            1 => Just("BEARER"),
            1 => Just("bEaReR"),
            1 => Just("mac"),
            1 => Just("DPoP"),
            1 => Just("bearer "),
            1 => Just(""),
            1 => Just("Bearer\u{0}"),
        ]
        .prop_map(|s| Val::Str(s.to_string()))
        .boxed(),
        "expires_in" => prop_oneof![
            6 => (0u64..100_000).prop_map(Val::Uint),
            2 => Just(Val::Uint(1 << 63)),
            2 => Just(Val::Uint(u64::MAX)),
            2 => Just(Val::Null),
            2 => (0u64..100_000).prop_map(|n| Val::Str(n.to_string())),
            1 => prop::sample::select(
                &["18446744073709551615", "18446744073709551616", "99999999999999999999999999",
                  "0036", "", "36 00", "+1", "-1", "3600.0", "\u{0663}"][..],
            )
            .prop_map(|s| Val::Str(s.to_string())),
        ]
        .boxed(),
        "scope" => prop_oneof![
            Just(Val::Str("openid profile".into())),
            Just(Val::Str(String::new())),
            Just(Val::Str(" a  b ".into())),
            "\\PC{0,16}".prop_map(Val::Str),
            Just(Val::Null),
            prop::sample::select(&["repo,user", "a, b", ",", " a ,\tb,, c", "a,b c"][..])
                .prop_map(|s| Val::Str(s.to_string())),
            prop_oneof![
                Just(serde_json::json!(["a", "b"])),
                Just(serde_json::json!([])),
                Just(serde_json::json!(["a b", ""])),
                Just(serde_json::json!(["a", 1])),
                Just(serde_json::json!({"a": "b"})),
            ]
            .prop_map(Val::Compound),
        ]
        .boxed(),
        "error" => prop_oneof![
            Just("invalid_grant"),
            Just("invalid_client"),
            Just("invalid_request"),
            Just("INVALID_GRANT"),
            Just("slow_down"),
            Just(""),
        ]
        .prop_map(|s| Val::Str(s.to_string()))
        .boxed(),
        "error_description" | "error_uri" => {
            prop_oneof![Just(Val::Null), "\\PC{0,20}".prop_map(Val::Str),].boxed()
        }
        _ => val(key, t),
    }
}

/// An object: a token response or an error response, well formed, then with keys dropped,
/// repeated, mistyped and added.
fn object(t: &Tokens, refusal: bool) -> BoxedStrategy<Body> {
    let t = t.clone();
    let (tokens, errors) = if refusal { (1, 6) } else { (8, 1) };
    let base = prop_oneof![
        tokens => Just(&TOKEN_KEYS[..]),
        errors => Just(&ERROR_KEYS[..]),
        1 => Just(&["error", "error_description", "access_token", "token_type"][..]),
    ];
    base.prop_flat_map(move |keys| {
        let fields: Vec<BoxedStrategy<(String, Val)>> = keys
            .iter()
            .map(|&k| (Just(k.to_string()), good(k, &t)).boxed())
            .collect();
        let any_key = prop_oneof![
            1 => prop::sample::select(
                TOKEN_KEYS.iter().chain(&ERROR_KEYS).map(|k| k.to_string()).collect::<Vec<_>>(),
            ),
            2 => prop_oneof![
                Just("Access_Token".to_string()),
                Just("expires".to_string()),
                Just("refresh_expires_in".to_string()),
                "[a-z_]{1,10}",
            ],
        ];
        let t2 = t.clone();
        let extra = any_key.prop_flat_map(move |k| {
            let v = prop_oneof![2 => good(&k, &t2), 1 => val(&k, &t2)];
            (Just(k), v)
        });
        (
            fields,
            prop_oneof![
                3 => Just(Vec::new()),
                1 => prop::collection::vec(any::<prop::sample::Index>(), 1..3),
            ],
            prop_oneof![
                1 => Just(Vec::new()),
                2 => prop::collection::vec(extra, 1..4),
            ],
            prop_oneof![
                6 => Just(Vec::new()),
                1 => Just(b" \n".to_vec()),
                1 => prop::collection::vec(any::<u8>(), 1..20),
            ],
        )
            .prop_map(|(mut fields, drop, extra, trailing)| {
                for d in drop {
                    if !fields.is_empty() {
                        fields.remove(d.index(fields.len()));
                    }
                }
                fields.extend(extra);
                Body::Object(fields, trailing)
            })
    })
    .boxed()
}

/// Bodies of note that are neither a token response nor an error response.
const RAW: [&[u8]; 15] = [
    b"",
    b"null",
    b"[]",
    b"\"x\"",
    b"1",
    b"{",
    b"{}",
    b"<html>502 Bad Gateway</html>",
    b"\xef\xbb\xbf{\"access_token\":\"a\",\"token_type\":\"bearer\"}",
    b"{\"access_token\":\"a\",\"token_type\":\"bearer\"",
    b"access_token=a&token_type=bearer",
    b"access_token=a%2Bb&token_type=bearer&expires_in=3600&scope=repo%2Cuser",
    b"error=invalid_grant&error_description=The+token+is+dead",
    b"error=bad_verification_code",
    b"access_token=a&access_token=b&token_type=bearer",
];

/// Bodies that are neither a token response nor an error response.
fn raw() -> impl Strategy<Value = Body> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..120),
        1 => prop::sample::select(&RAW[..]).prop_map(<[u8]>::to_vec),
    ]
    .prop_map(Body::Raw)
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        8 => Just(Some(b"application/json".to_vec())),
        2 => Just(Some(b"application/json; charset=utf-8".to_vec())),
        1 => Just(Some(b"Application/JSON".to_vec())),
        2 => Just(None),
        1 => Just(Some(b"text/html".to_vec())),
        1 => Just(Some(b"text/plain; application/json".to_vec())),
        1 => Just(Some(b"application/json\xff".to_vec())),
        1 => Just(Some(b"application/x-www-form-urlencoded".to_vec())),
    ]
}

/// Answers: mostly 200 with a token-shaped body, or another status with a refusal-shaped
/// one; sometimes a 5xx or no answer.
fn reply(t: &Tokens) -> impl Strategy<Value = Reply> {
    let http = |status: BoxedStrategy<u16>, body: BoxedStrategy<Body>| {
        (status, content_type(), body).prop_map(|(status, content_type, body)| Reply::Http {
            status,
            content_type,
            body,
        })
    };
    let refusal = prop::sample::select(&[400u16, 400, 400, 401, 403, 201, 204, 302][..]);
    prop_oneof![
        12 => http(Just(200).boxed(), prop_oneof![8 => object(t, false), 1 => raw()].boxed()),
        6 => http(refusal.boxed(), prop_oneof![8 => object(t, true), 1 => raw()].boxed()),
        1 => http(
            prop::sample::select(&[500u16, 502, 503, 599][..]).boxed(),
            prop_oneof![object(t, false), object(t, true), raw()].boxed(),
        ),
        1 => Just(Reply::Unreachable),
    ]
}

/// The scripted token endpoint: answers the one request of a case with that case's reply.
#[derive(Debug, Default)]
struct Scripted(Mutex<Option<Reply>>);

impl Scripted {
    /// The reply, whole: every generated body is far below any read cap.
    fn answer(&self) -> std::result::Result<Response, TransportError> {
        let reply = self
            .0
            .lock()
            .unwrap()
            .take()
            .expect("one request per reply");
        let Reply::Http {
            status,
            content_type,
            body,
        } = reply
        else {
            return Err(TransportError::Failed("connection refused".into()));
        };
        let mut r = oauth2::http::Response::builder().status(status);
        if let Some(ct) = content_type {
            r = r.header("content-type", HeaderValue::from_bytes(&ct).unwrap());
        }
        Ok(r.body(body.write()).unwrap())
    }
}

impl Transport for Scripted {
    fn send(&self, _request: Request, _read: ReadBody) -> TransportFuture<'_> {
        Box::pin(std::future::ready(self.answer()))
    }
}

/// What a case ends with: tokens, or an error code.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Tokens {
        access: String,
        refresh: Option<String>,
        id: Option<String>,
        expires_in: Option<u64>,
        scopes: Vec<String>,
    },
    Error(&'static str),
}

/// What the module doc states for `reply`, as (refresh, code exchange).
fn expected(reply: &Reply) -> (Outcome, Outcome) {
    use Outcome::Error as E;
    let both = |o: Outcome| (o.clone(), o);
    let Reply::Http { status, body, .. } = reply else {
        return both(E("network"));
    };
    if (500..600).contains(status) {
        return both(E("network"));
    }
    // A form body is the object of its pairs.
    let body = form_object(&body.write()).unwrap_or_else(|| body.clone());
    let fields = match &body {
        Body::Object(fields, _) => Some(fields),
        Body::Raw(_) => None,
    };
    let get = |f: &[(String, Val)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // Normalised only when no key is repeated and every value reads.
    let plain = fields.is_some_and(|f| {
        f.iter()
            .all(|(_, v)| !matches!(v, Val::Invalid(_) | Val::Unreadable(_)))
            && f.iter()
                .all(|(k, _)| f.iter().filter(|(n, _)| n == k).count() == 1)
    });
    let status = match fields {
        Some(f)
            if *status == 200
                && plain
                && matches!(get(f, "error"), Some(Val::Str(_)))
                && get(f, "access_token").is_none() =>
        {
            400
        }
        _ => *status,
    };
    // A body that parses: no invalid value anywhere, no unreadable one where it is read (all
    // keys of a token response, the known ones of an error response), no key the response
    // type reads twice.
    let parses = |keys: &[&str], reads_all: bool| {
        fields.filter(|f| {
            f.iter().all(|(k, v)| match v {
                Val::Invalid(_) => false,
                Val::Unreadable(_) => !reads_all && !keys.contains(&k.as_str()),
                _ => true,
            }) && keys
                .iter()
                .all(|k| f.iter().filter(|(n, _)| n == k).count() <= 1)
        })
    };
    let optional_str = |v: &Option<Val>| matches!(v, None | Some(Val::Null | Val::Str(_)));
    if status != 200 {
        if body.write().is_empty() {
            return both(E("invalid_response"));
        }
        let Some(f) = parses(&ERROR_KEYS, false) else {
            return both(E("invalid_response"));
        };
        let error = get(f, "error");
        let Some(error) = error.as_ref().and_then(Val::str) else {
            return both(E("invalid_response"));
        };
        if !optional_str(&get(f, "error_description")) || !optional_str(&get(f, "error_uri")) {
            return both(E("invalid_response"));
        }
        let refresh = if error == "invalid_grant" {
            "session_expired"
        } else {
            "refresh_failed"
        };
        return (E(refresh), E("token_exchange_failed"));
    }
    let Some(f) = parses(&TOKEN_KEYS, true) else {
        return both(E("invalid_response"));
    };
    let (Some(Val::Str(access)), Some(Val::Str(token_type))) =
        (get(f, "access_token"), get(f, "token_type"))
    else {
        return both(E("invalid_response"));
    };
    let expires_in = match get(f, "expires_in") {
        None | Some(Val::Null) => None,
        Some(Val::Uint(n)) => Some(n),
        Some(Val::Str(s)) if plain && !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            match s.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => return both(E("invalid_response")),
            }
        }
        Some(_) => return both(E("invalid_response")),
    };
    let string = |k: &str| match get(f, k) {
        None | Some(Val::Null) => Ok(None),
        Some(Val::Str(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    };
    let scope = match get(f, "scope") {
        Some(Val::Str(s)) if plain && s.contains(',') => Ok(Some(
            s.split(|c: char| c == ',' || c.is_ascii_whitespace())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Some(Val::Compound(serde_json::Value::Array(items))) if plain => items
            .iter()
            .map(|i| i.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .map(|v| Some(v.join(" ")))
            .ok_or(()),
        _ => string("scope"),
    };
    let (Ok(refresh), Ok(id), Ok(scope)) = (string("refresh_token"), string("id_token"), scope)
    else {
        return both(E("invalid_response"));
    };
    if token_type.to_lowercase() != "bearer" {
        return both(E("invalid_response"));
    }
    let scopes = match scope {
        Some(s) => s.split(' ').map(String::from).collect(),
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
    };
    both(Outcome::Tokens {
        access,
        refresh,
        id,
        expires_in,
        scopes,
    })
}

/// The object a form body stands for: `body` does not start with a JSON value, is UTF-8, and
/// its `a=b&c=d` pairs (percent- and `+`-decoded) repeat no key and have an `access_token`
/// or `error` key.
fn form_object(body: &[u8]) -> Option<Body> {
    let json = serde_json::Deserializer::from_slice(body)
        .into_iter::<serde_json::Value>()
        .next()
        .is_some_and(|v| v.is_ok());
    let text = std::str::from_utf8(body).ok().filter(|_| !json)?;
    let pairs: Vec<(String, Val)> = text
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (decode(k), Val::Str(decode(v)))
        })
        .collect();
    let unique = pairs
        .iter()
        .all(|(k, _)| pairs.iter().filter(|(n, _)| n == k).count() == 1);
    let keyed = pairs
        .iter()
        .any(|(k, _)| k == "access_token" || k == "error");
    (unique && keyed).then(|| Body::Object(pairs, Vec::new()))
}

/// The outcome in comparable form (`expires_in`: `expires_at` minus now, in seconds),
/// checking that no message quotes a token of the response.
fn outcome(got: Result<TokenSet>, tokens: &Tokens) -> std::result::Result<Outcome, TestCaseError> {
    match got {
        Ok(t) => {
            let expires_at = t.expires_at.expect("always an expiry");
            let lifetime = expires_at.duration_since(now()).expect("not in the past");
            prop_assert_eq!(lifetime.subsec_nanos(), 0);
            Ok(Outcome::Tokens {
                access: t.access_token.secret().to_string(),
                refresh: t.refresh_token.as_ref().map(|r| r.secret().to_string()),
                id: t.id_token.as_ref().map(|i| i.secret().to_string()),
                expires_in: Some(lifetime.as_secs()),
                scopes: t.scopes,
            })
        }
        Err(e) => {
            let message = e.to_string();
            for secret in [&tokens.access, &tokens.refresh, &tokens.id] {
                prop_assert!(
                    !message.contains(secret.as_str()),
                    "a {} message quotes a token of the response",
                    e.code()
                );
            }
            Ok(Outcome::Error(e.code()))
        }
    }
}

/// The expected outcome with the lifetime `token_set` computes: `expires_in`, or the default
/// lifetime when there is none, at most ten years.
fn with_lifetime(o: Outcome, default: u64) -> Outcome {
    match o {
        Outcome::Tokens {
            access,
            refresh,
            id,
            expires_in,
            scopes,
        } => Outcome::Tokens {
            access,
            refresh,
            id,
            expires_in: Some(
                expires_in
                    .unwrap_or(default)
                    .min(MAX_TOKEN_LIFETIME.as_secs()),
            ),
            scopes,
        },
        e => e,
    }
}

/// Three clients of one provider (their default lifetimes differ) over one scripted token
/// endpoint, with a clock that stands still.
fn clients() -> (Arc<Scripted>, Vec<OAuthClient>) {
    let endpoint = Arc::new(Scripted::default());
    let http = HttpClient::new(Duration::from_secs(5), &[])
        .unwrap()
        .with_transport(endpoint.clone());
    let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
        "issuer": "https://idp.test",
        "authorization_endpoint": "https://idp.test/authorize",
        "token_endpoint": "https://idp.test/token",
        "code_challenge_methods_supported": ["S256"],
    }))
    .unwrap();
    let clients = LIFETIMES
        .iter()
        .map(|&secs| {
            let config = ProviderConfig::new("https://idp.test".parse().unwrap(), "c")
                .scopes(SCOPES)
                .default_token_lifetime_secs(secs);
            OAuthClient::assemble(config, metadata.clone(), http.clone(), Clock::from_fn(now))
                .unwrap()
        })
        .collect();
    (endpoint, clients)
}

/// Every generated answer (hostile JSON of every kind, raw bytes, any status and
/// `Content-Type`, no answer at all) gets, from both a refresh and a code exchange, the
/// outcome the module doc's table states, never a panic, and no message quotes a token.
#[test]
fn every_token_response_gets_its_stated_outcome() {
    let (endpoint, clients) = clients();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let redirect: Url = "http://127.0.0.1:1/callback".parse().unwrap();
    let strategy = (tokens(), 0..LIFETIMES.len())
        .prop_flat_map(|(t, c)| (Just(t.clone()), Just(c), reply(&t)));
    let mut runner = TestRunner::new(config(2000));
    let result = runner.run(&strategy, |(tokens, c, reply)| {
        let client = &clients[c];
        let lifetime = LIFETIMES[c];
        let (want_refresh, want_exchange) = expected(&reply);

        *endpoint.0.lock().unwrap() = Some(reply.clone());
        let got = rt.block_on(client.refresh(&RefreshToken::new("rt-presented"), None));
        let got = outcome(got, &tokens)?;
        prop_assert_eq!(
            got,
            with_lifetime(want_refresh, lifetime),
            "refresh of {:?}",
            reply
        );

        *endpoint.0.lock().unwrap() = Some(reply.clone());
        let request = client
            .authorization_request(&redirect, &BTreeMap::new())
            .unwrap();
        let got = rt
            .block_on(client.exchange_code(AuthorizationCode::new("code"), request, None))
            .map(|(tokens, claims)| {
                assert!(claims.is_none(), "no openid: no ID token check");
                tokens
            });
        let got = outcome(got, &tokens)?;
        prop_assert_eq!(
            got,
            with_lifetime(want_exchange, lifetime),
            "exchange of {:?}",
            reply
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
