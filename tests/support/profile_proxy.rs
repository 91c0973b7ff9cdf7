//! Provider profiles: the real test provider reshaped, by the [`Rewrite`] hook of the TLS proxy
//! in `tests/support/fault_proxy.rs`, into the shape of a real provider's quirks (issue 9's
//! provider-profile suite, `tests/provider_profiles.rs`). Each profile is what the plugin sees
//! of that provider, not a copy of it: paths, claims and codes are the test provider's own
//! wherever the quirk does not need them changed.
//!
//! | profile | what the proxy (and the provider's start-up environment) changes |
//! |---|---|
//! | [`Entra`] | provider issuer `<proxy>/<tenant>/v2.0` with a `tid` claim; `/common/v2.0/.well-known/openid-configuration` is the tenant's metadata with issuer `<proxy>/{tenantid}/v2.0`; no `revocation_endpoint`; RFC 9207 `iss` stripped from redirects, `authorization_response_iss_parameter_supported: false`; `expires_in` a string |
//! | [`GitHub`] | no discovery (404); `/login/oauth/authorize` and `/login/oauth/access_token` (client credentials in the form only: Basic is refused, `incorrect_client_credentials`); token errors with HTTP 200; form-encoded answers unless `Accept` asks for JSON; no `expires_in`, comma-separated scopes, `token_type` `bearer`; `DELETE /applications/<client_id>/token` (Basic client credentials, JSON `{"access_token"}`) is the provider's RFC 7009 revocation, 204 |
//! | [`Dex`] | a refused refresh (`invalid_grant`) is answered `invalid_request`, Dex's wording; no `revocation_endpoint` |
//! | [`Google`] | provider issuer `<proxy>/alias` (what ID tokens carry), metadata and redirect `iss` say `<proxy>` |
//! | [`Cognito`] | endpoints under `/oauth2/` (authorize, token, userInfo); no `revocation_endpoint` or `end_session_endpoint` in the metadata, though `/oauth2/revoke` and `/logout` exist |
#![allow(dead_code)]

use serde_json::{Map, Value};

use crate::fault_proxy::{Exchange, Reply, Rewrite};

const DISCOVERY: &str = "/.well-known/openid-configuration";

fn is_discovery(r: &Exchange) -> bool {
    r.received_path.ends_with(DISCOVERY)
}

/// The JSON object of a reply, if it is one.
fn json_object(reply: &Reply) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&reply.body) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

fn set_json(reply: &mut Reply, object: Map<String, Value>) {
    reply.body = Value::Object(object).to_string().into_bytes();
    reply
        .headers
        .insert("content-type", "application/json".parse().unwrap());
}

/// Changes the JSON object of a reply in place (no-op for anything else).
fn edit_json(reply: &mut Reply, edit: impl FnOnce(&mut Map<String, Value>)) {
    if let Some(mut o) = json_object(reply) {
        edit(&mut o);
        set_json(reply, o);
    }
}

/// The form fields of a request body.
fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Rewrites the query of a redirect's `Location` (the authorization response) with `edit`.
fn edit_location_query(reply: &mut Reply, edit: impl Fn(&mut Vec<(String, String)>)) {
    let Some(location) = reply.headers.get("location").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Ok(mut url) = url::Url::parse(location) else {
        return;
    };
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    edit(&mut pairs);
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    reply
        .headers
        .insert("location", url.as_str().parse().unwrap());
}

/// Moves `target`'s path to `to`, keeping its query.
fn retarget(r: &mut Exchange, to: &str) {
    let query = r.target.split_once('?').map(|(_, q)| q.to_string());
    r.target = match query {
        Some(q) => format!("{to}?{q}"),
        None => to.to_string(),
    };
}

/// Microsoft Entra ID, multi-tenant (`/common`): the provider runs as one tenant
/// (`IDP_ISSUER = <proxy>/<tenant>/v2.0`, `IDP_TENANT_ID = <tenant>`).
pub struct Entra {
    pub origin: String,
    pub tenant: String,
}

impl Entra {
    /// The provider's start-up environment.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "IDP_ISSUER".into(),
                format!("{}/{}/v2.0", self.origin, self.tenant),
            ),
            ("IDP_TENANT_ID".into(), self.tenant.clone()),
        ]
    }

    /// The issuer `/common` metadata names, verbatim.
    pub fn template(&self) -> String {
        format!("{}/{{tenantid}}/v2.0", self.origin)
    }
}

