//! Which URLs the plugin talks to: the one place for the loopback test, the "https, or plain
//! http only on a loopback host" rule, and the `fetchAllowlist` entries. A leaf module: it
//! imports nothing of the crate but `error`.

use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};

/// Whether `u`'s host is a loopback address or `localhost`.
pub(crate) fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The spellings of `issuer` an `iss` may use: the issuer itself and, when it is a bare origin
/// (`https://id.example` / `https://id.example/`), the same origin with or without the `/`
/// that URL normalisation adds or drops (the same URL by the WHATWG rules). Nothing else: no
/// case folding, no other path, no other origin.
pub(crate) fn issuer_spellings(issuer: &str) -> Vec<String> {
    let mut out = vec![issuer.to_string()];
    let bare = Url::parse(issuer)
        .is_ok_and(|u| u.path() == "/" && u.query().is_none() && u.fragment().is_none());
    if bare {
        match issuer.strip_suffix('/') {
            Some(without) => out.push(without.to_string()),
            None => out.push(format!("{issuer}/")),
        }
    }
    out
}

#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
/// Whether `u` may carry secrets: `https`, or plain `http` to a loopback host (local
/// development, the test provider). `Err` says why not.
pub(crate) fn secure_scheme(u: &Url) -> std::result::Result<(), String> {
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(u) => Ok(()),
        "http" => Err("plain http to a non-loopback host would expose the token".into()),
        other => Err(format!(
            "scheme `{other}:`: only https, and plain http for loopback hosts"
        )),
    }
}

/// [`secure_scheme`] for a configured URL: an `invalid_config` error naming `field`.
pub(crate) fn check_secure_url(u: &Url, field: &str) -> Result<()> {
    secure_scheme(u).map_err(|_| {
        Error::config(
            field,
            format!(
                "must be an https URL (got `{}:`); plain http is allowed only for loopback hosts",
                u.scheme()
            ),
        )
    })
}

/// A mobile redirect URI (`mobile.redirectUri`): a claimed `https` URL with a host (RFC 8252
/// §7.2), or a private-use scheme in reverse-domain form with a path and no host or port
/// (`com.example.app:/oauth/callback`, RFC 8252 §7.1: a scheme with a dot is one the app's
/// owner controls; `myapp:` could be registered by any app). No fragment (RFC 6749 §3.1.2),
/// no query (the response's parameters are appended).
pub(crate) fn check_mobile_redirect_uri(u: &Url, field: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::config(field, why.to_string()));
    if u.fragment().is_some() || u.query().is_some() {
        return bad("a redirect URI has no query or fragment");
    }
    match u.scheme() {
        // `Url` gives every https URL a host.
        "https" => Ok(()),
        "http" => bad(
            "plain http is not a mobile redirect; use a claimed https URL or a reverse-domain \
             custom scheme (`com.example.app:/oauth/callback`)",
        ),
        scheme if !scheme.contains('.') => bad(
            "a custom scheme must be in reverse-domain form (`com.example.app:`), which only the \
             app's owner controls (RFC 8252 §7.1)",
        ),
        _ if u.has_host() => bad(
            "a custom-scheme redirect URI has a path and no host (`com.example.app:/oauth/callback`)",
        ),
        _ if !u.path().starts_with('/') => {
            bad("a custom-scheme redirect URI's path starts with `/` (`com.example.app:/oauth/callback`)")
        }
        _ => Ok(()),
    }
}

/// One `fetchAllowlist` entry: an origin, optionally with a path prefix.
#[derive(Debug, Clone, PartialEq)]
struct AllowedPrefix {
    origin: url::Origin,
    path: String,
}

impl AllowedPrefix {
    /// Parses `https://api.example.com` or `https://api.example.com/v1/`.
    fn parse(entry: &str) -> std::result::Result<Self, String> {
        let u = Url::parse(entry).map_err(|e| format!("`{entry}` is not an absolute URL: {e}"))?;
        match u.scheme() {
            "https" => {}
            "http" if is_loopback(&u) => {}
            "http" => {
                return Err(format!(
                    "`{entry}`: plain http is allowed for loopback hosts only"
                ))
            }
            other => return Err(format!("`{entry}`: scheme `{other}` is not http(s)")),
        }
        if u.query().is_some()
            || u.fragment().is_some()
            || !u.username().is_empty()
            || u.password().is_some()
        {
            return Err(format!(
                "`{entry}`: an allow-list entry has no query, fragment or credentials"
            ));
        }
        Ok(Self {
            origin: u.origin(),
            path: u.path().to_string(),
        })
    }

    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    /// Whether `url` is covered: same origin, and under the path prefix (`/v1/` covers
    /// `/v1/x`; `/v1` covers `/v1` and `/v1/x` but not `/v1x`). The path is compared as the
    /// URL parser left it: dot segments resolved, everything else still percent-encoded.
    fn covers(&self, url: &Url) -> bool {
        // The URL's own scheme, not only its origin: `blob:https://a.example/…` has the origin
        // of the URL inside it.
        if !matches!(url.scheme(), "http" | "https") || url.origin() != self.origin {
            return false;
        }
        let p = url.path();
        if !self.has_path_prefix() || p == self.path {
            return true;
        }
        let prefix = if self.path.ends_with('/') {
            self.path.clone()
        } else {
            format!("{}/", self.path)
        };
        p.starts_with(&prefix)
    }

