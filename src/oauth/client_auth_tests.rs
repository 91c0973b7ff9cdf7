//! Client authentication (`tokenEndpointAuthMethod`, the `client_credentials` hook) and the
//! revocation styles, seen in the requests the client sends to a recording provider.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use oauth2::http::header::{AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use super::*;
use crate::config::{ClientCredential, RevocationStyle, TokenEndpointAuthMethod};
use crate::http::{TransportError as HttpTransportError, TransportFuture};
use crate::secret::ClientSecret;

/// One request as the provider saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    url: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Seen {
    fn form(&self) -> BTreeMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// `(user, password)` of an HTTP Basic `Authorization`, URL-decoded as RFC 6749 §2.3.1
    /// encodes them.
    fn basic(&self) -> Option<(String, String)> {
        let b64 = self.authorization.as_deref()?.strip_prefix("Basic ")?;
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (u, p) = raw.split_once(':')?;
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Some((dec(u), dec(p)))
    }
}

/// Records every request and answers each with `status` and `body`.
#[derive(Debug)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    status: u16,
    body: &'static str,
}

impl Recorder {
    fn answering(status: u16, body: &'static str) -> Arc<Self> {
        Arc::new(Self {
            seen: Mutex::new(Vec::new()),
            status,
            body,
        })
    }

    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Transport for Recorder {
    fn send(&self, request: Request, _read: ReadBody) -> TransportFuture<'_> {
        let header = |name| {
            request
                .headers
                .get(name)
                .and_then(|v: &oauth2::http::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        self.seen.lock().unwrap().push(Seen {
            method: request.method.to_string(),
            url: request.url.to_string(),
            authorization: header(AUTHORIZATION),
            content_type: header(CONTENT_TYPE),
            body: request.body.clone(),
        });
        let response = oauth2::http::Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, "application/json")
            .body(self.body.as_bytes().to_vec())
            .map_err(|e| HttpTransportError::Failed(e.to_string()));
        Box::pin(std::future::ready(response))
    }
}

const TOKENS: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":60}"#;

fn metadata(methods: Option<&[&str]>, revocation: Option<&str>) -> ProviderMetadata {
    let mut m = serde_json::json!({
        "issuer": "https://idp.test",
        "authorization_endpoint": "https://idp.test/authorize",
        "token_endpoint": "https://idp.test/token",
        "code_challenge_methods_supported": ["S256"],
    });
    if let Some(methods) = methods {
        m["token_endpoint_auth_methods_supported"] = serde_json::json!(methods);
    }
    if let Some(r) = revocation {
        m["revocation_endpoint"] = serde_json::json!(r);
    }
    serde_json::from_value(m).unwrap()
}

fn client(
    config: ProviderConfig,
    metadata: ProviderMetadata,
    status: u16,
    body: &'static str,
) -> (OAuthClient, Arc<Recorder>) {
    let recorder = Recorder::answering(status, body);
    let http = HttpClient::new(Duration::from_secs(5), &[])
        .unwrap()
        .with_transport(recorder.clone());
    let client = OAuthClient::assemble(config, metadata, http, Clock::system()).unwrap();
    (client, recorder)
}

fn config() -> ProviderConfig {
    ProviderConfig::new("https://idp.test".parse().unwrap(), "my client").scopes(["api"])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Refresh and code exchange: what each request carries.
fn both_requests(client: &OAuthClient, recorder: &Recorder) -> [Seen; 2] {
    let rt = runtime();
    rt.block_on(client.refresh(&RefreshToken::new("rt"), None))
        .unwrap();
    let refresh = recorder.last();
    let redirect: Url = "http://127.0.0.1:1/callback".parse().unwrap();
    let request = client
        .authorization_request(&redirect, &BTreeMap::new())
        .unwrap();
    rt.block_on(client.exchange_code(AuthorizationCode::new("code"), request, None))
        .unwrap();
    [refresh, recorder.last()]
}

/// Unset, the method follows the secret and the metadata: none without a secret, Basic by
/// default, the body when the provider lists only `client_secret_post`.
#[test]
fn the_method_follows_the_secret_and_the_metadata_when_unset() {
    use TokenEndpointAuthMethod as M;
    let secret = || config().client_secret("s3cr&t");
    for (config, methods, want) in [
        (config(), None, M::None),
        (config(), Some(&["client_secret_post"][..]), M::None),
        (secret(), None, M::ClientSecretBasic),
        (
            secret(),
            Some(&["client_secret_basic", "client_secret_post"][..]),
            M::ClientSecretBasic,
        ),
        (
            secret(),
            Some(&["client_secret_post"][..]),
            M::ClientSecretPost,
        ),
        (
            secret(),
            Some(&["private_key_jwt", "client_secret_post", "none"][..]),
            M::ClientSecretPost,
        ),
        (
            secret(),
            Some(&["private_key_jwt"][..]),
            M::ClientSecretBasic,
        ),
        (
            secret().token_endpoint_auth_method(M::ClientSecretBasic),
            Some(&["client_secret_post"][..]),
            M::ClientSecretBasic,
        ),
    ] {
        let (c, _) = client(config, metadata(methods, None), 200, TOKENS);
        assert_eq!(c.auth_method(), want, "{methods:?}");
    }
}

#[test]
fn client_secret_basic_sends_the_credentials_in_the_header_only() {
    let (c, rec) = client(
        config().client_secret("s3cr&t"),
        metadata(None, None),
        200,
        TOKENS,
    );
    for seen in both_requests(&c, &rec) {
        assert_eq!(
            seen.basic(),
            Some(("my client".into(), "s3cr&t".into())),
            "{seen:?}"
        );
        let form = seen.form();
        assert!(!form.contains_key("client_secret"), "{form:?}");
        assert!(!form.contains_key("client_assertion"), "{form:?}");
    }
}

#[test]
fn client_secret_post_sends_id_and_secret_in_the_body_and_no_header() {
    let (c, rec) = client(
        config()
            .client_secret("s3cr&t")
            .token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretPost),
        metadata(None, None),
        200,
        TOKENS,
    );
    for seen in both_requests(&c, &rec) {
        assert_eq!(seen.authorization, None, "{seen:?}");
        let form = seen.form();
        assert_eq!(form.get("client_id").map(String::as_str), Some("my client"));
        assert_eq!(
            form.get("client_secret").map(String::as_str),
            Some("s3cr&t")
        );
    }
}

#[test]
fn a_public_client_sends_its_id_and_nothing_else() {
    let (c, rec) = client(config(), metadata(None, None), 200, TOKENS);
    for seen in both_requests(&c, &rec) {
        assert_eq!(seen.authorization, None, "{seen:?}");
        let form = seen.form();
        assert_eq!(form.get("client_id").map(String::as_str), Some("my client"));
        assert!(!form.contains_key("client_secret"), "{form:?}");
    }
}

/// The hook runs for every request (a fresh Apple-style secret each time) and is told the
/// endpoint; what it returns is sent as the method says.
#[test]
fn the_credentials_hook_runs_per_request_and_its_secret_is_sent() {
    let calls = Arc::new(AtomicUsize::new(0));
    let endpoints = Arc::new(Mutex::new(Vec::new()));
    let (c2, e2) = (calls.clone(), endpoints.clone());
    let config = config()
        .token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretPost)
        .client_credentials(move |ctx| {
            let n = c2.fetch_add(1, Ordering::SeqCst) + 1;
            e2.lock()
                .unwrap()
                .push((ctx.endpoint.to_string(), ctx.issuer.to_string()));
            Ok(ClientCredential::Secret(ClientSecret::new(format!(
                "jwt-{n}"
            ))))
        });
    let (c, rec) = client(config, metadata(None, None), 200, TOKENS);
    let [refresh, exchange] = both_requests(&c, &rec);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(refresh.form()["client_secret"], "jwt-1");
    assert_eq!(exchange.form()["client_secret"], "jwt-2");
    assert_eq!(
        endpoints.lock().unwrap()[0],
        ("https://idp.test/token".into(), "https://idp.test".into())
    );
}

