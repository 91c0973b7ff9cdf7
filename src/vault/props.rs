//! Property tests of record and chunk decoding (issue 8, "hardening"): thousands of generated
//! stored values, each with a stated outcome.
//!
//! Records ([`Record::from_bytes`]):
//!
//! | stored bytes | outcome |
//! |---|---|
//! | not JSON (garbage, cut short, trailing bytes, invalid UTF-8) or JSON but not an object | `store_corrupted` |
//! | an object whose `v` is an integer above [`ACCESS_TOKEN_RECORD_VERSION`] | `store_unsupported_version` |
//! | an object with a key this build does not know | `store_unsupported_version` |
//! | otherwise: a required field missing or mistyped, `v` 0, negative or not an integer | `store_corrupted` |
//! | otherwise: `v` 1 without `refreshToken` or with `accessToken`/`accessTokenExpiresAt`, `v` 2 without `accessToken` or with `refreshToken` (a `null` counts as absent) | `store_corrupted` |
//! | otherwise | `Ok`, every field as stored (a repeated key: its last value) |
//!
//! Chunks ([`chunk::split`], [`chunk::parse_header`], [`chunk::join`], [`Vault::get`]): a value
//! that fits and does not start with NUL is stored whole; any other one gets a header naming
//! its generation, part count and SHA-256, and reads back only when every part matches;
//! a wrong SHA, count or generation, a missing, cut or swapped part is `store_corrupted`.
//! No error message holds a stored refresh or access token.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::chunk::{self, MAX_HEADER, MAX_PARTS};
use super::{Record, Vault, ACCESS_TOKEN_RECORD_VERSION, RECORD_VERSION};
use crate::error::Result;
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// Thousands of cases, nothing written next to the sources.
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

/// The record's keys in this build (the format, written out again).
const KEYS: [&str; 10] = [
    "v",
    "issuer",
    "clientId",
    "scopes",
    "subject",
    "refreshToken",
    "accessToken",
    "accessTokenExpiresAt",
    "idToken",
    "savedAt",
];

/// The keys a record of version `v` is written with (version 1: a refresh token; version 2:
/// an access token and its expiry instead).
fn keys_of(v: u32) -> Vec<&'static str> {
    let other: &[&str] = match v {
        RECORD_VERSION => &["accessToken", "accessTokenExpiresAt"],
        _ => &["refreshToken"],
    };
    KEYS.iter()
        .copied()
        .filter(|k| !other.contains(k))
        .collect()
}
const MAGIC_V1: &str = "\0tv-chunks:1:";
const MAGIC: &str = "\0tv-chunks:2:";

/// A small xorshift generator: long values from one seed, so a case of thousands of bytes
/// costs one draw (a debug build generates element by element slowly); they shrink by length.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Any bytes: short ones element by element, long ones (up to `max`) from a seed.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..64),
        2 => (any::<u64>(), 0..max).prop_map(|(seed, n)| {
            let mut r = Seeded(seed | 1);
            (0..n).map(|_| r.next() as u8).collect()
        }),
    ]
}

/// Any Unicode text: short strings from proptest, long ones (up to `max` characters) from a
/// seed, mixing ASCII, JSON escapes and controls, the BMP and astral planes.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => (any::<u64>(), 0..max).prop_map(|(seed, n)| {
            let mut r = Seeded(seed | 1);
            (0..n)
                .map(|_| {
                    let x = r.next();
                    let c = match x % 4 {
                        0 => (0x20 + (x >> 8) % 0x5f) as u32,
                        1 => [0x22, 0x5c, 0x00, 0x0a, 0x7f, 0x2028, 0xfeff][(x >> 8) as usize % 7],
                        2 => 0x80 + ((x >> 8) % (0xd800 - 0x80)) as u32,
                        _ => 0x10000 + ((x >> 8) % 0x100000) as u32,
                    };
                    char::from_u32(c).unwrap_or('\u{fffd}')
                })
                .collect()
        }),
    ]
}

/// A token that shows up if any message quotes it.
fn token() -> impl Strategy<Value = String> {
    "rt-[A-Za-z0-9]{16,40}"
}

fn mock(limit: Option<usize>) -> Vault {
    Vault::with_store(keyring_core::mock::Store::new().unwrap(), "svc").with_chunk_limit(limit)
}

