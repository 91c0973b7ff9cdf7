//! Property tests of the `fetchAllowlist` matching (issue 8, "hardening"), with the `url`
//! crate (the WHATWG URL Standard) as the oracle.
//!
//! URLs and entries come from a grammar of schemes, hosts (upper case, IDN, IPv4 in hex,
//! octal and short forms, IPv6, percent-encoded, trailing dots), userinfo, ports (default
//! ones included), paths with `.`/`..`/`%2e` segments, `%2F`, `%5C`, `%252e`, `;` and
//! backslashes, queries and fragments. Stated outcomes:
//!
//! | URL (after WHATWG parsing) | `check` |
//! |---|---|
//! | no entry with its scheme, host and port (default ports filled in) whose path prefix it is under (`/v1` covers `/v1` and `/v1/…`, not `/v1x`) | `NotListed` |
//! | covered by an origin-only entry (path `/`) | allowed, whatever its path, query, fragment or userinfo |
//! | covered only by path-prefix entries, its path ambiguous (`%2F`, `%5C`, `%252F`, `%255C`, `%252E`, `\`, `;`, a dot segment) | `AmbiguousPath`, naming the first covering entry |
//! | covered only by path-prefix entries, its path plain | allowed |
//!
//! Hosts compare as WHATWG serialises them: `API.Example.COM`, `%61pi.example.com`,
//! `ａｐｉ。example。com` are `api.example.com`, `0x7f.1` and `2130706433` are `127.0.0.1`,
//! `bücher.example` is `xn--bcher-kva.example`; a trailing dot (`api.example.com.`) is another
//! host. Entries that are not `https` (or `http` on a loopback host), or carry a query,
//! fragment or credentials, are `invalid_config`.

use proptest::prelude::*;
use proptest::test_runner::Config;
use url::Url;

use super::{ambiguous_path, is_loopback, Allowlist, Refusal};

/// Thousands of cases, nothing written next to the sources.
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

/// Hosts as WHATWG serialises them, each with spellings it normalises to the same host.
const HOSTS: &[(&str, &[&str])] = &[
    (
        "api.example.com",
        &[
            "API.Example.COM",
            "%61pi.example.com",
            "api\u{3002}example\u{3002}com",
            "\u{ff41}\u{ff50}\u{ff49}.example.com",
        ],
    ),
    (
        "files.example.com",
        &["FILES.example.com", "files.%65xample.com"],
    ),
    (
        "127.0.0.1",
        &[
            "0x7f.1",
            "0x7f.0.0.1",
            "2130706433",
            "0177.0.0.1",
            "127.1",
            "127.0.1",
            "0x7F000001",
        ],
    ),
    ("localhost", &["LOCALHOST", "LocalHost"]),
    ("[::1]", &["[0:0:0:0:0:0:0:1]", "[::0001]", "[0::1]"]),
    (
        "xn--bcher-kva.example",
        &[
            "b\u{fc}cher.example",
            "B\u{dc}CHER.example",
            "xn--BCHER-KVA.example",
        ],
    ),
    ("api.example.com.", &["API.EXAMPLE.COM."]),
    ("evil.example.com", &[]),
    ("api.example.com.evil.net", &[]),
    ("128.0.0.1", &["0x80.0.0.1"]),
];

/// Path segments: plain, dot segments in every spelling, encoded and double-encoded
/// separators, `;`, characters the parser encodes itself.
const SEGMENTS: &[&str] = &[
    "v1",
    "v1",
    "v1",
    "v2",
    "me",
    "admin",
    "",
    ".",
    "..",
    "%2e",
    "%2E%2e",
    ".%2e",
    "..%2F",
    "%2f",
    "a%2Fb",
    "%5C",
    "..%5c",
    ";",
    "..;",
    "me;x=1",
    "%252F",
    "%252e%252e",
    "%255c",
    "a..b",
    "...",
    "%41",
    "x%20y",
    "a b",
    "v1x",
    "\u{fc}",
];

/// One URL or entry, in parts.
#[derive(Debug, Clone)]
struct Parts {
    scheme: &'static str,
    userinfo: &'static str,
    host: usize,
    port: Option<u16>,
    segments: Vec<&'static str>,
    query: Option<&'static str>,
    fragment: Option<&'static str>,
}

