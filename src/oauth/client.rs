//! One provider's OAuth 2.0 client: authorization requests, code exchange, refresh, and ID
//! token validation, built on the `oauth2` crate.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::clock::Clock;
use super::discovery::ProviderMetadata;
use super::id_token::{IdTokenClaims, IdTokenVerifier};
use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::http::{HttpClient, ReadBody, Request, Transport};
use crate::secret::{AccessToken, AuthorizationCode, IdToken, Nonce, RefreshToken, State};

/// The longest access-token lifetime taken from a provider's `expires_in` (ten years).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Token and revocation responses bigger than this are refused, whatever their status (a
/// token response with a large ID token is a few tens of kilobytes).
const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// Token endpoint response extension carrying the OpenID Connect `id_token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    /// The ID token (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
}
impl ExtraTokenFields for IdTokenField {}

type ProviderTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type Oauth2Client = oauth2::Client<
    BasicErrorResponse,
    ProviderTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token, when one was issued (or rotated).
    pub refresh_token: Option<RefreshToken>,
    /// The ID token, when `openid` was requested.
    pub id_token: Option<IdToken>,
    /// When the access token expires, if the provider said (`expires_in`).
    pub expires_at: Option<SystemTime>,
    /// Granted scopes (the requested ones when the response does not list them, RFC 6749 §5.1).
    pub scopes: Vec<String>,
}

/// One prepared authorization request: the URL to open and what the response is checked
/// against. Single use. `Debug` leaves out the URL's query (`state`, `nonce`, the PKCE
/// challenge).
pub struct AuthorizationRequest {
    /// The URL to open in the system browser.
    pub url: Url,
    /// The redirect URI sent in the request (and again at the token endpoint).
    pub redirect_uri: Url,
    /// The `state` sent.
    pub state: State,
    /// The `nonce` sent (when `openid` is requested).
    pub nonce: Option<Nonce>,
    /// The PKCE verifier (oauth2's type: redacted `Debug`).
    pub(crate) pkce_verifier: PkceCodeVerifier,
}

impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.url.clone();
        shown.set_query(Some("[redacted]"));
        f.debug_struct("AuthorizationRequest")
            .field("url", &shown.as_str())
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &self.pkce_verifier)
            .finish()
    }
}

/// A transport failure or a server error status, as oauth2 sees it.
#[derive(Debug, thiserror::Error)]
enum TransportError {
    #[error("{0}")]
    Request(String),
    #[error("HTTP {0}")]
    Server(u16),
    /// The body is longer than [`MAX_TOKEN_RESPONSE_BYTES`] (not read further).
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// A configured, discovered provider.
#[derive(Debug)]
pub struct OAuthClient {
    config: ProviderConfig,
    metadata: ProviderMetadata,
    http: HttpClient,
    id_tokens: Option<IdTokenVerifier>,
    oauth: Oauth2Client,
    clock: Clock,
}

impl OAuthClient {
    /// Validates `config`, builds the HTTP client and resolves the provider metadata.
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    pub async fn discover(config: ProviderConfig) -> Result<Self> {
        Self::discover_with(config, None, Clock::system()).await
    }

    /// [`Self::discover`] with the session manager's seams: provider requests through
    /// `transport` when one is given (else reqwest), token lifetimes measured with `clock`.
    pub(crate) async fn discover_with(
        config: ProviderConfig,
        transport: Option<Arc<dyn Transport>>,
        clock: Clock,
    ) -> Result<Self> {
        config.validate_at("provider")?;
        // A provider on this machine is reached directly, never through a proxy.
        let local = config
            .issuer
            .as_ref()
            .or(config.endpoints.as_ref().and_then(|e| e.token.as_ref()))
            .is_some_and(crate::url_policy::is_loopback);
        let build = if local {
            HttpClient::new_direct
        } else {
            HttpClient::new
        };
        let mut http = build(
            Duration::from_secs(config.http_timeout_secs),
            &config.ca_certificate_pems("provider")?,
        )?;
        if let Some(transport) = transport {
            http = http.with_transport(transport);
        }
        let metadata = ProviderMetadata::resolve(&config, &http).await?;
        Self::assemble(config, metadata, http, clock)
    }

    /// Builds a client from already known metadata.
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    pub fn from_parts(
        config: ProviderConfig,
        metadata: ProviderMetadata,
        http: HttpClient,
    ) -> Result<Self> {
        Self::assemble(config, metadata, http, Clock::system())
    }