fn code<T>(r: &Result<T>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// The message of an error never holds `secret` (one of 8 bytes or more: a shorter one may
/// be any word of a message).
fn no_leak<T>(r: &Result<T>, secret: &str) -> std::result::Result<(), TestCaseError> {
    if let (Err(e), true) = (r, secret.len() >= 8) {
        prop_assert!(
            !e.to_string().contains(secret),
            "the message of a {} error quotes the stored token",
            e.code()
        );
    }
    Ok(())
}

/// Any JSON value, of every type a field could be given.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0u64), Just(1), Just(2), Just(u64::from(u32::MAX) + 1)]
            .prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(1.0)),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec("\\PC{0,6}", 0..4).prop_map(|v| json!(v)),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A well-typed value for `key` of a version `v` record (`rt`: the refresh or access token).
fn good(key: &'static str, v: u32, rt: String) -> BoxedStrategy<Value> {
    match key {
        "v" => Just(json!(v)).boxed(),
        "issuer" | "clientId" => "\\PC{0,20}".prop_map(Value::from).boxed(),
        "scopes" => prop::collection::vec("\\PC{0,8}", 0..4)
            .prop_map(|v| json!(v))
            .boxed(),
        "subject" | "idToken" => {
            prop_oneof![Just(Value::Null), "\\PC{0,20}".prop_map(Value::from)].boxed()
        }
        "refreshToken" | "accessToken" => Just(Value::from(rt)).boxed(),
        "accessTokenExpiresAt" => {
            prop_oneof![Just(Value::Null), any::<u64>().prop_map(Value::from)].boxed()
        }
        "savedAt" => any::<u64>().prop_map(Value::from).boxed(),
        _ => unreachable!(),
    }
}

/// A stored object of either version: mostly well-typed fields, some mistyped, missing,
/// repeated or unknown ones (a field of the other version among them); the token also
/// appears as the value of mistyped and unknown fields.
fn object() -> impl Strategy<Value = (String, Vec<(String, Value)>)> {
    let version = prop_oneof![Just(RECORD_VERSION), Just(ACCESS_TOKEN_RECORD_VERSION)];
    (token(), version).prop_flat_map(|(rt, version)| {
        let field = (0..KEYS.len(), 0..10u8).prop_flat_map({
            let rt = rt.clone();
            move |(i, how)| {
                let key = KEYS[i];
                let v = match how {
                    0..=6 => good(key, version, rt.clone()),
                    7 => Just(Value::from(rt.clone())).boxed(),
                    _ => value().boxed(),
                };
                (Just(key.to_string()), v)
            }
        });
        let unknown = (
            prop_oneof![
                Just("V".to_string()),
                Just("client_id".to_string()),
                Just("refresh_token".to_string()),
                Just("dpopKey".to_string()),
                Just(String::new()),
                "[a-zA-Z]{1,8}".prop_filter("a known key", |k| !KEYS.contains(&k.as_str())),
            ],
            prop_oneof![Just(Value::from(rt.clone())), value()],
        );
        let entry = prop_oneof![12 => field, 1 => unknown];
        // Every key once, well typed, in some order; then mutations.
        let base: Vec<BoxedStrategy<(String, Value)>> = keys_of(version)
            .into_iter()
            .map(|k| (Just(k.to_string()), good(k, version, rt.clone())).boxed())
            .collect();
        (
            Just(rt),
            base,
            prop::collection::vec(entry, 0..4),
            prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        )
            .prop_map(|(rt, mut fields, extra, drop)| {
                for d in drop {
                    if !fields.is_empty() {
                        fields.remove(d.index(fields.len()));
                    }
                }
                fields.extend(extra);
                (rt, fields)
            })
    })
}

/// Writes an object keeping repeated keys (which a `Map` cannot hold).
fn write(fields: &[(String, Value)]) -> Vec<u8> {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
        .collect();
    format!("{{{}}}", body.join(",")).into_bytes()
}