impl Rewrite for Entra {
    fn request(&self, r: &mut Exchange) -> Option<Reply> {
        if r.received_path == format!("/common/v2.0{DISCOVERY}") {
            retarget(r, &format!("/{}/v2.0{DISCOVERY}", self.tenant));
        }
        None
    }

    fn response(&self, r: &Exchange, reply: &mut Reply) {
        if is_discovery(r) {
            let common = r.received_path.starts_with("/common/");
            let template = self.template();
            edit_json(reply, |m| {
                if common {
                    m.insert("issuer".into(), template.into());
                }
                m.remove("revocation_endpoint");
                m.insert(
                    "authorization_response_iss_parameter_supported".into(),
                    false.into(),
                );
            });
        }
        // Entra sends no RFC 9207 `iss` with the authorization response.
        edit_location_query(reply, |q| q.retain(|(k, _)| k != "iss"));
        if r.received_path == format!("/{}/v2.0/token", self.tenant) {
            edit_json(reply, |m| {
                if let Some(n) = m.get("expires_in").and_then(Value::as_u64) {
                    m.insert("expires_in".into(), n.to_string().into());
                }
            });
        }
    }
}

/// GitHub OAuth apps: OAuth 2.0 only, no discovery, confidential client. Clones share the
/// counts of token-endpoint answers given as JSON and as a form.
#[derive(Clone, Default)]
pub struct GitHub {
    pub json_answers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub form_answers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl GitHub {
    pub const AUTHORIZE: &'static str = "/login/oauth/authorize";
    pub const TOKEN: &'static str = "/login/oauth/access_token";

    /// `DELETE /applications/<client_id>/token`.
    pub fn revocation(client_id: &str) -> String {
        format!("/applications/{client_id}/token")
    }
}

impl Rewrite for GitHub {
    fn request(&self, r: &mut Exchange) -> Option<Reply> {
        use base64::Engine;
        let path = r.received_path.clone();
        if is_discovery(r) {
            return Some(Reply::json(
                404,
                &serde_json::json!({"message": "Not Found"}),
            ));
        }
        if path == Self::AUTHORIZE {
            retarget(r, "/auth");
        } else if path == Self::TOKEN {
            // This app's client authenticates in the form only (client_secret_post):
            // oidc-provider would take Basic too, so the profile refuses it here.
            if r.header("authorization").is_some() {
                let refusal = serde_json::json!({
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                });
                return Some(Reply::json(200, &refusal));
            }
            retarget(r, "/token");
        } else if let Some(client) = path
            .strip_prefix("/applications/")
            .and_then(|p| p.strip_suffix("/token"))
        {
            // GitHub's "delete an app token": HTTP Basic client credentials, the token in a JSON
            // body. The provider's RFC 7009 revocation, with the credentials in the form
            // (the client is registered for client_secret_post).
            let not_found = Reply::json(404, &serde_json::json!({"message": "Not Found"}));
            if r.method != hyper::Method::DELETE {
                return Some(not_found);
            }
            let basic = r
                .header("authorization")
                .and_then(|a| a.strip_prefix("Basic "))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok());
            let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
                return Some(not_found);
            };
            if id != client {
                return Some(not_found);
            }
            let token = serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v["access_token"].as_str().map(str::to_string));
            let Some(token) = token else {
                return Some(Reply::json(
                    422,
                    &serde_json::json!({"message": "Invalid request."}),
                ));
            };
            r.method = hyper::Method::POST;
            r.target = "/token/revocation".into();
            r.headers.remove("authorization");
            r.headers.insert(
                "content-type",
                "application/x-www-form-urlencoded".parse().unwrap(),
            );
            r.body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", &token)
                .append_pair("token_type_hint", "access_token")
                .append_pair("client_id", id)
                .append_pair("client_secret", secret)
                .finish()
                .into_bytes();
        }
        None
    }

    fn response(&self, r: &Exchange, reply: &mut Reply) {
        let path = r.received_path.as_str();
        if path == Self::TOKEN {
            let Some(mut m) = json_object(reply) else {
                return;
            };
            // GitHub answers errors with HTTP 200 too.
            reply.status = 200;
            m.remove("expires_in");
            if let Some(t) = m.get_mut("token_type") {
                *t = "bearer".into();
            }
            if let Some(scope) = m.get("scope").and_then(Value::as_str) {
                let commas = scope.split(' ').collect::<Vec<_>>().join(",");
                m.insert("scope".into(), commas.into());
            }
            let wants_json = r
                .header("accept")
                .is_some_and(|a| a.contains("application/json"));
            let counter = match wants_json {
                true => &self.json_answers,
                false => &self.form_answers,
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if wants_json {
                set_json(reply, m);
            } else {
                let mut f = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in &m {
                    match v {
                        Value::String(s) => f.append_pair(k, s),
                        other => f.append_pair(k, &other.to_string()),
                    };
                }
                reply.body = f.finish().into_bytes();
                reply.headers.insert(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8"
                        .parse()
                        .unwrap(),
                );
            }
        } else if path.starts_with("/applications/") && reply.status == 200 {
            reply.status = 204;
            reply.body.clear();
        }
    }
}

