//! Which issuers are this provider's: the one place that decides whether an `iss` (in an ID
//! token, in an RFC 9207 authorization response) or a discovered metadata `issuer` names the
//! configured provider.
//!
//! By default an `iss` must be the metadata issuer ([`issuer_spellings`]: byte-exact, a bare
//! origin with or without its `/`). Two relaxations exist, each bounded by configuration:
//!
//! - `issuerTemplate` (Microsoft Entra multi-tenant: `/common`, `/organizations`): the
//!   provider publishes `https://login.microsoftonline.com/{tenantid}/v2.0` and each token
//!   carries its tenant's issuer. An ID token is accepted only when its `tid` claim is a
//!   plausible tenant id ([`is_tenant_id`]), its `iss` is the template with exactly that `tid`
//!   (byte-exact), and `tid` is in `allowedTenants` when that list is not empty.
//! - `issuerAliases` (Google: `accounts.google.com` without a scheme): extra exact `iss`
//!   values for ID tokens and RFC 9207 responses, never for the metadata `issuer`.
//!
//! Hand-written: `jsonwebtoken` checks `iss` against a fixed set only, and no kept library
//! knows Entra's tenant template.

use url::Url;

use super::{check_secure_url, issuer_spellings};
use crate::error::{Error, Result};

/// The placeholder of `issuerTemplate`, as Microsoft Entra publishes it.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// The longest tenant id accepted (an Entra tenant id is a 36-character GUID).
const MAX_TENANT_ID_LEN: usize = 64;

/// Whether `s` is a plausible tenant id: 1 to 64 ASCII letters, digits and `-`. Nothing that
/// could change the issuer URL's structure once substituted (no `/`, `.`, `%`, `?`, `#`, `@`,
/// `:`, whitespace or non-ASCII).
pub(crate) fn is_tenant_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TENANT_ID_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An `issuerTemplate` split around its one `{tenantid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template {
    prefix: String,
    suffix: String,
}

impl Template {
    /// Splits `template`; `None` unless it has exactly one placeholder.
    fn parse(template: &str) -> Option<Self> {
        let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER)?;
        if suffix.contains(TENANT_PLACEHOLDER) {
            return None;
        }
        Some(Self {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        })
    }

    /// The tenant id `iss` names through this template, when it is a plausible one.
    fn tenant_in<'a>(&self, iss: &'a str) -> Option<&'a str> {
        let tid = iss
            .strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())?;
        is_tenant_id(tid).then_some(tid)
    }

    /// The issuer of tenant `tid`.
    fn issuer_of(&self, tid: &str) -> String {
        format!("{}{tid}{}", self.prefix, self.suffix)
    }
}

/// Checks an `issuerTemplate` against its provider's `issuer`; the error names `field`.
///
/// Exactly one `{tenantid}`, as a whole path segment; with a tenant id in its place, a URL that
/// the URL parser leaves as written (no dot segments, no percent-encoding to add, lower-case
/// host), https (or plain http on loopback, as for `issuer`), no query or fragment, and the
/// origin of `issuer`.
pub(crate) fn check_template(template: &str, issuer: &Url, field: &str) -> Result<()> {
    let bad = |m: &str| Err(Error::config(field, m));
    let Some(t) = Template::parse(template) else {
        return bad("must contain `{tenantid}` exactly once");
    };
    if !t.prefix.ends_with('/') || !(t.suffix.is_empty() || t.suffix.starts_with('/')) {
        return bad("`{tenantid}` must be a whole path segment (`…/{tenantid}/…`)");
    }
    let sample = t.issuer_of("00000000-0000-0000-0000-000000000000");
    let Ok(url) = Url::parse(&sample) else {
        return bad("is not an absolute URL once `{tenantid}` is filled in");
    };
    check_secure_url(&url, field)?;
    if url.as_str() != sample {
        return bad("must be written as a normalised URL (lower-case host, no `.`/`..` segments, no characters to percent-encode)");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("an issuer has no query or fragment");
    }
    if url.origin() != issuer.origin() {
        return bad("must have the same origin as `issuer`");
    }
    if !t
        .prefix
        .starts_with(&format!("{}/", url.origin().ascii_serialization()))
    {
        return bad("`{tenantid}` must be in the path");
    }
    Ok(())
}

/// Whether a discovered metadata `issuer` (`found`) is the configured provider's: the
/// configured `issuer` (compared as URLs: `https://id.example` and `https://id.example/` are one
/// issuer), or the configured `issuerTemplate` exactly as written (Entra publishes the literal
/// `{tenantid}`). Never an alias.
pub(crate) fn is_metadata_issuer(configured: &Url, template: Option<&str>, found: &str) -> bool {
    Url::parse(found).ok().as_ref() == Some(configured) || template == Some(found)
}