    fn assemble(
        config: ProviderConfig,
        metadata: ProviderMetadata,
        http: HttpClient,
        clock: Clock,
    ) -> Result<Self> {
        let id_tokens = match (&metadata.jwks_uri, config.is_openid()) {
            (Some(jwks), true) => Some(
                IdTokenVerifier::remote(
                    metadata.issuer.clone(),
                    config.client_id.clone(),
                    config.clock_skew(),
                    http.clone(),
                    jwks.clone(),
                )
                .with_clock(clock.clone()),
            ),
            (None, true) => {
                return Err(Error::DiscoveryFailed(
                    "the `openid` scope is requested but the provider has no jwks_uri".into(),
                ))
            }
            _ => None,
        };
        let mut oauth = oauth2::Client::new(oauth2::ClientId::new(config.client_id.clone()))
            .set_auth_uri(oauth2::AuthUrl::from_url(
                metadata.authorization_endpoint.clone(),
            ))
            .set_token_uri(oauth2::TokenUrl::from_url(metadata.token_endpoint.clone()))
            .set_introspection_url_option(
                metadata
                    .introspection_endpoint
                    .clone()
                    .map(oauth2::IntrospectionUrl::from_url),
            )
            .set_revocation_url_option(
                metadata
                    .revocation_endpoint
                    .clone()
                    .map(oauth2::RevocationUrl::from_url),
            );
        if let Some(secret) = &config.client_secret {
            oauth = oauth.set_client_secret(oauth2::ClientSecret::new(secret.secret().to_string()));
        }
        Ok(Self {
            config,
            metadata,
            http,
            id_tokens,
            oauth,
            clock,
        })
    }