/// The outcome the table in the module doc states for a stored object.
fn expected(fields: &[(String, Value)]) -> &'static str {
    let mut map = Map::new();
    for (k, v) in fields {
        map.insert(k.clone(), v.clone()); // the last one wins, as in serde_json
    }
    if map
        .get("v")
        .and_then(Value::as_u64)
        .is_some_and(|v| v > u64::from(ACCESS_TOKEN_RECORD_VERSION))
    {
        return "store_unsupported_version";
    }
    if map
        .keys()
        .any(|k| !KEYS.contains(&k.as_str()) && k != "dpopKey")
    {
        return "store_unsupported_version";
    }
    // A DPoP key kept another way (a newer build's) is not read either.
    let dpop_key = map.get("dpopKey");
    if dpop_key.and_then(Value::as_object).is_some_and(|o| {
        o.keys()
            .any(|k| !["alg", "pkcs8", "keyRef"].contains(&k.as_str()))
    }) {
        return "store_unsupported_version";
    }
    let dpop_ok = match dpop_key {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => {
            // The key or a hardware reference: exactly one, each a string when present.
            let form = |k: &str| o.get(k).filter(|v| !v.is_null());
            o.get("alg").is_some_and(Value::is_string)
                && form("pkcs8").is_none_or(Value::is_string)
                && form("keyRef").is_none_or(Value::is_string)
                && form("pkcs8").is_some() != form("keyRef").is_some()
        }
        Some(_) => false,
    };
    let string = |k: &str| map.get(k).is_some_and(Value::is_string);
    let optional = |k: &str| map.get(k).is_none_or(|v| v.is_null() || v.is_string());
    let absent = |k: &str| map.get(k).is_none_or(Value::is_null);
    let version = map.get("v").and_then(Value::as_u64);
    let shape = match version {
        Some(1) => {
            string("refreshToken") && absent("accessToken") && absent("accessTokenExpiresAt")
        }
        Some(2) => absent("refreshToken") && string("accessToken"),
        _ => false,
    };
    let ok = shape
        && optional("refreshToken")
        && optional("accessToken")
        && map
            .get("accessTokenExpiresAt")
            .is_none_or(|v| v.is_null() || v.is_u64())
        && string("issuer")
        && string("clientId")
        && map
            .get("scopes")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().all(Value::is_string))
        && optional("subject")
        && optional("idToken")
        && map.get("savedAt").is_some_and(Value::is_u64)
        && dpop_ok;
    if ok {
        "ok"
    } else {
        "store_corrupted"
    }
}

/// Arbitrary records of both versions: any Unicode text, tokens of any length (long ones up
/// to `max` characters).
fn record(max: usize) -> impl Strategy<Value = Record> {
    (
        (
            any::<String>(),
            any::<String>(),
            prop::collection::vec(any::<String>(), 0..5),
            proptest::option::of(any::<String>()),
        ),
        text(max),
        proptest::option::of(text(max)),
        any::<u64>(),
        // Version 2 (an access token), with its expiry or without.
        proptest::option::of(proptest::option::of(any::<u64>())),
    )
        .prop_map(
            |((issuer, client_id, scopes, subject), token, id, saved_at, access)| Record {
                dpop_key: None,
                v: match access {
                    Some(_) => ACCESS_TOKEN_RECORD_VERSION,
                    None => RECORD_VERSION,
                },
                issuer,
                client_id,
                scopes,
                subject,
                refresh_token: match access {
                    Some(_) => None,
                    None => Some(RefreshToken::new(token.clone())),
                },
                access_token: access.map(|_| AccessToken::new(token)),
                access_token_expires_at: access.flatten(),
                id_token: id.map(IdToken::new),
                saved_at,
            },
        )
}

/// The token a record holds (its refresh token, or its access token in version 2).
fn token_of(r: &Record) -> &str {
    match (&r.refresh_token, &r.access_token) {
        (Some(rt), _) => rt.secret(),
        (None, Some(at)) => at.secret(),
        (None, None) => "",
    }
}

