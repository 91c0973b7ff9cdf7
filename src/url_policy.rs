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
    /// `/v1/x`; `/v1` covers `/v1` and `/v1/x` but not `/v1x`).
    fn allows(&self, url: &Url) -> bool {
        if url.origin() != self.origin {
            return false;
        }
        let p = url.path();
        if self.path == "/" || self.path.is_empty() || p == self.path {
            return true;
        }
        let prefix = if self.path.ends_with('/') {
            self.path.clone()
        } else {
            format!("{}/", self.path)
        };
        p.starts_with(&prefix)
    }
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

    /// Whether some entry covers `url`.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn allows(&self, url: &Url) -> bool {
        self.parsed.iter().any(|a| a.allows(url))
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
}
