//! The authorization response (RFC 6749 §4.1.2, RFC 9207): what it must carry, and the judgment
//! of its query, shared by the desktop loopback receiver and the mobile authentication session.

use crate::error::{Error, Result};
use crate::secret::{AuthorizationCode, State};
use crate::url_policy::issuer::IssuerPolicy;

/// What the authorization response must carry.
#[derive(Debug)]
pub struct Expectation {
    /// The `state` sent in the request.
    pub state: State,
    /// RFC 9207: the issuers the `iss` parameter may name, when the provider sends it.
    pub issuer: Option<IssuerPolicy>,
    /// Whether the response must carry `iss` (the provider advertises RFC 9207 support).
    pub issuer_required: bool,
}

impl Expectation {
    /// [`Self::for_policy`] for a provider whose metadata names `issuer` and that configures
    /// no issuer template or aliases.
    #[cfg(test)]
    pub fn for_provider(state: State, issuer: &str, advertised: bool) -> Self {
        Self::for_policy(state, IssuerPolicy::exact(issuer), advertised)
    }

    /// The expectation for a provider with the issuer `policy` (its metadata issuer, and the
    /// `issuerTemplate` or `issuerAliases` it configures) that says whether it sends `iss`
    /// (`authorization_response_iss_parameter_supported`). An `iss` in the response is
    /// compared whenever one arrives, advertised or not: the mix-up defense with several
    /// configured providers (RFC 9207 §2.4). No issuer known (manual endpoints, no issuer):
    /// nothing is compared.
    pub fn for_policy(state: State, policy: IssuerPolicy, advertised: bool) -> Self {
        let known = !policy.is_empty();
        Self {
            state,
            issuer: known.then_some(policy),
            issuer_required: advertised && known,
        }
    }
}

/// What a redirect's query is.
#[derive(Debug)]
pub(crate) enum Judged {
    /// Not this sign-in's authorization response (why, as a sentence for the user): the
    /// loopback receiver keeps waiting; a native session, which has one answer only, fails.
    NotThisSignIn(&'static str),
    /// This sign-in's response: the code, or why there is none.
    Complete(Result<AuthorizationCode>),
}

/// Judges the query of a redirect to the redirect URI: duplicated parameters, a missing or
/// foreign `state` ⇒ [`Judged::NotThisSignIn`]; with this sign-in's `state`: the RFC 9207
/// `iss` check, then the provider's `error`, then the `code`.
pub(crate) fn judge_query(query: &str, expect: &Expectation) -> Judged {
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut iss = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        if slot.is_some() {
            // RFC 6749 §3.1: parameters MUST NOT be included more than once.
            return Judged::NotThisSignIn("Duplicate parameters.");
        }
        *slot = Some(v.into_owned());
    }
    let Some(state) = state else {
        return Judged::NotThisSignIn("Missing state.");
    };
    if !expect.state.matches(&state) {
        return Judged::NotThisSignIn("This is not the response to the current sign-in.");
    }
    // From here the request carries this sign-in's state: it is the authorization response.
    if let Some(expected) = &expect.issuer {
        let wrong = match iss.as_deref() {
            Some(found) => !expected.accepts_response_iss(found),
            None => expect.issuer_required,
        };
        if wrong {
            return Judged::Complete(Err(Error::IssuerMismatch {
                expected: expected.describe(),
                found: iss.unwrap_or_else(|| "(missing iss parameter)".into()),
            }));
        }
    }
    if let Some(error) = error {
        let err = if error == "access_denied" {
            Error::AuthorizationDenied { error, description }
        } else {
            Error::AuthorizationFailed { error, description }
        };
        return Judged::Complete(Err(err));
    }
    match code {
        Some(c) if !c.is_empty() => Judged::Complete(Ok(AuthorizationCode::new(c))),
        _ => Judged::Complete(Err(Error::InvalidAuthorizationResponse(
            "neither `code` nor `error` in the response".into(),
        ))),
    }
}