/// A client assertion goes in the body (RFC 7523 §2.2) with `client_id`, never with a secret
/// or a Basic header.
#[test]
fn a_client_assertion_is_sent_in_the_body() {
    let config = config()
        .token_endpoint_auth_method(TokenEndpointAuthMethod::PrivateKeyJwt)
        .client_credentials(|_| Ok(ClientCredential::Assertion(ClientSecret::new("a.b.c"))));
    let (c, rec) = client(config, metadata(None, None), 200, TOKENS);
    assert_eq!(c.auth_method(), TokenEndpointAuthMethod::PrivateKeyJwt);
    for seen in both_requests(&c, &rec) {
        assert_eq!(seen.authorization, None, "{seen:?}");
        let form = seen.form();
        assert_eq!(
            form.get("client_assertion_type").map(String::as_str),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(
            form.get("client_assertion").map(String::as_str),
            Some("a.b.c")
        );
        assert_eq!(form.get("client_id").map(String::as_str), Some("my client"));
        assert!(!form.contains_key("client_secret"), "{form:?}");
    }
}

/// A hook that fails fails the request with its error, before anything is sent; a hook that
/// gives `private_key_jwt` a secret is a configuration error, and the secret is not sent.
#[test]
fn a_failing_or_mismatched_hook_sends_nothing() {
    let rt = runtime();
    let failing =
        config().client_credentials(|_| Err(Error::config("provider.clientCredentials", "no key")));
    let (c, rec) = client(failing, metadata(None, None), 200, TOKENS);
    let e = rt
        .block_on(c.refresh(&RefreshToken::new("rt"), None))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_config", "{e}");
    let mismatched = config()
        .token_endpoint_auth_method(TokenEndpointAuthMethod::PrivateKeyJwt)
        .client_credentials(|_| Ok(ClientCredential::Secret(ClientSecret::new("plain"))));
    let (c2, rec2) = client(mismatched, metadata(None, None), 200, TOKENS);
    let e = rt
        .block_on(c2.refresh(&RefreshToken::new("rt"), None))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_config", "{e}");
    assert!(!e.to_string().contains("plain"), "{e}");
    assert_eq!(rec.count() + rec2.count(), 0);
}

/// Bad combinations are configuration errors naming the field.
#[test]
fn bad_auth_settings_name_the_field() {
    use TokenEndpointAuthMethod as M;
    let field = |c: ProviderConfig| match c.validate() {
        Err(Error::InvalidConfig { field, .. }) => field,
        other => panic!("expected invalid_config, got {other:?}"),
    };
    assert_eq!(
        field(
            config()
                .client_secret("s")
                .token_endpoint_auth_method(M::None)
        ),
        "provider.tokenEndpointAuthMethod"
    );
    assert_eq!(
        field(config().token_endpoint_auth_method(M::ClientSecretPost)),
        "provider.clientSecret"
    );
    assert_eq!(
        field(config().token_endpoint_auth_method(M::ClientSecretBasic)),
        "provider.clientSecret"
    );
    assert_eq!(
        field(config().token_endpoint_auth_method(M::PrivateKeyJwt)),
        "provider.tokenEndpointAuthMethod"
    );
    assert_eq!(
        field(
            config()
                .client_secret("s")
                .revocation_style(RevocationStyle::Github)
        ),
        "provider.endpoints.revocation"
    );
    assert_eq!(
        field(config().revocation_style(RevocationStyle::Github)),
        "provider.clientSecret"
    );
    let json = |m: &str| {
        serde_json::from_str::<crate::config::Config>(&format!(
            r#"{{"providers":{{"p":{{"issuer":"https://x","clientId":"c","tokenEndpointAuthMethod":"{m}"}}}}}}"#
        ))
        .map_err(|e| e.to_string())
    };
    assert!(json("none").is_ok());
    let e = json("client_secret_jwt").unwrap_err();
    assert!(e.contains("client_secret_post"), "{e}");
}

/// RFC 7009 revocation authenticates like the token endpoint.
#[test]
fn rfc7009_revocation_authenticates_as_configured() {
    let rt = runtime();
    let (c, rec) = client(
        config()
            .client_secret("s3cr&t")
            .token_endpoint_auth_method(TokenEndpointAuthMethod::ClientSecretPost),
        metadata(None, Some("https://idp.test/revoke")),
        200,
        "",
    );
    assert_eq!(c.revocation_skipped(), None);
    rt.block_on(c.revoke_refresh_token(&RefreshToken::new("rt-x"), None))
        .unwrap();
    let seen = rec.last();
    assert_eq!(
        (seen.method.as_str(), seen.url.as_str()),
        ("POST", "https://idp.test/revoke")
    );
    let form = seen.form();
    assert_eq!(form["token"], "rt-x");
    assert_eq!(form["token_type_hint"], "refresh_token");
    assert_eq!(form["client_secret"], "s3cr&t");
    assert_eq!(seen.authorization, None);
}

/// GitHub's style: `DELETE` at the configured endpoint, HTTP Basic with the client
/// credentials, the access token in a JSON body; refresh tokens are not sent; a refusal is an
/// error, a 5xx a network error.
#[test]
fn github_revocation_deletes_the_access_token_with_basic_credentials() {
    let rt = runtime();
    let github = |status| {
        client(
            config()
                .client_secret("gh-secret")
                .revocation_style(RevocationStyle::Github)
                .endpoints(
                    crate::config::Endpoints::overrides().revocation(
                        "https://api.idp.test/applications/my-client/token"
                            .parse()
                            .unwrap(),
                    ),
                ),
            // the override lands in the metadata as discovery's resolve puts it
            metadata(
                None,
                Some("https://api.idp.test/applications/my-client/token"),
            ),
            status,
            "",
        )
    };
    let (c, rec) = github(204);
    assert_eq!(c.revocation_skipped(), None);
    assert!(!c.revokes_refresh_tokens());
    rt.block_on(c.revoke_access_token(&AccessToken::new("gho_abc"), None))
        .unwrap();
    let seen = rec.last();
    assert_eq!(
        (seen.method.as_str(), seen.url.as_str()),
        (
            "DELETE",
            "https://api.idp.test/applications/my-client/token"
        )
    );
    assert_eq!(seen.basic(), Some(("my client".into(), "gh-secret".into())));
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body, serde_json::json!({"access_token": "gho_abc"}));
    let e = rt
        .block_on(c.revoke_refresh_token(&RefreshToken::new("rt"), None))
        .unwrap_err();
    assert_eq!(e.code(), "unsupported");
    assert_eq!(rec.count(), 1, "no request for a refresh token");

    let (c, _) = github(422);
    let e = rt
        .block_on(c.revoke_access_token(&AccessToken::new("gho_abc"), None))
        .unwrap_err();
    assert_eq!(e.code(), "refresh_failed", "{e}");
    assert!(!e.to_string().contains("gho_abc"), "{e}");
    let (c, _) = github(503);
    let e = rt
        .block_on(c.revoke_access_token(&AccessToken::new("gho_abc"), None))
        .unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
}

/// No revocation endpoint, or style `none`: nothing is sent, and the reason is given.
#[test]
fn without_revocation_nothing_is_sent_and_the_reason_is_given() {
    let rt = runtime();
    for (config, endpoint) in [
        (config(), None),
        (
            config().revocation_style(RevocationStyle::None),
            Some("https://idp.test/revoke"),
        ),
    ] {
        let (c, rec) = client(config, metadata(None, endpoint), 200, "");
        let reason = c.revocation_skipped().expect("a reason");
        assert!(reason.contains("revocation"), "{reason}");
        let e = rt
            .block_on(c.revoke_access_token(&AccessToken::new("at"), None))
            .unwrap_err();
        assert_eq!(e.code(), "unsupported");
        let e = rt
            .block_on(c.revoke_refresh_token(&RefreshToken::new("rt"), None))
            .unwrap_err();
        assert_eq!(e.code(), "unsupported");
        assert_eq!(rec.count(), 0);
    }
}