    /// The provider configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The provider metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// The HTTP client used for this provider.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Prepares an authorization request: PKCE S256, fresh `state`, `nonce` when `openid` is
    /// requested, configured extra parameters overlaid with `extra`, and `prompt=consent` for
    /// `offline_access` (OpenID Connect Core §11) unless configured otherwise or a `prompt` is given.
    pub fn authorization_request(
        &self,
        redirect_uri: &Url,
        extra: &BTreeMap<String, String>,
    ) -> Result<AuthorizationRequest> {
        let mut params = self.config.extra_params.clone();
        for (k, v) in extra {
            params.insert(k.clone(), v.clone());
        }
        let mut probe = self.config.clone();
        probe.extra_params = params.clone();
        probe.validate_at("login")?;
        if self.config.offline_access_prompt_consent
            && self.config.scopes.iter().any(|s| s == "offline_access")
            && !params.contains_key("prompt")
        {
            params.insert("prompt".into(), "consent".into());
        }

        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = self
            .config
            .is_openid()
            .then(|| Nonce::new(CsrfToken::new_random().secret().clone()));
        let mut req = self
            .oauth
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(RedirectUrl::from_url(redirect_uri.clone())))
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new));
        if let Some(n) = &nonce {
            req = req.add_extra_param("nonce", n.secret().to_string());
        }
        for (k, v) in &params {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = req.url();
        Ok(AuthorizationRequest {
            url,
            redirect_uri: redirect_uri.clone(),
            state: State::new(state.secret().clone()),
            nonce,
            pkce_verifier: verifier,
        })
    }

    /// Exchanges an authorization code (with the request's PKCE verifier) for tokens, and
    /// validates the ID token when one is expected. Returns the tokens and the ID token claims.
    pub async fn exchange_code(
        &self,
        code: AuthorizationCode,
        request: AuthorizationRequest,
    ) -> Result<(TokenSet, Option<IdTokenClaims>)> {
        let response = self
            .oauth
            .exchange_code(oauth2::AuthorizationCode::new(code.secret().to_string()))
            .set_pkce_verifier(request.pkce_verifier)
            .set_redirect_uri(Cow::Owned(RedirectUrl::from_url(
                request.redirect_uri.clone(),
            )))
            .request_async(&transport(&self.http))
            .await
            .map_err(|e| map_token_error(e, Error::TokenExchangeFailed))?;
        let tokens = self.token_set(response)?;
        let claims = match (&self.id_tokens, &tokens.id_token) {
            (Some(v), Some(id)) => Some(
                v.verify(id.secret(), request.nonce.as_ref().map(Nonce::secret))
                    .await?,
            ),
            (Some(_), None) => {
                return Err(Error::IdTokenInvalid(
                    "the token response has no id_token although `openid` was requested".into(),
                ))
            }
            (None, _) => None,
        };
        Ok((tokens, claims))
    }

    /// Uses a refresh token (RFC 6749 §6). `invalid_grant` is `session_expired`; other
    /// refusals `refresh_failed`; transport errors and 5xx `network`.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenSet> {
        let rt = oauth2::RefreshToken::new(refresh_token.secret().to_string());
        let response = self
            .oauth
            .exchange_refresh_token(&rt)
            .request_async(&transport(&self.http))
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r)
                    if matches!(
                        r.error(),
                        oauth2::basic::BasicErrorResponseType::InvalidGrant
                    ) =>
                {
                    Error::SessionExpired(describe_refusal(&r))
                }
                other => map_token_error(other, Error::RefreshFailed),
            })?;
        self.token_set(response)
    }

    /// Revokes a token at the provider (RFC 7009, with `token_type_hint`). Fails with
    /// `unsupported` when the provider has no revocation endpoint.
    pub async fn revoke(&self, token: StandardRevocableToken) -> Result<()> {
        let request = self
            .oauth
            .revoke_token(token)
            .map_err(|e| Error::Unsupported(format!("token revocation: {e}")))?;
        request
            .request_async(&transport(&self.http))
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    Error::RefreshFailed(format!("revocation refused: {}", describe_refusal(&r)))
                }
                RequestTokenError::Request(t @ TransportError::TooLarge(_)) => {
                    Error::InvalidResponse(format!("revocation {t}"))
                }
                RequestTokenError::Request(t) => Error::Network(t.to_string()),
                RequestTokenError::Parse(p, _) => Error::InvalidResponse(format!(
                    "revocation response does not parse at `{}`",
                    p.path()
                )),
                RequestTokenError::Other(m) => Error::InvalidResponse(m),
            })
    }

    /// The RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0), when the provider
    /// has an `end_session_endpoint`. It carries the ID token as `id_token_hint`: open it in
    /// the browser, do not log it.
    pub fn end_session_url(&self, id_token_hint: Option<&IdToken>) -> Option<Url> {
        let mut url = self.metadata.end_session_endpoint.clone()?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.config.client_id);
            if let Some(id) = id_token_hint {
                q.append_pair("id_token_hint", id.secret());
            }
        }
        Some(url)
    }

    /// Validates an ID token of this provider (signature, claims, `nonce` when given).
    pub async fn verify_id_token(
        &self,
        token: &IdToken,
        nonce: Option<&str>,
    ) -> Result<IdTokenClaims> {
        match &self.id_tokens {
            Some(v) => v.verify(token.secret(), nonce).await,
            None => Err(Error::IdTokenInvalid(
                "this provider is not configured for OpenID Connect".into(),
            )),
        }
    }

    fn token_set(&self, r: ProviderTokenResponse) -> Result<TokenSet> {
        if !r.token_type().as_ref().eq_ignore_ascii_case("bearer") {
            return Err(Error::InvalidResponse(format!(
                "unsupported token_type `{}`",
                r.token_type().as_ref()
            )));
        }
        let scopes = match r.scopes() {
            Some(s) => s.iter().map(|s| s.to_string()).collect(),
            None => self.config.scopes.clone(),
        };
        Ok(TokenSet {
            access_token: AccessToken::new(r.access_token().secret().clone()),
            refresh_token: r
                .refresh_token()
                .map(|t| RefreshToken::new(t.secret().clone())),
            id_token: r.extra_fields().id_token.clone(),
            expires_at: {
                // No `expires_in`: a bounded lifetime (`defaultTokenLifetimeSecs`), never
                // "valid forever". One of 2^63 s or more would overflow the clock: clamped to
                // ten years, which every refresh policy treats as "long".
                let lifetime = r
                    .expires_in()
                    .unwrap_or(Duration::from_secs(self.config.default_token_lifetime_secs));
                let now = self.clock.now();
                Some(
                    now.checked_add(lifetime.min(MAX_TOKEN_LIFETIME))
                        .unwrap_or(now),
                )
            },
            scopes,
        })
    }
}

/// oauth2's HTTP hook: the client's transport (bodies of any status up to
/// [`MAX_TOKEN_RESPONSE_BYTES`]: oauth2 parses error responses too), with 5xx turned into a transport error so that "server is down" is never confused
/// with "server said no" (which would end a session).
type TransportFuture = std::pin::Pin<
    Box<dyn Future<Output = std::result::Result<oauth2::HttpResponse, TransportError>> + Send>,
>;

fn transport(http: &HttpClient) -> impl Fn(oauth2::HttpRequest) -> TransportFuture {
    let http = http.clone();
    move |request: oauth2::HttpRequest| {
        let http = http.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = Url::parse(&parts.uri.to_string())
                .map_err(|_| TransportError::Request("request failed".to_string()))?;
            let request = Request {
                method: parts.method,
                url,
                headers: parts.headers,
                body,
            };
            let response = http
                .send(request, ReadBody::UpTo(MAX_TOKEN_RESPONSE_BYTES))
                .await
                .map_err(|e| match e {
                    crate::http::TransportError::TooLarge(cap) => TransportError::TooLarge(cap),
                    other => TransportError::Request(other.to_string()),
                })?;
            if response.status().is_server_error() {
                return Err(TransportError::Server(response.status().as_u16()));
            }
            Ok(response)
        })
    }
}