fn same(a: &Record, b: &Record) -> std::result::Result<(), TestCaseError> {
    prop_assert_eq!(a.v, b.v);
    prop_assert_eq!(&a.issuer, &b.issuer);
    prop_assert_eq!(&a.client_id, &b.client_id);
    prop_assert_eq!(&a.scopes, &b.scopes);
    prop_assert_eq!(&a.subject, &b.subject);
    prop_assert!(
        a.refresh_token.as_ref().map(RefreshToken::secret)
            == b.refresh_token.as_ref().map(RefreshToken::secret),
        "refresh token"
    );
    prop_assert!(
        a.access_token.as_ref().map(AccessToken::secret)
            == b.access_token.as_ref().map(AccessToken::secret),
        "access token"
    );
    prop_assert_eq!(a.access_token_expires_at, b.access_token_expires_at);
    prop_assert!(
        a.id_token.as_ref().map(IdToken::secret) == b.id_token.as_ref().map(IdToken::secret),
        "ID token"
    );
    prop_assert_eq!(a.saved_at, b.saved_at);
    Ok(())
}

/// Values to store: any bytes, ones starting with NUL or with a chunk header's magic.
fn stored_value() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(Vec::new()),
            Just(vec![0u8]),
            Just(MAGIC.as_bytes().to_vec()),
            Just(MAGIC_V1.as_bytes().to_vec()),
            Just(b"{\"v\":1".to_vec()),
        ],
        prop_oneof![
            3 => bytes(12_000),
            1 => (0usize..12_000, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
        ],
    )
        .prop_map(|(head, rest)| [head, rest].concat())
}

fn limit() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![
        1 => Just(None),
        1 => (0..MAX_HEADER + 20).prop_map(Some),
        2 => (MAX_HEADER + 1..6000).prop_map(Some),
        1 => Just(Some(chunk::WINDOWS_BLOB_LIMIT)),
    ]
}

/// Reads a first entry and its parts the way [`Vault::get`] joins them.
fn reassemble(entries: &[Zeroizing<Vec<u8>>]) -> Result<Zeroizing<Vec<u8>>> {
    match chunk::parse_header(&entries[0])? {
        None => Ok(entries[0].clone()),
        Some(h) => {
            let mut parts = vec![Zeroizing::new(entries[0][h.body_offset..].to_vec())];
            parts.extend(entries[1..].iter().cloned());
            chunk::join(&h, &parts)
        }
    }
}

/// How a chunked value is damaged in the store.
#[derive(Debug, Clone)]
enum Damage {
    /// One hex digit of the header's SHA-256 changed.
    Sha(prop::sample::Index),
    /// Another part count (1..=64).
    Count(prop::sample::Index),
    /// Another generation (one whose parts hold an older value, or none).
    Generation(u32),
    /// Part `i` (≥ 1) deleted.
    Missing(prop::sample::Index),
    /// Part `i` (the first one's body included) cut by `n` bytes at the end.
    Cut(prop::sample::Index, usize),
    /// Two parts swapped.
    Swap(prop::sample::Index, prop::sample::Index),
    /// One byte of one part flipped.
    Flip(prop::sample::Index, prop::sample::Index),
    /// The first entry cut inside its header, after the magic.
    HeaderCut(prop::sample::Index),
}