impl Parts {
    fn default_port(&self) -> Option<u16> {
        match self.scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        }
    }

    /// The plain spelling.
    fn canonical(&self) -> String {
        let mut s = format!("{}://{}{}", self.scheme, self.userinfo, HOSTS[self.host].0);
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s.push('/');
        s.push_str(&self.segments.join("/"));
        if let Some(q) = self.query {
            s.push('?');
            s.push_str(q);
        }
        if let Some(f) = self.fragment {
            s.push('#');
            s.push_str(f);
        }
        s
    }

    /// A spelling that differs from [`Parts::canonical`] only by what WHATWG parsing
    /// normalises away (for the special schemes http and https).
    fn variant(&self, v: &Variant) -> String {
        let scheme = match v.scheme_case {
            0 => self.scheme.to_string(),
            1 => self.scheme.to_uppercase(),
            _ => self
                .scheme
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
        };
        let slashes = ["://", ":\\\\", ":/\\", ":///", ":"][v.slashes % 5];
        let (canonical, spellings) = HOSTS[self.host];
        let host = if spellings.is_empty() || v.host == 0 {
            canonical
        } else {
            spellings[(v.host - 1) % spellings.len()]
        };
        let port = match (self.port, v.port % 4) {
            (Some(p), 0) => format!(":{p}"),
            (Some(p), _) => format!(":0{p}"),
            (None, 0) => String::new(),
            (None, 1) => ":".into(),
            (None, n) => match self.default_port() {
                Some(d) if n == 2 => format!(":{d}"),
                Some(d) => format!(":00{d}"),
                None => String::new(),
            },
        };
        // Dot segments inserted before existing segments (never at the end: `/a/.` is `/a/`).
        let mut segments: Vec<&str> = self.segments.clone();
        for (at, what) in v.dots.iter().rev() {
            let at = at.index(segments.len().max(1)).min(segments.len());
            if at == segments.len() && !segments.is_empty() {
                continue;
            }
            let insert: &[&str] = match what % 6 {
                0 => &["."],
                1 => &["%2e"],
                2 => &["%2E"],
                3 => &["x", ".."],
                4 => &["x", "%2e%2e"],
                _ => &["x", ".%2E"],
            };
            for s in insert.iter().rev() {
                segments.insert(at, s);
            }
        }
        let mut path = String::from("/");
        for (i, s) in segments.iter().enumerate() {
            if i > 0 {
                path.push(if v.backslash.get(i).copied().unwrap_or(false) {
                    '\\'
                } else {
                    '/'
                });
            }
            path.push_str(s);
        }
        if v.backslash.first().copied().unwrap_or(false) {
            path.replace_range(0..1, "\\");
        }
        let mut s = format!("{scheme}{slashes}{}{host}{port}{path}", self.userinfo);
        if let Some(q) = self.query {
            s.push('?');
            s.push_str(q);
        }
        if let Some(f) = self.fragment {
            s.push('#');
            s.push_str(f);
        }
        // Tabs and newlines anywhere are removed; C0 controls and spaces around are trimmed.
        for (at, c) in &v.blanks {
            let mut i = at.index(s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            s.insert(i, ['\t', '\n', '\r'][*c as usize % 3]);
        }
        format!("{}{s}{}", v.lead, v.trail)
    }
}

/// Which normalising rewrites [`Parts::variant`] applies.
#[derive(Debug, Clone)]
struct Variant {
    scheme_case: u8,
    slashes: usize,
    host: usize,
    port: u8,
    dots: Vec<(prop::sample::Index, u8)>,
    backslash: Vec<bool>,
    blanks: Vec<(prop::sample::Index, u8)>,
    lead: &'static str,
    trail: &'static str,
}

fn variant() -> impl Strategy<Value = Variant> {
    (
        0..3u8,
        0..5usize,
        0..8usize,
        0..4u8,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        prop::collection::vec(any::<bool>(), 0..8),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        prop_oneof![Just(""), Just(" "), Just("\u{0}\u{1f} ")],
        prop_oneof![Just(""), Just(" "), Just("\u{7}")],
    )
        .prop_map(
            |(scheme_case, slashes, host, port, dots, backslash, blanks, lead, trail)| Variant {
                scheme_case,
                slashes,
                host,
                port,
                dots,
                backslash,
                blanks,
                lead,
                trail,
            },
        )
}

fn host() -> impl Strategy<Value = usize> {
    prop_oneof![4 => Just(0usize), 3 => 0..HOSTS.len()]
}

fn port() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(443)),
        1 => Just(Some(80)),
        1 => Just(Some(8080)),
        1 => Just(Some(8443)),
    ]
}