/// `error (error_description)` of an RFC 6749 §5.2 error response.
fn describe_refusal<T: oauth2::ErrorResponseType + std::fmt::Display>(
    r: &oauth2::StandardErrorResponse<T>,
) -> String {
    match r.error_description() {
        Some(d) => format!("{} ({d})", r.error()),
        None => r.error().to_string(),
    }
}

/// Maps an oauth2 request error: server refusals through `refused`, transport to `network`,
/// parse errors to `invalid_response` naming only the JSON path (never the body: it may hold
/// a token).
fn map_token_error(
    e: RequestTokenError<TransportError, BasicErrorResponse>,
    refused: fn(String) -> Error,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => refused(describe_refusal(&r)),
        RequestTokenError::Request(t @ TransportError::TooLarge(_)) => {
            Error::InvalidResponse(format!("token endpoint {t}"))
        }
        RequestTokenError::Request(t) => Error::Network(t.to_string()),
        RequestTokenError::Parse(p, _body) => Error::InvalidResponse(format!(
            "token endpoint response does not parse at `{}`",
            p.path()
        )),
        RequestTokenError::Other(m) => Error::InvalidResponse(m),
    }
}

#[cfg(test)]
mod tests {
    use oauth2::{PkceCodeChallenge, PkceCodeVerifier};

    use super::*;

    #[test]
    fn debug_of_an_authorization_request_shows_no_state_nonce_or_challenge() {
        let issuer: Url = "https://idp.test".parse().unwrap();
        let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.test",
            "authorization_endpoint": "https://idp.test/authorize",
            "token_endpoint": "https://idp.test/token",
            "jwks_uri": "https://idp.test/jwks",
            "code_challenge_methods_supported": ["S256"],
        }))
        .unwrap();
        let config = ProviderConfig::new(issuer, "c").scopes(["openid"]);
        let http = HttpClient::new(Duration::from_secs(5), &[]).unwrap();
        let client = OAuthClient::from_parts(config, metadata, http).unwrap();
        let redirect: Url = "http://127.0.0.1:1234/callback".parse().unwrap();
        let request = client
            .authorization_request(&redirect, &BTreeMap::new())
            .unwrap();
        let shown = format!("{request:?}");
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        for name in ["state", "nonce", "code_challenge"] {
            let value = &query.iter().find(|(k, _)| k == name).expect(name).1;
            assert!(!shown.contains(value.as_str()), "{name} in {shown}");
        }
        assert!(shown.contains("https://idp.test/authorize"), "{shown}");
    }

    /// Serves `status` with `body` (as JSON) to every connection on 127.0.0.1, plain HTTP.
    async fn canned_server(status: u16, body: Vec<u8>) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(&body).await;
                });
            }
        });
        format!("http://127.0.0.1:{port}").parse().unwrap()
    }

    /// A token response bigger than the cap is refused as `invalid_response` (read up to the
    /// cap, never whole), whatever its status: a hostile or broken provider cannot make the app
    /// buffer an unbounded body. (Revocation goes through the same hook; oauth2 refuses a
    /// plain-http revocation endpoint, so this canned server cannot stand in for one.)
    #[tokio::test]
    async fn token_responses_beyond_the_cap_are_refused() {
        let pad = "x".repeat(MAX_TOKEN_RESPONSE_BYTES + 1);
        for (status, body) in [
            (
                200,
                serde_json::json!({"access_token": "at", "token_type": "bearer", "pad": pad}),
            ),
            (
                400,
                serde_json::json!({"error": "invalid_request", "pad": pad}),
            ),
        ] {
            let base = canned_server(status, body.to_string().into_bytes()).await;
            let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
                "issuer": base.as_str(),
                "authorization_endpoint": base.join("/authorize").unwrap(),
                "token_endpoint": base.join("/token").unwrap(),
                "revocation_endpoint": base.join("/revoke").unwrap(),
                "code_challenge_methods_supported": ["S256"],
            }))
            .unwrap();
            let config = ProviderConfig::new(base.clone(), "c").scopes(["api"]);
            let http = HttpClient::new(Duration::from_secs(5), &[]).unwrap();
            let client = OAuthClient::from_parts(config, metadata, http).unwrap();
            let e = client
                .refresh(&RefreshToken::new("rt".to_string()))
                .await
                .unwrap_err();
            assert_eq!(e.code(), "invalid_response", "HTTP {status}: {e}");
            assert!(e.to_string().contains("larger than"), "{e}");
        }
    }

    /// RFC 7636 Appendix B: the S256 challenge of the example verifier.
    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method().as_str(), "S256");
    }
}

#[cfg(test)]
#[path = "client_props.rs"]
mod props;