fn damage() -> impl Strategy<Value = Damage> {
    use prop::sample::Index;
    prop_oneof![
        any::<Index>().prop_map(Damage::Sha),
        any::<Index>().prop_map(Damage::Count),
        any::<u32>().prop_map(Damage::Generation),
        any::<Index>().prop_map(Damage::Missing),
        (any::<Index>(), 1usize..50).prop_map(|(i, n)| Damage::Cut(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Damage::Swap(i, j)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Damage::Flip(i, j)),
        any::<Index>().prop_map(Damage::HeaderCut),
    ]
}

/// Rewrites `first`'s header with `edit` applied to its `generation:count:sha` text.
fn reheader(first: &[u8], edit: impl FnOnce(&mut Vec<String>)) -> Vec<u8> {
    let end = first.iter().position(|&b| b == b'\n').unwrap();
    let text = std::str::from_utf8(&first[MAGIC.len()..end]).unwrap();
    let mut fields: Vec<String> = text.split(':').map(String::from).collect();
    edit(&mut fields);
    let mut out = format!("{MAGIC}{}", fields.join(":")).into_bytes();
    out.extend_from_slice(&first[end..]);
    out
}

/// A chunk header's fields: canonical ones and near misses, ASCII only or any text.
fn header_field(ascii: bool) -> BoxedStrategy<String> {
    let any_text = if ascii {
        "[\\x20-\\x7e]{0,12}".boxed()
    } else {
        "\\PC{0,12}".boxed()
    };
    prop_oneof![
        Just("1".to_string()),
        Just("64".to_string()),
        Just("0".to_string()),
        Just("65".to_string()),
        Just("+2".to_string()),
        Just("-1".to_string()),
        Just("4294967296".to_string()),
        "[0-9]{1,12}",
        any_text,
    ]
    .boxed()
}

/// A 64-byte digest field: hex, or hex with other characters (any text when not `ascii`).
fn digest_field(ascii: bool) -> BoxedStrategy<String> {
    let other = if ascii {
        "[\\x20-\\x7e]{0,64}".boxed()
    } else {
        "\\PC{0,40}".boxed()
    };
    prop_oneof![
        "[0-9a-f]{64}",
        "[0-9a-fA-F+-]{64}",
        (other, "[0-9a-f]{64}").prop_map(|(o, hex)| {
            // Exactly 64 bytes: `o` cut at a character boundary, padded with hex.
            let mut s = String::new();
            for c in o.chars() {
                if s.len() + c.len_utf8() > 64 {
                    break;
                }
                s.push(c);
            }
            let pad = 64 - s.len();
            s.push_str(&hex[..pad]);
            s
        }),
        "[0-9a-f]{0,70}",
    ]
    .boxed()
}

/// First entries: arbitrary bytes, and headers of either format with arbitrary fields.
fn first_entry(ascii: bool) -> impl Strategy<Value = Vec<u8>> {
    let header = (
        prop_oneof![Just(MAGIC), Just(MAGIC_V1)],
        prop::collection::vec(header_field(ascii), 0..3),
        digest_field(ascii),
        prop_oneof![Just("\n"), Just(""), Just(":\n"), Just("\r\n")],
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(magic, fields, digest, end, body)| {
            let mut s = magic.to_string();
            for f in fields {
                s.push_str(&f);
                s.push(':');
            }
            s.push_str(&digest);
            s.push_str(end);
            [s.into_bytes(), body].concat()
        });
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| [MAGIC.as_bytes(), &b].concat()),
        4 => header,
    ]
}