/// Dex: a dead refresh token is `invalid_request`; no revocation.
pub struct Dex;

impl Rewrite for Dex {
    fn response(&self, r: &Exchange, reply: &mut Reply) {
        if is_discovery(r) {
            edit_json(reply, |m| {
                m.remove("revocation_endpoint");
            });
        }
        let refresh = r.received_path == "/token"
            && form_field(&r.body, "grant_type").as_deref() == Some("refresh_token");
        if refresh {
            edit_json(reply, |m| {
                if m.get("error").and_then(Value::as_str) == Some("invalid_grant") {
                    m.insert("error".into(), "invalid_request".into());
                    m.insert(
                        "error_description".into(),
                        "Refresh token is invalid or has already been claimed by another client."
                            .into(),
                    );
                }
            });
        }
    }
}

/// Google: ID tokens carry an alias of the issuer the metadata names. Google's real alias is
/// `accounts.google.com`, without a scheme, beside `https://accounts.google.com`; oidc-provider
/// only issues a URL as its issuer, so the alias here is `<proxy>/alias` (the provider's real
/// issuer, `IDP_ISSUER`), and the metadata and the redirect's `iss` name `<proxy>`.
pub struct Google {
    pub origin: String,
}

impl Google {
    pub fn alias(&self) -> String {
        format!("{}/alias", self.origin)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![("IDP_ISSUER".into(), self.alias())]
    }
}

impl Rewrite for Google {
    fn response(&self, r: &Exchange, reply: &mut Reply) {
        if is_discovery(r) {
            let origin = self.origin.clone();
            edit_json(reply, |m| {
                m.insert("issuer".into(), origin.into());
            });
        }
        let (alias, origin) = (self.alias(), self.origin.clone());
        edit_location_query(reply, |q| {
            for (k, v) in q.iter_mut() {
                if k == "iss" && *v == alias {
                    *v = origin.clone();
                }
            }
        });
    }
}

/// Amazon Cognito: endpoints under `/oauth2/`, revocation and logout outside the metadata.
pub struct Cognito {
    pub origin: String,
}

impl Cognito {
    pub const REVOKE: &'static str = "/oauth2/revoke";
    pub const LOGOUT: &'static str = "/logout";
}

impl Rewrite for Cognito {
    fn request(&self, r: &mut Exchange) -> Option<Reply> {
        let to = match r.received_path.as_str() {
            "/oauth2/authorize" => "/auth",
            "/oauth2/token" => "/token",
            "/oauth2/userInfo" => "/me",
            Self::REVOKE => "/token/revocation",
            Self::LOGOUT => "/session/end",
            _ => return None,
        };
        retarget(r, to);
        None
    }

    fn response(&self, r: &Exchange, reply: &mut Reply) {
        if is_discovery(r) {
            let o = self.origin.clone();
            edit_json(reply, |m| {
                m.remove("revocation_endpoint");
                m.remove("end_session_endpoint");
                m.insert(
                    "authorization_endpoint".into(),
                    format!("{o}/oauth2/authorize").into(),
                );
                m.insert("token_endpoint".into(), format!("{o}/oauth2/token").into());
                m.insert(
                    "userinfo_endpoint".into(),
                    format!("{o}/oauth2/userInfo").into(),
                );
            });
        }
    }
}