fn segments(max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(SEGMENTS), 0..max)
}

/// URLs to check: mostly http(s) near the entries, some of other schemes.
fn url_parts() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![
            8 => Just("https"),
            3 => Just("http"),
            1 => prop::sample::select(&["ftp", "ws", "wss", "file", "data", "javascript"][..]),
        ],
        prop_oneof![8 => Just(""), 1 => Just("u:p@"), 1 => Just("u@"), 1 => Just(":@")],
        host(),
        port(),
        segments(5),
        prop_oneof![3 => Just(None), 1 => Just(Some("q=%2F")), 1 => Just(Some("a=1;b"))],
        prop_oneof![3 => Just(None), 1 => Just(Some("f/../x"))],
    )
        .prop_map(
            |(scheme, userinfo, host, port, segments, query, fragment)| Parts {
                scheme,
                userinfo,
                host,
                port,
                segments,
                query,
                fragment,
            },
        )
}

/// Indexes of the loopback hosts in [`HOSTS`].
const LOOPBACK: [usize; 3] = [2, 3, 4];

/// Allow-list entries: origins and path prefixes, some of them invalid.
fn entry_parts() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![
            8 => host().prop_map(|h| ("https", h)),
            3 => prop::sample::select(&LOOPBACK[..]).prop_map(|h| ("http", h)),
            1 => host().prop_map(|h| ("http", h)),
            1 => host().prop_map(|h| ("ftp", h)),
        ],
        prop_oneof![12 => Just(""), 1 => Just("u:p@")],
        port(),
        prop_oneof![
            2 => Just(vec![]),
            3 => Just(vec!["v1", ""]),
            2 => Just(vec!["v1"]),
            1 => Just(vec!["v1", "me"]),
            2 => segments(3),
        ],
        prop_oneof![12 => Just(None), 1 => Just(Some("q"))],
        prop_oneof![12 => Just(None), 1 => Just(Some("f"))],
    )
        .prop_map(
            |((scheme, host), userinfo, port, segments, query, fragment)| Parts {
                scheme,
                userinfo,
                host,
                port,
                segments,
                query,
                fragment,
            },
        )
}

fn entries() -> impl Strategy<Value = Vec<Parts>> {
    prop::collection::vec(entry_parts(), 1..4)
}

/// A URL near `entry`: its scheme and host, mostly its port, under its path (trailing
/// slash dropped) with `u`'s segments, userinfo, query and fragment.
fn near(entry: &Parts, u: Parts, same_port: bool) -> Parts {
    let mut segments: Vec<&'static str> = entry.segments.clone();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    segments.extend(u.segments);
    Parts {
        scheme: entry.scheme,
        host: entry.host,
        port: if same_port { entry.port } else { u.port },
        segments,
        ..u
    }
}

/// Entries, a spelling for each, and a URL (mostly one near an entry) with or without a
/// spelling of its own.
#[allow(clippy::type_complexity)]
fn case() -> impl Strategy<Value = (Vec<Parts>, Vec<Variant>, Parts, Option<Variant>)> {
    entries().prop_flat_map(|entries| {
        let n = entries.len();
        let of = entries.clone();
        let url = prop_oneof![
            1 => url_parts(),
            3 => (0..n, url_parts(), prop::bool::weighted(0.8))
                .prop_map(move |(i, u, same)| near(&of[i], u, same)),
        ];
        (
            Just(entries),
            prop::collection::vec(variant(), n),
            url,
            proptest::option::of(variant()),
        )
    })
}

/// Whether WHATWG reads `url` with an origin-only entry's path (`/`).
fn origin_only(entry: &Url) -> bool {
    matches!(entry.path(), "/" | "")
}

/// Whether `entry` covers `url`, from the WHATWG components alone: same scheme, host and
/// port (defaults filled in), and the URL's path is the entry's prefix or under it at a
/// segment boundary.
fn covers(entry: &Url, url: &Url) -> bool {
    if url.scheme() != entry.scheme()
        || url.host_str() != entry.host_str()
        || url.port_or_known_default() != entry.port_or_known_default()
    {
        return false;
    }
    let (p, e) = (url.path(), entry.path());
    if origin_only(entry) || p == e {
        return true;
    }
    let boundary = if e.ends_with('/') {
        e.to_string()
    } else {
        format!("{e}/")
    };
    p.starts_with(&boundary)
}