/// The issuers one provider's ID tokens and authorization responses may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuerPolicy {
    /// The metadata issuer, the provider's own string (empty: none known).
    issuer: String,
    template: Option<Template>,
    /// With a template: the tenant ids accepted (empty: any).
    allowed_tenants: Vec<String>,
    aliases: Vec<String>,
}

impl IssuerPolicy {
    /// `iss` must be `issuer` ([`issuer_spellings`]), nothing else.
    pub(crate) fn exact(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            template: None,
            allowed_tenants: Vec::new(),
            aliases: Vec::new(),
        }
    }

    /// The policy of a provider whose metadata names `metadata_issuer`, with its
    /// `issuerTemplate`, `allowedTenants` and `issuerAliases` (checked by the configuration's
    /// validation; a template without exactly one `{tenantid}` is refused here too).
    pub(crate) fn new(
        metadata_issuer: &str,
        template: Option<&str>,
        allowed_tenants: &[String],
        aliases: &[String],
    ) -> Result<Self> {
        let template = match template {
            Some(t) => Some(Template::parse(t).ok_or_else(|| {
                Error::config("issuerTemplate", "must contain `{tenantid}` exactly once")
            })?),
            None => None,
        };
        Ok(Self {
            issuer: metadata_issuer.to_string(),
            template,
            allowed_tenants: allowed_tenants.to_vec(),
            aliases: aliases.to_vec(),
        })
    }

    /// Whether no issuer is known (manual endpoints without an `issuer`): nothing to compare.
    pub(crate) fn is_empty(&self) -> bool {
        self.issuer.is_empty() && self.template.is_none() && self.aliases.is_empty()
    }

    /// What an `iss` must be, for error messages: the issuer, or the template.
    pub(crate) fn describe(&self) -> String {
        match &self.template {
            Some(t) => t.issuer_of(TENANT_PLACEHOLDER),
            None => self.issuer.clone(),
        }
    }

    fn is_alias(&self, iss: &str) -> bool {
        self.aliases.iter().any(|a| a == iss)
    }

    fn tenant_allowed(&self, tid: &str) -> bool {
        self.allowed_tenants.is_empty() || self.allowed_tenants.iter().any(|t| t == tid)
    }

    /// Checks an ID token's `iss` and `tid` claims. `Err` is the reason, without the token or
    /// any claim value but an allow-list miss's (charset-checked) tenant id.
    ///
    /// With a template: `tid` a string and a plausible tenant id, `iss` the template with that
    /// `tid`, `tid` allowed. Without: `iss` the issuer or an alias.
    pub(crate) fn check_id_token(
        &self,
        iss: &str,
        tid: Option<&serde_json::Value>,
    ) -> std::result::Result<(), String> {
        let Some(template) = &self.template else {
            if issuer_spellings(&self.issuer).iter().any(|s| s == iss) || self.is_alias(iss) {
                return Ok(());
            }
            return Err("wrong issuer".into());
        };
        let Some(tid) = tid.and_then(serde_json::Value::as_str) else {
            return Err("wrong issuer: no `tid` claim (required by `issuerTemplate`)".into());
        };
        if !is_tenant_id(tid) {
            return Err("wrong issuer: `tid` is not a tenant id".into());
        }
        if iss != template.issuer_of(tid) {
            return Err("wrong issuer: `iss` is not the template with the token's `tid`".into());
        }
        if !self.tenant_allowed(tid) {
            return Err(format!(
                "tenant not allowed: `{tid}` is not in `allowedTenants`"
            ));
        }
        Ok(())
    }

    /// Whether an RFC 9207 `iss` in the authorization response names this provider: the
    /// metadata issuer (what RFC 9207 §2 asks the provider to send), an alias, or the template
    /// with a plausible, allowed tenant id (the ID token then binds the tenant to its `tid`).
    pub(crate) fn accepts_response_iss(&self, iss: &str) -> bool {
        let is_issuer =
            !self.issuer.is_empty() && issuer_spellings(&self.issuer).iter().any(|s| s == iss);
        if is_issuer || self.is_alias(iss) {
            return true;
        }
        self.template
            .as_ref()
            .and_then(|t| t.tenant_in(iss))
            .is_some_and(|tid| self.tenant_allowed(tid))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "https://login.microsoftonline.com/common/v2.0";
    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TENANT_A: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const TENANT_B: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Entra's multi-tenant metadata: the template verbatim as its issuer.
    fn entra(allowed: &[&str]) -> IssuerPolicy {
        check_template(TEMPLATE, &ISSUER.parse().unwrap(), "t").unwrap();
        IssuerPolicy::new(TEMPLATE, Some(TEMPLATE), &strings(allowed), &[]).unwrap()
    }

    fn google() -> IssuerPolicy {
        let aliases = strings(&["accounts.google.com"]);
        IssuerPolicy::new("https://accounts.google.com", None, &[], &aliases).unwrap()
    }

    fn tenant_issuer(tid: &str) -> String {
        TEMPLATE.replace(TENANT_PLACEHOLDER, tid)
    }

    #[test]
    fn tenant_ids_are_a_strict_charset() {
        for ok in [TENANT_A, "contoso", "A-1", &"a".repeat(64)] {
            assert!(is_tenant_id(ok), "{ok}");
        }
        for bad in [
            "",
            "a/b",
            "..",
            ".",
            "a.b",
            "%2F",
            "a%2Fb",
            "a b",
            "a?b",
            "a#b",
            "a@b",
            "a:b",
            "a_b",
            "{tenantid}",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!is_tenant_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_template_accepts_the_tokens_tenant_and_only_it() {
        let any = entra(&[]);
        let tid = |t: &str| json!(t);
        any.check_id_token(&tenant_issuer(TENANT_A), Some(&tid(TENANT_A)))
            .unwrap();
        any.check_id_token(&tenant_issuer(TENANT_B), Some(&tid(TENANT_B)))
            .unwrap();
        // (iss, tid, the reason)
        let refused: Vec<(String, Option<serde_json::Value>, &str)> = vec![
            // `iss` of another tenant than `tid`.
            (
                tenant_issuer(TENANT_B),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            // No `tid`, or not a string.
            (tenant_issuer(TENANT_A), None, "no `tid`"),
            (tenant_issuer(TENANT_A), Some(json!(7)), "no `tid`"),
            (tenant_issuer(TENANT_A), Some(json!([TENANT_A])), "no `tid`"),
            // A `tid` that would change the URL's structure, each with the matching `iss`.
            (tenant_issuer("a/b"), Some(tid("a/b")), "not a tenant id"),
            (tenant_issuer(".."), Some(tid("..")), "not a tenant id"),
            (tenant_issuer("%2F"), Some(tid("%2F")), "not a tenant id"),
            (tenant_issuer(""), Some(tid("")), "not a tenant id"),
            // The tenant segment matches, other parts differ.
            (
                format!("https://login.microsoftonline.com/{TENANT_A}/v2.0/"),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            (
                format!("https://login.microsoftonline.com/{TENANT_A}/v1.0"),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            (
                format!("https://login.microsoftonline.com.evil.example/{TENANT_A}/v2.0"),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            (
                format!("https://sts.windows.net/{TENANT_A}/"),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            (
                format!("https://LOGIN.microsoftonline.com/{TENANT_A}/v2.0"),
                Some(tid(TENANT_A)),
                "with the token's `tid`",
            ),
            // The literal template, the configured issuer: not a tenant's issuer.
            (TEMPLATE.into(), Some(tid("{tenantid}")), "not a tenant id"),
            (ISSUER.into(), Some(tid(TENANT_A)), "with the token's `tid`"),
            (ISSUER.into(), None, "no `tid`"),
        ];
        for (iss, tid, reason) in &refused {
            let e = any.check_id_token(iss, tid.as_ref()).unwrap_err();
            assert!(
                e.contains("wrong issuer") && e.contains(reason),
                "{iss} {tid:?}: {e}"
            );
        }

        let only_a = entra(&[TENANT_A]);
        only_a
            .check_id_token(&tenant_issuer(TENANT_A), Some(&tid(TENANT_A)))
            .unwrap();
        let e = only_a
            .check_id_token(&tenant_issuer(TENANT_B), Some(&tid(TENANT_B)))
            .unwrap_err();
        assert!(e.starts_with("tenant not allowed"), "{e}");
        // Compared exactly: another case is another tenant id.
        let upper = TENANT_A.to_uppercase();
        let e = only_a
            .check_id_token(&tenant_issuer(&upper), Some(&tid(&upper)))
            .unwrap_err();
        assert!(e.starts_with("tenant not allowed"), "{e}");
    }

    #[test]
    fn aliases_are_exact_extra_values() {
        let g = google();
        for iss in [
            "https://accounts.google.com",
            "https://accounts.google.com/",
            "accounts.google.com",
        ] {
            g.check_id_token(iss, None).unwrap();
            assert!(g.accepts_response_iss(iss), "{iss}");
        }
        for iss in [
            "Accounts.google.com",
            "ACCOUNTS.GOOGLE.COM",
            "accounts.google.com/",
            "accounts.google.com ",
            "http://accounts.google.com",
            "accounts.google.co",
            "evil.example",
            "",
        ] {
            assert_eq!(
                g.check_id_token(iss, None).unwrap_err(),
                "wrong issuer",
                "{iss}"
            );
            assert!(!g.accepts_response_iss(iss), "{iss}");
        }
        // Not configured: no alias at all.
        let plain = IssuerPolicy::exact("https://accounts.google.com");
        assert!(plain.check_id_token("accounts.google.com", None).is_err());
        assert!(!plain.accepts_response_iss("accounts.google.com"));
        // Never for the metadata issuer.
        let configured: Url = "https://accounts.google.com".parse().unwrap();
        assert!(is_metadata_issuer(
            &configured,
            None,
            "https://accounts.google.com/"
        ));
        assert!(!is_metadata_issuer(
            &configured,
            None,
            "accounts.google.com"
        ));
    }

    #[test]
    fn without_relaxations_the_policy_is_issuer_spellings() {
        let p = IssuerPolicy::exact("https://idp");
        assert!(!p.is_empty());
        for iss in ["https://idp", "https://idp/"] {
            p.check_id_token(iss, None).unwrap();
            assert!(p.accepts_response_iss(iss));
        }
        for iss in [
            "https://idp/x",
            "https://IDP",
            "http://idp",
            "https://idp//",
        ] {
            assert!(p.check_id_token(iss, None).is_err(), "{iss}");
            assert!(!p.accepts_response_iss(iss), "{iss}");
        }
        // A `tid` changes nothing without a template.
        assert!(p.check_id_token("https://evil", Some(&json!("x"))).is_err());
        // No issuer known: nothing compared by the judge (it asks `is_empty`), nothing accepted.
        let none = IssuerPolicy::exact("");
        assert!(none.is_empty());
        assert!(!none.accepts_response_iss(""));
    }

    #[test]
    fn a_response_iss_under_a_template_names_a_plausible_allowed_tenant() {
        let any = entra(&[]);
        let only_a = entra(&[TENANT_A]);
        for p in [&any, &only_a] {
            assert!(p.accepts_response_iss(&tenant_issuer(TENANT_A)));
            // The metadata issuer itself (RFC 9207 §2's value).
            assert!(p.accepts_response_iss(TEMPLATE));
            for iss in [
                tenant_issuer("a/b"),
                tenant_issuer(".."),
                tenant_issuer("%2F"),
                tenant_issuer(""),
                format!("{}/", tenant_issuer(TENANT_A)),
                format!("https://evil.example/{TENANT_A}/v2.0"),
            ] {
                assert!(!p.accepts_response_iss(&iss), "{iss}");
            }
        }
        assert!(any.accepts_response_iss(&tenant_issuer(TENANT_B)));
        // `organizations` is a plausible tenant id: only an allow-list keeps it out (an ID
        // token then still needs a matching `tid`).
        assert!(any.accepts_response_iss(&tenant_issuer("organizations")));
        assert!(!only_a.accepts_response_iss(&tenant_issuer("organizations")));
        assert!(!only_a.accepts_response_iss(&tenant_issuer(TENANT_B)));
        assert_eq!(any.describe(), TEMPLATE);
    }

    #[test]
    fn discovery_accepts_the_issuer_or_the_template_verbatim() {
        let configured: Url = ISSUER.parse().unwrap();
        assert!(is_metadata_issuer(&configured, Some(TEMPLATE), ISSUER));
        assert!(is_metadata_issuer(&configured, Some(TEMPLATE), TEMPLATE));
        for found in [
            "https://login.microsoftonline.com/{tenantid}/v2.0/",
            "https://login.microsoftonline.com/{TENANTID}/v2.0",
            "https://login.microsoftonline.com/%7Btenantid%7D/v2.0",
            "https://evil.example/{tenantid}/v2.0",
            "https://login.microsoftonline.com/{tenantid}/v1.0",
            "https://sts.windows.net/{tenantid}/",
        ] {
            assert!(
                !is_metadata_issuer(&configured, Some(TEMPLATE), found),
                "{found}"
            );
        }
        // Without a template, the template is just another issuer.
        assert!(!is_metadata_issuer(&configured, None, TEMPLATE));
    }
}