    /// Whether the entry limits the path (`https://a.example/v1/`), not only the origin.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    fn has_path_prefix(&self) -> bool {
        !(self.path == "/" || self.path.is_empty())
    }
}

/// Why `path` (as the WHATWG URL parser serialises it: `.`/`..` segments, `%2e` forms included,
/// already resolved, backslashes already `/` for http(s)) may mean another path to the server
/// than it says: an encoded separator (`%2F`, `%5C`), a double-encoded `/`, `\` or `.`
/// (`%252F`, `%255C`, `%252E`), a backslash, a `;` (path parameters: `..;/` is `../` to
/// Tomcat-style servers) or a dot segment left over. `None`: the path means what it says.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) fn ambiguous_path(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") {
        return Some("an encoded `/` (%2F)");
    }
    if lower.contains("%5c") {
        return Some("an encoded `\\` (%5C)");
    }
    if ["%252f", "%255c", "%252e"]
        .iter()
        .any(|d| lower.contains(d))
    {
        return Some("a double-encoded `/`, `\\` or `.` (%252F, %255C, %252E)");
    }
    if path.contains('\\') {
        return Some("a backslash");
    }
    if path.contains(';') {
        return Some("a `;` (path parameters: `..;/` is `../` to some servers)");
    }
    let dot_segment = |s: &str| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    };
    if path.split('/').any(dot_segment) {
        return Some("a dot segment");
    }
    None
}

/// Why an [`Allowlist`] refuses a URL.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No entry covers the URL.
    NotListed,
    /// Only path-prefix entries cover the URL and its path is ambiguous ([`ambiguous_path`]):
    /// `reason` says how, `entry` is the first such entry as configured.
    AmbiguousPath { reason: &'static str, entry: String },
}

/// A provider's `fetchAllowlist`, parsed once when the configuration is loaded: the origins
/// (`https://api.example.com`) and URL prefixes (`https://api.example.com/v1/`) that may
/// receive the provider's access token through `fetch`. Empty (the default): `fetch` is off.
///
/// ```
/// use tauri_plugin_token_vault::Allowlist;
///
/// let list = Allowlist::parse(["https://api.example.com/v1/"])?;
/// assert_eq!(list.entries(), ["https://api.example.com/v1/"]);
/// // Plain http only for loopback hosts; the error names the entry.
/// let e = Allowlist::parse(["http://api.example.com"]).unwrap_err();
/// assert_eq!(e.code(), "invalid_config");
/// assert!(e.to_string().contains("fetchAllowlist[0]"));
/// # Ok::<(), tauri_plugin_token_vault::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Allowlist {
    entries: Vec<String>,
    parsed: Vec<AllowedPrefix>,
}