/// The ambiguous spellings the allow-list refuses under path-prefix entries, written out
/// again from the rule: encoded or double-encoded separators and dots, `\`, `;`, and dot
/// segments in any spelling.
fn ambiguous(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["%2f", "%5c", "%252f", "%255c", "%252e", "\\", ";"]
        .iter()
        .any(|s| lower.contains(s))
        || lower
            .split('/')
            .any(|s| matches!(s.replace("%2e", ".").as_str(), "." | ".."))
}

/// Whether an entry is valid configuration: https, or http on a loopback host, without
/// query, fragment or credentials.
fn valid_entry(e: &Url) -> bool {
    let scheme_ok = match e.scheme() {
        "https" => true,
        "http" => is_loopback(e),
        _ => false,
    };
    scheme_ok
        && e.query().is_none()
        && e.fragment().is_none()
        && e.username().is_empty()
        && e.password().is_none()
}

/// What `check` answers, as the table in the module doc states it: `Ok`, or the refusal
/// with the index of the entry it names.
fn expected(list: &[Url], url: &Url) -> Result<(), Option<usize>> {
    let covering: Vec<usize> = (0..list.len()).filter(|&i| covers(&list[i], url)).collect();
    let Some(&first) = covering.first() else {
        return Err(None);
    };
    if covering.iter().any(|&i| origin_only(&list[i])) || !ambiguous(url.path()) {
        Ok(())
    } else {
        Err(Some(first))
    }
}

fn verdict(list: &Allowlist, url: &Url) -> Result<(), Option<usize>> {
    list.check(url).map_err(|r| match r {
        Refusal::NotListed => None,
        Refusal::AmbiguousPath { entry, .. } => list.entries().iter().position(|e| *e == entry),
    })
}

/// Parses entry strings the way the configuration does: each one alone is refused
/// (`invalid_config`) exactly when it is invalid, and a list of them exactly when one is.
/// Returns the list of the valid ones (`None` when there is none), with their WHATWG parses.
fn allowlist(entries: &[String]) -> Result<Option<(Allowlist, Vec<Url>)>, TestCaseError> {
    let mut valid = Vec::new();
    for e in entries {
        let parsed = Url::parse(e).ok().filter(valid_entry);
        match Allowlist::parse([e]) {
            Ok(_) => prop_assert!(parsed.is_some(), "an invalid entry was accepted: {:?}", e),
            Err(err) => {
                prop_assert!(
                    parsed.is_none(),
                    "a valid entry was refused: {:?}: {}",
                    e,
                    err
                );
                prop_assert_eq!(err.code(), "invalid_config");
            }
        }
        if let Some(u) = parsed {
            valid.push((e.clone(), u));
        }
    }
    prop_assert_eq!(
        Allowlist::parse(entries).is_ok(),
        valid.len() == entries.len(),
        "a list is refused exactly when an entry is"
    );
    if valid.is_empty() {
        return Ok(None);
    }
    let (strings, urls): (Vec<String>, Vec<Url>) = valid.into_iter().unzip();
    let list = Allowlist::parse(&strings).unwrap();
    Ok(Some((list, urls)))
}