/// Parses `first` and checks what a header that parses must hold.
fn check_header(first: &[u8]) -> std::result::Result<(), TestCaseError> {
    let starts = first.starts_with(MAGIC.as_bytes()) || first.starts_with(MAGIC_V1.as_bytes());
    match chunk::parse_header(first) {
        Ok(None) => prop_assert!(
            !starts && first.first() != Some(&0),
            "a header's magic or a NUL first byte is never read as a whole value"
        ),
        Ok(Some(h)) => {
            prop_assert!(starts);
            prop_assert!((1..=MAX_PARTS).contains(&h.count), "count {}", h.count);
            prop_assert!(h.body_offset <= first.len());
            prop_assert_eq!(first[h.body_offset - 1], b'\n');
            prop_assert_eq!(h.generation.is_some(), first.starts_with(MAGIC.as_bytes()));
        }
        Err(e) => {
            // A header's magic, or a NUL first byte (`split` stores every value starting with
            // NUL behind a header, so one without a valid header is damage).
            prop_assert!(starts || first.first() == Some(&0));
            prop_assert_eq!(e.code(), "store_corrupted");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    /// Arbitrary bytes, and valid records cut short, extended or with one byte changed, never
    /// panic the record decoder: `Ok`, `store_corrupted` or `store_unsupported_version` as the
    /// module doc's table states, judged here from serde_json's own reading of the bytes.
    #[test]
    fn any_stored_bytes_decode_to_a_stated_outcome(
        rt in token(),
        version in prop_oneof![Just(RECORD_VERSION), Just(ACCESS_TOKEN_RECORD_VERSION)],
        how in 0..5u8,
        noise in prop::collection::vec(any::<u8>(), 0..200),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let valid = write(&keys_of(version).into_iter().map(|k| {
            let v = match k {
                "v" => json!(version),
                "scopes" => json!(["openid"]),
                "refreshToken" | "accessToken" => json!(rt),
                "savedAt" | "accessTokenExpiresAt" => json!(1),
                _ => json!("x"),
            };
            (k.to_string(), v)
        }).collect::<Vec<_>>());
        let bytes = match how {
            0 => noise,
            1 => valid[..at.index(valid.len())].to_vec(),
            2 => [valid, noise].concat(),
            3 => {
                let mut b = valid;
                let i = at.index(b.len());
                b[i] = byte;
                b
            }
            _ => {
                let mut b = valid;
                let i = at.index(b.len());
                b.insert(i, byte);
                b
            }
        };
        let got = Record::from_bytes(&bytes);
        no_leak(&got, &rt)?;
        match serde_json::from_slice::<Value>(&bytes) {
            Err(_) => prop_assert_eq!(code(&got), "store_corrupted", "not JSON"),
            Ok(Value::Object(map)) => {
                let fields: Vec<(String, Value)> = map.into_iter().collect();
                prop_assert_eq!(code(&got), expected(&fields));
            }
            Ok(_) => prop_assert_eq!(code(&got), "store_corrupted", "not an object"),
        }
    }

    /// Stored objects with well-typed, mistyped, missing, repeated and unknown fields get the
    /// outcome the module doc's table states, an `Ok` holds the stored values, and no message
    /// quotes the stored token (which also appears in mistyped and unknown fields).
    #[test]
    fn stored_objects_get_their_stated_outcome((rt, fields) in object()) {
        let bytes = write(&fields);
        let got = Record::from_bytes(&bytes);
        no_leak(&got, &rt)?;
        prop_assert_eq!(code(&got), expected(&fields));
        if let Ok(r) = got {
            let last = |k: &str| fields.iter().rev().find(|(f, _)| f == k).map(|(_, v)| v.clone());
            prop_assert_eq!(Some(Value::from(r.issuer.as_str())), last("issuer"));
            let stored = match r.v {
                RECORD_VERSION => last("refreshToken"),
                _ => last("accessToken"),
            };
            prop_assert!(Some(Value::from(token_of(&r))) == stored);
            prop_assert_eq!(Some(Value::from(r.saved_at)), last("savedAt"));
        }
    }

    /// Any record (any Unicode text, tokens of any length) round-trips through its bytes, and
    /// through a vault with any chunk limit: saved and loaded back equal, or refused with
    /// `store_unavailable` because it needs more than `MAX_PARTS` entries, leaving nothing.
    #[test]
    fn records_round_trip_through_bytes_and_the_vault(r in record(4000), limit in limit()) {
        let bytes = r.to_bytes().unwrap();
        same(&Record::from_bytes(&bytes).unwrap(), &r)?;
        let v = mock(limit);
        let saved = v.save_record("p", "a", &r);
        no_leak(&saved, token_of(&r))?;
        let parts = chunk::split(&bytes, limit, 1).len();
        match saved {
            Ok(()) => {
                prop_assert!(parts <= MAX_PARTS);
                same(&v.load_record("p", "a").unwrap().unwrap(), &r)?;
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "store_unavailable");
                prop_assert!(parts > MAX_PARTS, "refused a value of {} parts", parts);
                prop_assert!(v.load_record("p", "a").unwrap().is_none());
            }
        }
    }

    /// `split` then `join` gives the value back for any value, limit and generation; every
    /// entry stays within the limit (raised to `MAX_HEADER + 1`); a value is stored whole
    /// exactly when it fits and does not start with NUL; more than `MAX_PARTS` parts is a
    /// header `parse_header` refuses (and `Vault::set` never writes).
    #[test]
    fn split_then_join_round_trips_within_the_limit(
        value in stored_value(),
        limit in limit(),
        generation in any::<u32>(),
    ) {
        let entries = chunk::split(&value, limit, generation);
        if let Some(l) = limit {
            for e in &entries {
                prop_assert!(e.len() <= l.max(MAX_HEADER + 1), "{} over {}", e.len(), l);
            }
        }
        let whole = limit.is_none_or(|l| value.len() <= l) && value.first() != Some(&0);
        prop_assert_eq!(whole, entries.len() == 1 && entries[0][..] == value[..]);
        match chunk::parse_header(&entries[0]) {
            Ok(None) => prop_assert!(whole),
            Ok(Some(h)) => {
                prop_assert!(!whole);
                prop_assert_eq!(h.generation, Some(generation));
                prop_assert_eq!(h.count, entries.len());
                prop_assert_eq!(&h.sha256[..], &Sha256::digest(&value)[..]);
                prop_assert!(reassemble(&entries).unwrap()[..] == value[..]);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "store_corrupted");
                prop_assert!(entries.len() > MAX_PARTS, "{} parts refused", entries.len());
            }
        }
        for i in 1..4 {
            prop_assert_eq!(chunk::part_key("p/a", Some(generation), i), format!("p/a#{generation}.{i}"));
            prop_assert_eq!(chunk::part_key("p/a", None, i), format!("p/a#{i}"));
        }
    }

    /// A chunked record damaged in the store (wrong SHA, count or generation, a part missing,
    /// cut, swapped or changed) never reads as other bytes: `Vault::get` gives the stored value
    /// or `store_corrupted`, and `load_record` the record or `store_corrupted`, never quoting
    /// the refresh token.
    #[test]
    fn damaged_chunks_are_corrupted_never_other_bytes(
        r in record(2000),
        older in record(500),
        limit in MAX_HEADER + 1..1500usize,
        damage in damage(),
    ) {
        let v = mock(Some(limit));
        if v.save_record("p", "a", &r).is_err() {
            return Ok(()); // more than MAX_PARTS entries: the previous property's case
        }
        let key = Vault::record_key("p", "a");
        let bytes = r.to_bytes().unwrap();
        let first = v.get_one(&key).unwrap().unwrap();
        let Some(h) = chunk::parse_header(&first).unwrap() else {
            return Ok(()); // stored whole: nothing to damage here
        };
        let g = h.generation;
        let part = |i: usize| chunk::part_key(&key, g, i);
        let mut parts: Vec<Vec<u8>> = vec![first[h.body_offset..].to_vec()];
        for i in 1..h.count {
            parts.push(v.get_one(&part(i)).unwrap().unwrap().to_vec());
        }
        let head = first[..h.body_offset].to_vec();
        let write_parts = |parts: &[Vec<u8>]| {
            v.set_one(&key, &[&head[..], &parts[0]].concat()).unwrap();
            for (i, p) in parts.iter().enumerate().skip(1) {
                v.set_one(&part(i), p).unwrap();
            }
        };
        match damage {
            Damage::Sha(i) => {
                let i = i.index(64);
                v.set_one(&key, &reheader(&first, |f| {
                    let d = f.last_mut().unwrap();
                    let c = if &d[i..=i] == "0" { "1" } else { "0" };
                    d.replace_range(i..=i, c);
                })).unwrap();
            }
            Damage::Count(c) => {
                let c = 1 + c.index(MAX_PARTS);
                v.set_one(&key, &reheader(&first, |f| f[1] = c.to_string())).unwrap();
            }
            Damage::Generation(n) => {
                // Generation `n` holds the parts of an older value (a leftover), or none.
                if Some(n) != g {
                    let stale = chunk::split(&older.to_bytes().unwrap(), Some(limit), n);
                    for (i, p) in stale.iter().enumerate().skip(1).take(MAX_PARTS) {
                        v.set_one(&chunk::part_key(&key, Some(n), i), p).unwrap();
                    }
                }
                v.set_one(&key, &reheader(&first, |f| f[0] = n.to_string())).unwrap();
            }
            Damage::Missing(i) if h.count > 1 => {
                v.delete_one(&part(1 + i.index(h.count - 1))).unwrap();
            }
            Damage::Cut(i, n) => {
                let i = i.index(parts.len());
                let keep = parts[i].len().saturating_sub(n);
                parts[i].truncate(keep);
                write_parts(&parts);
            }
            Damage::Swap(i, j) => {
                let n = parts.len();
                parts.swap(i.index(n), j.index(n));
                write_parts(&parts);
            }
            Damage::Flip(i, j) => {
                let i = i.index(parts.len());
                if !parts[i].is_empty() {
                    let j = j.index(parts[i].len());
                    parts[i][j] ^= 0x5a;
                }
                write_parts(&parts);
            }
            Damage::HeaderCut(i) => {
                let cut = MAGIC.len() + i.index(h.body_offset - MAGIC.len());
                v.set_one(&key, &first[..cut]).unwrap();
            }
            Damage::Missing(_) => {}
        }
        let got = v.get(&key);
        no_leak(&got, token_of(&r))?;
        match &got {
            Ok(Some(b)) => prop_assert!(b[..] == bytes[..], "read other bytes than stored"),
            Ok(None) => prop_assert!(false, "the first entry is there"),
            Err(e) => prop_assert_eq!(e.code(), "store_corrupted"),
        }
        let loaded = v.load_record("p", "a");
        no_leak(&loaded, token_of(&r))?;
        match loaded {
            Ok(Some(back)) => same(&back, &r)?,
            Ok(None) => prop_assert!(false, "the first entry is there"),
            Err(e) => prop_assert_eq!(e.code(), "store_corrupted"),
        }
    }

    /// The first chunk format (`\0tv-chunks:1:<count>:<sha>\n`, parts `<key>#<i>`) still
    /// reads back any value, and a wrong SHA in it is `store_corrupted`.
    #[test]
    fn the_first_chunk_format_still_reads(
        value in bytes(8000).prop_filter("not empty", |v| !v.is_empty()),
        limit in MAX_HEADER + 1..3000usize,
        wrong in any::<bool>(),
    ) {
        let limit = limit.max(value.len().div_ceil(MAX_PARTS)); // at most MAX_PARTS parts
        let v = mock(Some(limit));
        let mut digest = Sha256::digest(&value);
        if wrong {
            digest[0] ^= 1;
        }
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let body: Vec<&[u8]> = value.chunks(limit).collect();
        let header = format!("{MAGIC_V1}{}:{hex}\n", body.len());
        v.set_one("k", &[header.as_bytes(), body[0]].concat()).unwrap();
        for (i, p) in body.iter().enumerate().skip(1) {
            v.set_one(&chunk::part_key("k", None, i), p).unwrap();
        }
        let got = v.get("k");
        if wrong {
            prop_assert_eq!(code(&got), "store_corrupted");
        } else {
            prop_assert!(got.unwrap().unwrap()[..] == value[..]);
        }
    }

    /// First entries with chunk headers of either format whose fields are arbitrary ASCII
    /// (numbers out of range, signs, short or non-hex digests, no newline) never panic
    /// `parse_header`: `None` exactly for entries without the magic, a header that parses
    /// names 1..=64 parts and where its body starts, anything else is `store_corrupted`.
    #[test]
    fn ascii_chunk_headers_parse_or_are_corrupted(first in first_entry(true)) {
        check_header(&first)?;
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// A chunked value whose first entry lost the end of the chunk magic (cut inside
    /// `\0tv-chunks:2:`) reads as `store_corrupted` through `Vault::get`, never as the cut
    /// bytes: `split` never stores a whole value that starts with NUL.
    #[test]
    fn a_first_entry_cut_inside_the_magic_is_corrupted(
        value in bytes(6000),
        cut in 1..MAGIC.len(),
    ) {
        let v = mock(Some(chunk::WINDOWS_BLOB_LIMIT));
        let value = [&[0u8][..], &value].concat(); // starts with NUL: always a header
        v.set("k", &value).unwrap();
        let first = v.get_one("k").unwrap().unwrap();
        v.set_one("k", &first[..cut]).unwrap();
        match v.get("k") {
            Ok(Some(b)) => prop_assert!(b[..] == value[..], "read bytes never stored as a value"),
            Ok(None) => prop_assert!(false, "the first entry is there"),
            Err(e) => prop_assert_eq!(e.code(), "store_corrupted"),
        }
    }

    /// Headers whose fields are arbitrary text (any Unicode) never panic `parse_header`, and
    /// an arbitrary first entry read through `Vault::get` and `load_record` is a value,
    /// `store_corrupted` or `store_unsupported_version`, never a panic.
    #[test]
    fn any_chunk_header_parses_or_is_corrupted(first in first_entry(false)) {
        check_header(&first)?;
        let v = mock(Some(chunk::WINDOWS_BLOB_LIMIT));
        v.set_one(&Vault::record_key("p", "a"), &first).unwrap();
        let got = v.load_record("p", "a");
        prop_assert!(
            matches!(code(&got), "ok" | "store_corrupted" | "store_unsupported_version"),
            "{}", code(&got)
        );
    }
}