impl Allowlist {
    /// Parses every entry; the first bad one is an `invalid_config` error naming it
    /// (`fetchAllowlist[i]`).
    pub fn parse<I, S>(entries: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entries: Vec<String> = entries
            .into_iter()
            .map(|s| s.as_ref().to_string())
            .collect();
        let parsed = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                AllowedPrefix::parse(e)
                    .map_err(|m| Error::config(format!("fetchAllowlist[{i}]"), m))
            })
            .collect::<Result<_>>()?;
        Ok(Self { entries, parsed })
    }

    /// The entries as configured.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether no URL is allowed.
    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }

    /// Whether `url` may receive the token: an origin-only entry covering it grants its whole
    /// origin, whatever the path; a path-prefix entry covers it only when its path means what
    /// it says ([`ambiguous_path`] finds nothing), so `https://api.example.com/v1/` cannot reach
    /// `/admin` through `/v1/..%2Fadmin`.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn check(&self, url: &Url) -> std::result::Result<(), Refusal> {
        let mut covering = self
            .parsed
            .iter()
            .zip(&self.entries)
            .filter(|(a, _)| a.covers(url));
        let Some((first, entry)) = covering.next() else {
            return Err(Refusal::NotListed);
        };
        let origin_only = !first.has_path_prefix() || covering.any(|(a, _)| !a.has_path_prefix());
        match ambiguous_path(url.path()) {
            Some(reason) if !origin_only => Err(Refusal::AmbiguousPath {
                reason,
                entry: entry.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether `url` may receive the token ([`Allowlist::check`] finds no refusal).
    #[cfg(test)]
    fn allows(&self, url: &Url) -> bool {
        self.check(url).is_ok()
    }
}

impl TryFrom<Vec<String>> for Allowlist {
    type Error = String;

    fn try_from(entries: Vec<String>) -> std::result::Result<Self, String> {
        Self::parse(entries).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn http_is_allowed_on_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost/realms/x",
            "http://[::1]:9/",
            "https://example.com",
        ] {
            check_secure_url(&u(ok), "f").unwrap();
        }
        for bad in ["http://10.0.0.1", "http://example.com", "ftp://127.0.0.1"] {
            assert!(check_secure_url(&u(bad), "f").is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_list_entries_are_validated_and_the_error_names_the_entry() {
        for bad in [
            "api.example.com",
            "http://api.example.com",
            "https://a.example/?q",
            "https://u:p@a.example",
            "ws://a.example",
        ] {
            let e = Allowlist::parse(["https://ok.example", bad]).unwrap_err();
            assert_eq!(e.code(), "invalid_config", "{bad}");
            assert!(e.to_string().contains("fetchAllowlist[1]"), "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{bad}: {e}");
        }
        for good in [
            "https://a.example",
            "https://a.example/v1/",
            "http://localhost:3000",
            "http://[::1]:9/",
        ] {
            Allowlist::parse([good]).unwrap();
        }
    }

    #[test]
    fn an_invalid_entry_fails_deserialization_by_name() {
        let e = serde_json::from_str::<Allowlist>(r#"["https://a.example", "ftp://b.example"]"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fetchAllowlist[1]") && e.contains("ftp://b.example"),
            "{e}"
        );
        let ok: Allowlist = serde_json::from_str(r#"["https://a.example/v1"]"#).unwrap();
        assert!(ok.allows(&u("https://a.example/v1/x")));
    }

    #[test]
    fn allow_list_matching() {
        let list = Allowlist::parse([
            "https://api.example.com",
            "https://files.example.com/v1",
            "http://127.0.0.1:8080/",
        ])
        .unwrap();
        for url in [
            "https://api.example.com/",
            "https://api.example.com/me?x=1",
            "https://api.example.com:443/deep/path",
            "https://files.example.com/v1",
            "https://files.example.com/v1/a/b",
            "http://127.0.0.1:8080/anything",
        ] {
            assert!(list.allows(&u(url)), "{url}");
        }
        for url in [
            "https://api.example.com.evil.net/",
            "https://evil.example.com/",
            "http://api.example.com/",
            "https://api.example.com:8443/",
            "https://files.example.com/v1x",
            "https://files.example.com/v2/a",
            "https://files.example.com/",
            "http://127.0.0.1:8081/",
            "ftp://api.example.com/",
        ] {
            assert!(!list.allows(&u(url)), "{url}");
        }
        assert!(!Allowlist::default().allows(&u("https://api.example.com/")));
    }

    /// What the WHATWG URL parser (the `url` crate) leaves of dot segments and separators: the
    /// allow-list sees the path after this.
    #[test]
    fn the_url_parser_resolves_plain_and_fully_encoded_dot_segments_only() {
        let cases = [
            // Resolved by the parser: plain, `%2e` (any case) and mixed dot segments, and `\`,
            // which is `/` in http(s) URLs.
            ("https://a.example/v1/../admin", "/admin"),
            ("https://a.example/v1/./me", "/v1/me"),
            ("https://a.example/v1/%2e%2e/admin", "/admin"),
            ("https://a.example/v1/%2E%2E/admin", "/admin"),
            ("https://a.example/v1/.%2e/admin", "/admin"),
            ("https://a.example/v1/%2e./admin", "/admin"),
            ("https://a.example/v1/%2e/me", "/v1/me"),
            ("https://a.example/v1\\..\\admin", "/admin"),
            ("https://a.example/v1/..", "/"),
            ("https://a.example/v1/../../../admin", "/admin"),
            // Left as written: encoded separators, `;`, double encoding, dots inside a segment.
            ("https://a.example/v1/..%2Fadmin", "/v1/..%2Fadmin"),
            ("https://a.example/v1/%2e%2e%2fadmin", "/v1/%2e%2e%2fadmin"),
            ("https://a.example/v1/..%5Cadmin", "/v1/..%5Cadmin"),
            ("https://a.example/v1/..;/admin", "/v1/..;/admin"),
            (
                "https://a.example/v1/%252e%252e/admin",
                "/v1/%252e%252e/admin",
            ),
            ("https://a.example/v1/...", "/v1/..."),
            ("https://a.example/v1/a..b", "/v1/a..b"),
            // Characters the parser percent-encodes itself.
            ("https://a.example/v1/a b", "/v1/a%20b"),
        ];
        for (input, path) in cases {
            assert_eq!(u(input).path(), path, "{input}");
        }
    }

    #[test]
    fn ambiguous_paths() {
        let cases: [(&str, Option<&str>); 22] = [
            ("/v1/me", None),
            ("/v1/a/b.json", None),
            ("/v1/x%20y", None),
            ("/v1/a..b/...", None),
            ("/v1/%2e%2ejson", None),
            ("/v1/100%25", None),
            ("/", None),
            ("/v1/..%2Fadmin", Some("%2F")),
            ("/v1/..%2fadmin", Some("%2F")),
            ("/v1/a%2Fb", Some("%2F")),
            ("/v1/..%5Cadmin", Some("%5C")),
            ("/v1/..%5cadmin", Some("%5C")),
            ("/v1/..%252Fadmin", Some("double-encoded")),
            ("/v1/..%255cadmin", Some("double-encoded")),
            ("/v1/%252e%252e/admin", Some("double-encoded")),
            ("/v1\\..\\admin", Some("backslash")),
            ("/v1/..;/admin", Some("`;`")),
            ("/v1/me;jsessionid=0", Some("`;`")),
            ("/v1/%2e%2e;/admin", Some("`;`")),
            // Only a path that did not come from the URL parser keeps these.
            ("/v1/../admin", Some("dot segment")),
            ("/v1/%2E./admin", Some("dot segment")),
            ("/v1/./me", Some("dot segment")),
        ];
        for (path, want) in cases {
            let got = ambiguous_path(path);
            match (got, want) {
                (None, None) => {}
                (Some(reason), Some(word)) => assert!(reason.contains(word), "{path}: {reason}"),
                _ => panic!("{path}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn path_prefix_entries_refuse_ambiguous_paths_origin_entries_do_not() {
        let prefix_only = Allowlist::parse(["https://api.example.com/v1/"]).unwrap();
        let both =
            Allowlist::parse(["https://api.example.com/v1/", "https://api.example.com"]).unwrap();
        let origin_only = Allowlist::parse(["https://gitlab.example.com"]).unwrap();
        let ambiguous = |reason: &str| {
            Err(Refusal::AmbiguousPath {
                reason: ambiguous_path(reason).unwrap(),
                entry: "https://api.example.com/v1/".into(),
            })
        };
        let cases = [
            (&prefix_only, "https://api.example.com/v1/me", Ok(())),
            (
                &prefix_only,
                "https://api.example.com/v1/x%20y?q=%2F",
                Ok(()),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1/..%2Fadmin",
                ambiguous("%2F"),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1/..%5Cadmin",
                ambiguous("%5C"),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1/..;/admin",
                ambiguous(";"),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1/%252e%252e/x",
                ambiguous("%252e"),
            ),
            // Resolved by the parser to `/admin`: not under the prefix.
            (
                &prefix_only,
                "https://api.example.com/v1/../admin",
                Err(Refusal::NotListed),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1/%2e%2e/admin",
                Err(Refusal::NotListed),
            ),
            (
                &prefix_only,
                "https://api.example.com/v1\\..\\admin",
                Err(Refusal::NotListed),
            ),
            // Not under the prefix as written: a miss, whatever the path holds.
            (
                &prefix_only,
                "https://api.example.com/v2/..%2Fv1/me",
                Err(Refusal::NotListed),
            ),
            (
                &prefix_only,
                "https://other.example.com/v1/me",
                Err(Refusal::NotListed),
            ),
            // An origin-only entry grants the whole origin: its paths are not judged.
            (&both, "https://api.example.com/v1/..%2Fadmin", Ok(())),
            (
                &origin_only,
                "https://gitlab.example.com/api/v4/projects/g%2Fp",
                Ok(()),
            ),
            (
                &origin_only,
                "https://gitlab.example.com/cars;color=red",
                Ok(()),
            ),
        ];
        for (list, url, want) in cases {
            assert_eq!(list.check(&u(url)), want, "{url}");
            assert_eq!(list.allows(&u(url)), want.is_ok(), "{url}");
        }
    }
}

#[cfg(test)]
mod props;

pub(crate) mod issuer;