/// Checks one URL against one list: the verdict is the stated one, and an allowed URL has an
/// entry's scheme, host and port, lies under its path prefix, and is unambiguous unless an
/// origin-only entry covers it.
fn check_one(list: &Allowlist, urls: &[Url], url: &Url) -> Result<(), TestCaseError> {
    let got = verdict(list, url);
    prop_assert_eq!(
        &got,
        &expected(urls, url),
        "{} against {:?}",
        url,
        list.entries()
    );
    if got.is_ok() {
        let covering: Vec<&Url> = urls.iter().filter(|e| covers(e, url)).collect();
        prop_assert!(!covering.is_empty());
        for e in &covering {
            prop_assert_eq!(url.scheme(), e.scheme());
            prop_assert_eq!(url.host_str(), e.host_str());
            prop_assert_eq!(url.port_or_known_default(), e.port_or_known_default());
        }
        if !covering.iter().any(|e| origin_only(e)) {
            prop_assert!(ambiguous_path(url.path()).is_none());
            prop_assert!(!ambiguous(url.path()));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2500))]

    /// Every generated URL (plain or in a normalising spelling) against every generated list
    /// gets the verdict the module doc's table states, judged from the WHATWG components the
    /// `url` crate parses; an entry list is refused (`invalid_config`) exactly when an entry
    /// is invalid.
    #[test]
    fn check_gives_the_stated_verdict(
        (entries, entry_spellings, url, url_spelling) in case(),
    ) {
        let strings: Vec<String> = entries
            .iter()
            .zip(&entry_spellings)
            .enumerate()
            .map(|(i, (e, v))| if i % 2 == 0 { e.canonical() } else { e.variant(v) })
            .collect();
        let Some((list, urls)) = allowlist(&strings)? else {
            return Ok(());
        };
        let written = match &url_spelling {
            Some(v) if matches!(url.scheme, "http" | "https") => url.variant(v),
            _ => url.canonical(),
        };
        let Ok(u) = Url::parse(&written) else {
            return Ok(()); // never a `Url`: nothing to check
        };
        check_one(&list, &urls, &u)?;
    }

    /// A URL and an entry list spelt differently only in what WHATWG normalises away (scheme
    /// and host case, IDN, IPv4 forms, percent-encoded host characters, default or
    /// zero-padded ports, `.`/`..`/`%2e` segments, backslashes, tabs and newlines, spaces
    /// around) parse to the same URLs and get the same verdict as the plain spelling.
    #[test]
    fn normalised_spellings_get_the_same_verdict(
        (entries, entry_spellings, url, _) in case()
            .prop_filter("special scheme", |c| matches!(c.2.scheme, "http" | "https")),
        url_spelling in variant(),
    ) {
        let plain: Vec<String> = entries.iter().map(Parts::canonical).collect();
        let spelt: Vec<String> = entries
            .iter()
            .zip(&entry_spellings)
            .map(|(e, v)| e.variant(v))
            .collect();
        for (p, s) in plain.iter().zip(&spelt) {
            prop_assert_eq!(Url::parse(p).ok(), Url::parse(s).ok(), "{:?} vs {:?}", p, s);
        }
        let (a, b) = (url.canonical(), url.variant(&url_spelling));
        let (Ok(ua), Ok(ub)) = (Url::parse(&a), Url::parse(&b)) else {
            prop_assert_eq!(Url::parse(&a).ok(), Url::parse(&b).ok(), "{:?} vs {:?}", a, b);
            return Ok(());
        };
        prop_assert_eq!(&ua, &ub, "{:?} vs {:?}", a, b);
        let (Some((la, ea)), Some((lb, eb))) = (allowlist(&plain)?, allowlist(&spelt)?) else {
            return Ok(());
        };
        prop_assert_eq!(&ea, &eb);
        prop_assert_eq!(verdict(&la, &ua), verdict(&lb, &ub), "{:?} vs {:?}", a, b);
        check_one(&lb, &eb, &ub)?;
    }

    /// Arbitrary text never panics `Allowlist::parse` (a list or `invalid_config`),
    /// `ambiguous_path`, or `check` on whatever the `url` crate makes of it.
    #[test]
    fn arbitrary_text_never_panics(
        entry in prop_oneof![
            "(https?://)?\\PC{0,40}",
            "https://api\\.example\\.com[\\x20-\\x7e]{0,30}",
        ],
        url in prop_oneof![
            "(https?|blob:https?|ftp|file|data):(//)?\\PC{0,60}",
            "https://api\\.example\\.com/v1/[\\x20-\\x7e]{0,40}",
            any::<String>(),
        ],
    ) {
        let _ = ambiguous_path(&url);
        match Allowlist::parse([entry.as_str(), "https://api.example.com/v1/"]) {
            Ok(list) => {
                if let Ok(u) = Url::parse(&url) {
                    let _ = list.check(&u);
                    let _ = ambiguous_path(u.path());
                }
            }
            Err(e) => prop_assert_eq!(e.code(), "invalid_config"),
        }
    }

    /// A `blob:` URL is never allowed: its scheme is no entry's, although the `url` crate
    /// gives `blob:https://api.example.com/…` the origin of the URL inside it.
    #[test]
    fn blob_urls_are_never_allowed(
        (entries, _, url, _) in case()
            .prop_filter("special scheme", |c| matches!(c.2.scheme, "http" | "https")),
    ) {
        let strings: Vec<String> = entries.iter().map(Parts::canonical).collect();
        let Some((list, urls)) = allowlist(&strings)? else {
            return Ok(());
        };
        let Ok(u) = Url::parse(&format!("blob:{}", url.canonical())) else {
            return Ok(());
        };
        prop_assert_eq!(u.scheme(), "blob");
        check_one(&list, &urls, &u)?;
    }
}
