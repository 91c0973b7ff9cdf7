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
    CsrfToken, EndpointMaybeSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::clock::Clock;
use super::discovery::ProviderMetadata;
use super::disk_cache::DiskCache;
use super::dpop::{self, DpopBinding, DpopKey, DpopNonces, DPOP_HEADER};
use super::id_token::{IdTokenClaims, IdTokenVerifier};
use crate::config::{
    ClientAuthContext, ClientCredential, DpopAlg, DpopMode, ParMode, ProviderConfig,
    RevocationStyle, TokenEndpointAuthMethod,
};
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
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// A device authorization (RFC 8628 §3.2) in progress: what to show the user, and what to poll
/// with. `Debug` shows neither code.
pub struct DeviceAuthorization {
    response: oauth2::StandardDeviceAuthorizationResponse,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("verification_uri", &self.verification_uri())
            .field("expires_in", &self.expires_in())
            .finish_non_exhaustive()
    }
}

impl DeviceAuthorization {
    /// The code the user enters at the verification URI (shown to the user; never logged).
    pub fn user_code(&self) -> &str {
        self.response.user_code().secret()
    }

    /// Where the user goes to enter the code.
    pub fn verification_uri(&self) -> &str {
        self.response.verification_uri().as_str()
    }

    /// The verification URI with the user code in it (for a QR code), when the provider gives one.
    pub fn verification_uri_complete(&self) -> Option<&str> {
        self.response
            .verification_uri_complete()
            .map(|u| u.secret().as_str())
    }

    /// How long the codes are valid.
    pub fn expires_in(&self) -> Duration {
        self.response.expires_in()
    }
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token, when one was issued (or rotated).
    pub refresh_token: Option<RefreshToken>,
    /// The ID token, when `openid` was requested.
    pub id_token: Option<IdToken>,
    /// When the access token expires: from `expires_in`, or `defaultTokenLifetimeSecs` from
    /// now when the response has none ([`Self::lifetime_assumed`]).
    pub expires_at: Option<SystemTime>,
    /// Whether `expires_at` is the assumed `defaultTokenLifetimeSecs` (the response had no
    /// `expires_in`). A sign-in that persists its access token (`persistAccessToken`, no
    /// refresh token) keeps no expiry then: such tokens (GitHub's) do not expire.
    pub lifetime_assumed: bool,
    /// Granted scopes (the requested ones when the response does not list them, RFC 6749 §5.1).
    pub scopes: Vec<String>,
    /// The DPoP key the tokens are bound to (the response's `token_type` is `DPoP`).
    pub(crate) dpop: Option<Arc<DpopKey>>,
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

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A configured, discovered provider.
#[derive(Debug)]
pub struct OAuthClient {
    config: ProviderConfig,
    metadata: ProviderMetadata,
    http: HttpClient,
    id_tokens: Option<IdTokenVerifier>,
    /// The oauth2 client without any secret: each request gets its credential from
    /// [`Self::authenticated`].
    oauth: Oauth2Client,
    auth_method: TokenEndpointAuthMethod,
    clock: Clock,
    /// The discovery URL whose warm-start cache entry the metadata came from (`None`:
    /// fetched or configured), and the cache.
    from_cache: Option<(Url, DiskCache)>,
    /// The provider's DPoP nonces (and those of resource servers `fetch` calls for its
    /// sessions), per origin.
    dpop_nonces: Arc<DpopNonces>,
}

/// One request's client: oauth2's client with the secret (if any) set, and the body
/// parameters of a client assertion (if any).
struct Authenticated {
    oauth: Oauth2Client,
    params: Vec<(&'static str, String)>,
}

impl OAuthClient {
    /// Validates `config`, builds the HTTP client and resolves the provider metadata.
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    pub async fn discover(config: ProviderConfig) -> Result<Self> {
        Self::discover_with(config, None, Clock::system(), None).await
    }

    /// [`Self::discover`] with the session manager's seams: provider requests through
    /// `transport` when one is given (else reqwest), token lifetimes measured with `clock`.
    pub(crate) async fn discover_with(
        config: ProviderConfig,
        transport: Option<Arc<dyn Transport>>,
        clock: Clock,
        cache: Option<DiskCache>,
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
        let resolved = ProviderMetadata::resolve(&config, &http, cache.as_ref()).await?;
        let mut client = Self::assemble(config, resolved.metadata, http, clock)?;
        if let Some(cache) = cache {
            client.id_tokens = client.id_tokens.map(|v| v.with_disk_cache(cache.clone()));
            client.from_cache = resolved.from_cache.map(|url| (url, cache));
        }
        Ok(client)
    }

    /// [`Self::discover`] with the warm-start cache in `dir` (benchmarks: the cost of a
    /// client built from cached metadata).
    #[cfg(feature = "test-util")]
    pub async fn discover_cached(config: ProviderConfig, dir: &std::path::Path) -> Result<Self> {
        let cache = DiskCache::new(
            dir,
            Clock::system(),
            &config.ca_certificate_pems("provider")?,
        );
        Self::discover_with(config, None, Clock::system(), Some(cache)).await
    }

    /// Whether the metadata came from the warm-start cache.
    pub(crate) fn metadata_from_cache(&self) -> bool {
        self.from_cache.is_some()
    }

    /// Drops the warm-start cache entry this client's metadata came from: a request made with
    /// it failed, so the next client discovers again.
    pub(crate) async fn forget_cached_metadata(&self) {
        if let Some((url, cache)) = &self.from_cache {
            cache.remove(super::disk_cache::Kind::Metadata, url).await;
        }
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
        // Every JWT a client signs or verifies goes through jsonwebtoken's ring provider.
        super::jwt_crypto::ensure_installed();
        let id_tokens = match (&metadata.jwks_uri, config.is_openid()) {
            (Some(jwks), true) => Some(
                IdTokenVerifier::remote(
                    metadata.issuer.clone(),
                    config.client_id.clone(),
                    config.clock_skew(),
                    http.clone(),
                    jwks.clone(),
                )
                .with_issuer_policy(config.issuer_policy(&metadata.issuer)?)
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
            )
            .set_device_authorization_url_option(
                metadata
                    .device_authorization_endpoint
                    .clone()
                    .map(oauth2::DeviceAuthorizationUrl::from_url),
            );
        if config.par == ParMode::Required
            && metadata.pushed_authorization_request_endpoint.is_none()
        {
            return Err(Error::config(
                "provider.par",
                "`required`, but the provider's metadata has no pushed_authorization_request_endpoint",
            ));
        }
        let auth_method = resolve_auth_method(&config, &metadata);
        oauth = oauth.set_auth_type(match auth_method {
            TokenEndpointAuthMethod::ClientSecretBasic => oauth2::AuthType::BasicAuth,
            _ => oauth2::AuthType::RequestBody,
        });
        Ok(Self {
            config,
            metadata,
            http,
            id_tokens,
            oauth,
            auth_method,
            clock,
            from_cache: None,
            dpop_nonces: Arc::default(),
        })
    }

    /// A new DPoP key for a sign-in, when the provider's `dpop` setting and metadata call for
    /// one (`auto`: the metadata lists an algorithm this plugin signs with; `required`: always).
    /// The algorithm: `dpopSigningAlg`, else ES256 unless the provider lists EdDSA and not
    /// ES256.
    pub(crate) fn new_dpop_key(&self) -> Result<Option<DpopBinding>> {
        let listed = self
            .metadata
            .dpop_signing_alg_values_supported
            .as_deref()
            .unwrap_or_default();
        let lists = |alg: DpopAlg| listed.iter().any(|a| a == alg.jws_name());
        let alg = match self.config.dpop_signing_alg {
            Some(alg) => alg,
            None if lists(DpopAlg::EdDsa) && !lists(DpopAlg::Es256) => DpopAlg::EdDsa,
            None => DpopAlg::Es256,
        };
        let wanted = match self.config.dpop {
            DpopMode::Off => false,
            DpopMode::Auto => lists(alg),
            DpopMode::Required => true,
        };
        if !wanted {
            return Ok(None);
        }
        Ok(Some(self.dpop_binding(Arc::new(
            dpop::key_source(self.config.dpop_hardware_key).generate(alg)?,
        ))))
    }

    /// `key` with this provider's nonces: what a request of its session needs for a proof.
    pub(crate) fn dpop_binding(&self, key: Arc<DpopKey>) -> DpopBinding {
        DpopBinding {
            key,
            nonces: self.dpop_nonces.clone(),
        }
    }

    /// The oauth2 HTTP hook for one request: with proofs of `dpop`'s key when given.
    fn transport(
        &self,
        dpop: Option<&DpopBinding>,
    ) -> impl Fn(oauth2::HttpRequest) -> TransportFuture {
        transport_with(&self.http, dpop.cloned(), self.clock.clone())
    }

    /// How this client authenticates at the token and revocation endpoints.
    #[cfg_attr(not(feature = "test-util"), allow(dead_code))]
    pub fn auth_method(&self) -> TokenEndpointAuthMethod {
        self.auth_method
    }

    /// The credential for one request to `endpoint`, if the method sends one: what the
    /// `client_credentials` hook produces now, else the configured secret.
    fn credential(&self, endpoint: &Url) -> Result<Option<ClientCredential>> {
        if self.auth_method == TokenEndpointAuthMethod::None {
            return Ok(None);
        }
        Ok(match &self.config.client_credentials {
            Some(hook) => Some(hook.credential(&ClientAuthContext {
                client_id: &self.config.client_id,
                issuer: &self.metadata.issuer,
                endpoint,
            })?),
            None => self
                .config
                .client_secret
                .clone()
                .map(ClientCredential::Secret),
        })
    }

    /// The client for one request to `endpoint`: the configured secret, or what the
    /// `client_credentials` hook produces now (a fresh secret, or a client assertion sent in
    /// the body), as the resolved method says.
    fn authenticated(&self, endpoint: &Url) -> Result<Authenticated> {
        let mut out = Authenticated {
            oauth: self.oauth.clone(),
            params: Vec::new(),
        };
        let Some(credential) = self.credential(endpoint)? else {
            return Ok(out);
        };
        match credential {
            ClientCredential::Secret(_) if self.auth_method == TokenEndpointAuthMethod::PrivateKeyJwt => {
                return Err(Error::config(
                    "provider.tokenEndpointAuthMethod",
                    "`private_key_jwt`: the client_credentials hook returned a secret, not an assertion",
                ))
            }
            ClientCredential::Secret(secret) => {
                out.oauth = out
                    .oauth
                    .set_client_secret(oauth2::ClientSecret::new(secret.secret().to_string()));
            }
            ClientCredential::Assertion(jwt) => {
                // RFC 7523 §2.2: in the body, beside `client_id` (oauth2 puts it there when no
                // secret is set); never with HTTP Basic.
                out.oauth = out.oauth.set_auth_type(oauth2::AuthType::RequestBody);
                out.params.push(("client_assertion_type", JWT_BEARER_ASSERTION.to_string()));
                out.params.push(("client_assertion", jwt.secret().to_string()));
            }
        }
        Ok(out)
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

    /// [`Self::authorization_request`], pushed to the provider (RFC 9126) when it has a PAR
    /// endpoint and `par` is not `off` (or the provider requires PAR): the URL to open is then
    /// `authorize?client_id=…&request_uri=…`, and the request's parameters (`state`, `nonce`,
    /// `code_challenge`, `redirect_uri`, `scope`…) never reach the browser.
    pub async fn prepare_authorization(
        &self,
        redirect_uri: &Url,
        extra: &BTreeMap<String, String>,
    ) -> Result<AuthorizationRequest> {
        let request = self.authorization_request(redirect_uri, extra)?;
        match self.par_endpoint() {
            Some(endpoint) => self.push(endpoint.clone(), request).await,
            None => Ok(request),
        }
    }

    /// The PAR endpoint to push to, if the request is pushed.
    fn par_endpoint(&self) -> Option<&Url> {
        let endpoint = self
            .metadata
            .pushed_authorization_request_endpoint
            .as_ref()?;
        let push =
            self.config.par != ParMode::Off || self.metadata.require_pushed_authorization_requests;
        push.then_some(endpoint)
    }

    /// RFC 9126 §2: POSTs the authorization request's parameters, authenticated like a token
    /// request, and replaces its URL with the authorization endpoint, `client_id` and the
    /// `request_uri` the provider answered. Hand-written: oauth2 5 has no PAR.
    async fn push(
        &self,
        endpoint: Url,
        mut request: AuthorizationRequest,
    ) -> Result<AuthorizationRequest> {
        use base64::Engine;
        use oauth2::http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};

        // The serializer is not `Send`: built and finished before the request is awaited.
        let mut headers = oauth2::http::HeaderMap::new();
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(request.url.query_pairs());
            match self.credential(&endpoint)? {
                None => {}
                Some(ClientCredential::Secret(secret))
                    if self.auth_method == TokenEndpointAuthMethod::ClientSecretPost =>
                {
                    form.append_pair("client_secret", secret.secret());
                }
                Some(ClientCredential::Secret(secret)) => {
                    // RFC 6749 §2.3.1: each part form-encoded, then HTTP Basic.
                    let enc = |v: &str| {
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                    };
                    let basic = zeroize::Zeroizing::new(format!(
                        "{}:{}",
                        enc(&self.config.client_id),
                        enc(secret.secret())
                    ));
                    let mut value = HeaderValue::from_str(&format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(basic.as_bytes())
                    ))
                    .map_err(|_| {
                        Error::config("provider.clientId", "not usable in an HTTP header")
                    })?;
                    value.set_sensitive(true);
                    headers.insert(AUTHORIZATION, value);
                }
                Some(ClientCredential::Assertion(jwt)) => {
                    form.append_pair("client_assertion_type", JWT_BEARER_ASSERTION);
                    form.append_pair("client_assertion", jwt.secret());
                }
            }
            zeroize::Zeroizing::new(form.finish())
        };
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let response = self
            .http
            .send(
                Request {
                    method: oauth2::http::Method::POST,
                    url: endpoint,
                    headers,
                    body: body.as_bytes().to_vec(),
                },
                ReadBody::UpTo(MAX_TOKEN_RESPONSE_BYTES),
            )
            .await
            .map_err(|e| match e {
                crate::http::TransportError::TooLarge(cap) => Error::InvalidResponse(format!(
                    "pushed authorization response larger than {cap} bytes"
                )),
                other => Error::Network(format!("pushed authorization request: {other}")),
            })?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Error::Network(format!(
                "pushed authorization request: HTTP {}",
                status.as_u16()
            )));
        }
        #[derive(Deserialize)]
        struct Pushed {
            request_uri: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let pushed: Pushed = serde_json::from_slice(response.body()).map_err(|_| {
            Error::InvalidResponse(format!(
                "pushed authorization request: HTTP {} without a JSON answer",
                status.as_u16()
            ))
        })?;
        let request_uri = match pushed {
            Pushed {
                error: Some(error),
                error_description: description,
                ..
            } => return Err(Error::AuthorizationFailed { error, description }),
            Pushed {
                request_uri: Some(uri),
                ..
            } if status.is_success() && !uri.is_empty() => uri,
            _ => {
                return Err(Error::InvalidResponse(format!(
                    "pushed authorization request: HTTP {} without a request_uri",
                    status.as_u16()
                )))
            }
        };
        let mut url = self.metadata.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("request_uri", &request_uri);
        request.url = url;
        Ok(request)
    }

    /// Exchanges an authorization code (with the request's PKCE verifier) for tokens, and
    /// validates the ID token when one is expected. Returns the tokens and the ID token claims.
    ///
    /// With `dpop`, the request carries a proof of its key, and the tokens come back bound to
    /// it (or unbound: a provider that ignores DPoP, refused when `dpop` is `required`).
    pub async fn exchange_code(
        &self,
        code: AuthorizationCode,
        request: AuthorizationRequest,
        dpop: Option<&DpopBinding>,
    ) -> Result<(TokenSet, Option<IdTokenClaims>)> {
        let auth = self.authenticated(&self.metadata.token_endpoint)?;
        let mut exchange = auth
            .oauth
            .exchange_code(oauth2::AuthorizationCode::new(code.secret().to_string()))
            .set_pkce_verifier(request.pkce_verifier)
            .set_redirect_uri(Cow::Owned(RedirectUrl::from_url(
                request.redirect_uri.clone(),
            )));
        for (name, value) in &auth.params {
            exchange = exchange.add_extra_param(*name, value.as_str());
        }
        let response = exchange
            .request_async(&self.transport(dpop))
            .await
            .map_err(|e| map_token_error(e, Error::TokenExchangeFailed))?;
        let tokens = self.token_set(response, dpop)?;
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

    /// Starts a device authorization (RFC 8628 §3.1) with the configured scopes and extra
    /// parameters overlaid with `extra`. `unsupported` when the provider has no device
    /// authorization endpoint.
    pub async fn device_authorization(
        &self,
        extra: &BTreeMap<String, String>,
    ) -> Result<DeviceAuthorization> {
        let Some(endpoint) = self.metadata.device_authorization_endpoint.clone() else {
            return Err(Error::Unsupported(
                "device sign-in: the provider has no device_authorization_endpoint (set \
                 `endpoints.deviceAuthorization`)"
                    .into(),
            ));
        };
        let auth = self.authenticated(&endpoint)?;
        let mut request = auth
            .oauth
            .exchange_device_code()
            .map_err(|e| Error::Internal(e.to_string()))?
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new));
        let mut params = self.config.extra_params.clone();
        params.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (name, value) in &params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        for (name, value) in &auth.params {
            request = request.add_extra_param(*name, value.clone());
        }
        let response = request
            .request_async(&transport(&self.http))
            .await
            .map_err(|e| {
                map_token_error(e, |m| Error::AuthorizationFailed {
                    error: "device_authorization_refused".into(),
                    description: Some(m),
                })
            })?;
        Ok(DeviceAuthorization { response })
    }

    /// Polls the token endpoint (RFC 8628 §3.4) until the user approved or denied the device
    /// authorization, at the provider's `interval` (5 s when it names none), 5 s slower after
    /// each `slow_down`. The user's refusal ⇒ `authorization_denied`; the codes expired ⇒
    /// `login_timed_out`. Validates the ID token (no nonce in this grant).
    pub async fn poll_device_token(
        &self,
        authorization: &DeviceAuthorization,
        dpop: Option<&DpopBinding>,
    ) -> Result<(TokenSet, Option<IdTokenClaims>)> {
        use oauth2::DeviceCodeErrorResponseType as Device;
        let auth = self.authenticated(&self.metadata.token_endpoint)?;
        let mut poll = auth
            .oauth
            .exchange_device_access_token(&authorization.response);
        for (name, value) in &auth.params {
            poll = poll.add_extra_param(*name, value.clone());
        }
        let expires = authorization.expires_in();
        let response = poll
            .request_async(&self.transport(dpop), tokio::time::sleep, None)
            .await
            .map_err(|e| {
                map_request_error(e, |r| match r.error() {
                    Device::AccessDenied => Error::AuthorizationDenied {
                        error: "access_denied".into(),
                        description: r.error_description().cloned(),
                    },
                    // The provider's `expired_token`, or oauth2's own deadline (the codes'
                    // `expires_in`) passed while polling.
                    Device::ExpiredToken => Error::LoginTimedOut(expires.as_secs()),
                    other => Error::AuthorizationFailed {
                        error: other.as_ref().to_string(),
                        description: r.error_description().cloned(),
                    },
                })
            })?;
        let tokens = self.token_set(response, dpop)?;
        let claims = match (&self.id_tokens, &tokens.id_token) {
            (Some(v), Some(id)) => Some(v.verify(id.secret(), None).await?),
            (Some(_), None) => {
                return Err(Error::IdTokenInvalid(
                    "the token response has no id_token although `openid` was requested".into(),
                ))
            }
            (None, _) => None,
        };
        Ok((tokens, claims))
    }

    /// Uses a refresh token (RFC 6749 §6). A refusal whose `error` is one of the provider's
    /// `deadRefreshTokenErrors` (default `invalid_grant`) is `session_expired`; other refusals
    /// `refresh_failed`; transport errors and 5xx `network`.
    ///
    /// A DPoP-bound session passes its key (`dpop`): the provider refuses its refresh token
    /// without a proof of that key.
    pub async fn refresh(
        &self,
        refresh_token: &RefreshToken,
        dpop: Option<&DpopBinding>,
    ) -> Result<TokenSet> {
        let rt = oauth2::RefreshToken::new(refresh_token.secret().to_string());
        let auth = self.authenticated(&self.metadata.token_endpoint)?;
        let mut exchange = auth.oauth.exchange_refresh_token(&rt);
        for (name, value) in &auth.params {
            exchange = exchange.add_extra_param(*name, value.as_str());
        }
        let response = exchange
            .request_async(&self.transport(dpop))
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r)
                    if self
                        .config
                        .dead_refresh_token_errors
                        .iter()
                        .any(|code| code == r.error().as_ref()) =>
                {
                    Error::SessionExpired(describe_refusal(&r))
                }
                other => map_token_error(other, Error::RefreshFailed),
            })?;
        self.token_set(response, dpop)
    }

    /// Why logout makes no revocation call, when it makes none: `revocationStyle` `none`, or
    /// RFC 7009 and the provider has no revocation endpoint. Not an error.
    pub fn revocation_skipped(&self) -> Option<&'static str> {
        match self.config.revocation_style {
            RevocationStyle::None => {
                Some("revocationStyle is none: the provider offers no revocation")
            }
            RevocationStyle::Rfc7009 if self.metadata.revocation_endpoint.is_none() => {
                Some("the provider has no revocation endpoint")
            }
            _ => None,
        }
    }

    /// Whether refresh tokens are revoked (RFC 7009); GitHub's style revokes access tokens
    /// only.
    pub fn revokes_refresh_tokens(&self) -> bool {
        self.config.revocation_style == RevocationStyle::Rfc7009
    }

    /// Revokes a refresh token at the provider (RFC 7009, `token_type_hint=refresh_token`).
    /// Fails with `unsupported` when the provider has no revocation endpoint or its
    /// revocation style takes no refresh tokens.
    /// A DPoP session's key (`dpop`) signs a proof for the request.
    pub async fn revoke_refresh_token(
        &self,
        token: &RefreshToken,
        dpop: Option<&DpopBinding>,
    ) -> Result<()> {
        if !self.revokes_refresh_tokens() {
            return Err(Error::Unsupported(format!(
                "token revocation: revocationStyle {:?} takes no refresh token",
                self.config.revocation_style
            )));
        }
        self.revoke(
            StandardRevocableToken::RefreshToken(oauth2::RefreshToken::new(
                token.secret().to_string(),
            )),
            dpop,
        )
        .await
    }

    /// Revokes an access token at the provider (RFC 7009, `token_type_hint=access_token`, or
    /// GitHub's `DELETE`). Fails with `unsupported` when the provider has no revocation.
    /// A DPoP session's key (`dpop`) signs a proof for the request.
    pub async fn revoke_access_token(
        &self,
        token: &AccessToken,
        dpop: Option<&DpopBinding>,
    ) -> Result<()> {
        if self.config.revocation_style == RevocationStyle::Github {
            return self.revoke_github(token).await;
        }
        self.revoke(
            StandardRevocableToken::AccessToken(oauth2::AccessToken::new(
                token.secret().to_string(),
            )),
            dpop,
        )
        .await
    }

    /// GitHub's revocation: `DELETE <endpoints.revocation>` (`/applications/{client_id}/token`)
    /// with HTTP Basic client credentials and `{"access_token": …}`; 204 when revoked.
    /// Hand-written: oauth2 speaks RFC 7009 only.
    async fn revoke_github(&self, token: &AccessToken) -> Result<()> {
        use base64::Engine;
        use oauth2::http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};

        if let Some(reason) = self.revocation_skipped() {
            return Err(Error::Unsupported(format!("token revocation: {reason}")));
        }
        let Some(url) = self.metadata.revocation_endpoint.clone() else {
            return Err(Error::Unsupported(
                "token revocation: no `endpoints.revocation` for revocationStyle github".into(),
            ));
        };
        let secret = match self.credential(&url)? {
            Some(ClientCredential::Secret(s)) => s,
            _ => {
                return Err(Error::config(
                    "provider.clientSecret",
                    "required by `revocationStyle` github",
                ))
            }
        };
        let basic =
            zeroize::Zeroizing::new(format!("{}:{}", self.config.client_id, secret.secret()));
        let mut authorization = HeaderValue::from_str(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(basic.as_bytes())
        ))
        .map_err(|_| Error::config("provider.clientId", "not usable in an HTTP header"))?;
        authorization.set_sensitive(true);
        let body = serde_json::to_vec(&serde_json::json!({ "access_token": token.secret() }))
            .map_err(|e| Error::Internal(format!("revocation body: {e}")))?;
        let mut headers = oauth2::http::HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        let response = self
            .http
            .send(
                Request {
                    method: oauth2::http::Method::DELETE,
                    url,
                    headers,
                    body,
                },
                ReadBody::UpTo(MAX_TOKEN_RESPONSE_BYTES),
            )
            .await
            .map_err(|e| match e {
                crate::http::TransportError::TooLarge(cap) => {
                    Error::InvalidResponse(format!("revocation response larger than {cap} bytes"))
                }
                other => Error::Network(other.to_string()),
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() {
            Err(Error::Network(format!(
                "revocation: HTTP {}",
                status.as_u16()
            )))
        } else {
            Err(Error::RefreshFailed(format!(
                "revocation refused: HTTP {}",
                status.as_u16()
            )))
        }
    }

    async fn revoke(
        &self,
        token: StandardRevocableToken,
        dpop: Option<&DpopBinding>,
    ) -> Result<()> {
        if let Some(reason) = self.revocation_skipped() {
            return Err(Error::Unsupported(format!("token revocation: {reason}")));
        }
        let url = self
            .metadata
            .revocation_endpoint
            .clone()
            .ok_or_else(|| Error::Unsupported("token revocation: no endpoint".into()))?;
        let auth = self.authenticated(&url)?;
        let mut request = auth
            .oauth
            .revoke_token(token)
            .map_err(|e| Error::Unsupported(format!("token revocation: {e}")))?;
        for (name, value) in &auth.params {
            request = request.add_extra_param(*name, value.as_str());
        }
        request
            .request_async(&self.transport(dpop))
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

    /// The tokens of a token response. `token_type` must be `Bearer`, or `DPoP` when the
    /// request carried a proof (`dpop`); a bearer answer to a proof is refused when the
    /// provider's `dpop` is `required` (RFC 9449 §5: the client decides whether to go on).
    fn token_set(&self, r: ProviderTokenResponse, dpop: Option<&DpopBinding>) -> Result<TokenSet> {
        let token_type = r.token_type().as_ref();
        let bound = match (token_type.eq_ignore_ascii_case("bearer"), dpop) {
            (true, Some(_)) if self.config.dpop == DpopMode::Required => {
                return Err(Error::InvalidResponse(
                    "the provider issued a bearer token although `dpop` is `required`".into(),
                ))
            }
            (true, _) => None,
            (false, Some(d)) if token_type.eq_ignore_ascii_case("dpop") => Some(d.key.clone()),
            _ => {
                return Err(Error::InvalidResponse(format!(
                    "unsupported token_type `{token_type}`"
                )))
            }
        };
        let scopes = match r.scopes() {
            Some(s) => s.iter().map(|s| s.to_string()).collect(),
            None => self.config.scopes.clone(),
        };
        let access = r.access_token().secret().clone();
        Ok(TokenSet {
            access_token: match bound {
                Some(_) => AccessToken::new_dpop(access),
                None => AccessToken::new(access),
            },
            dpop: bound,
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
            lifetime_assumed: r.expires_in().is_none(),
            scopes,
        })
    }
}

/// The token-endpoint authentication method: the configured one; else `none` for a client
/// without a secret or hook; else `client_secret_basic` (RFC 8414 §2's default) unless the
/// metadata lists `client_secret_post` and not `client_secret_basic`.
fn resolve_auth_method(
    config: &ProviderConfig,
    metadata: &ProviderMetadata,
) -> TokenEndpointAuthMethod {
    if let Some(m) = config.token_endpoint_auth_method {
        return m;
    }
    if config.client_secret.is_none() && config.client_credentials.is_none() {
        return TokenEndpointAuthMethod::None;
    }
    let listed = |m: TokenEndpointAuthMethod| {
        metadata
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_some_and(|l| l.iter().any(|x| x == m.as_str()))
    };
    if listed(TokenEndpointAuthMethod::ClientSecretPost)
        && !listed(TokenEndpointAuthMethod::ClientSecretBasic)
    {
        TokenEndpointAuthMethod::ClientSecretPost
    } else {
        TokenEndpointAuthMethod::ClientSecretBasic
    }
}

/// oauth2's HTTP hook: the client's transport (bodies of any status up to
/// [`MAX_TOKEN_RESPONSE_BYTES`]: oauth2 parses error responses too), with 5xx turned into a transport error so that "server is down" is never confused
/// with "server said no" (which would end a session).
type TransportFuture = std::pin::Pin<
    Box<dyn Future<Output = std::result::Result<oauth2::HttpResponse, TransportError>> + Send>,
>;

fn transport(http: &HttpClient) -> impl Fn(oauth2::HttpRequest) -> TransportFuture {
    transport_with(http, None, Clock::system())
}

/// [`transport`] carrying a DPoP proof (RFC 9449 §5) of `dpop`'s key on every request: with
/// the provider's latest nonce for the endpoint's origin, and sent once more with the new nonce
/// when the provider answers `use_dpop_nonce` (§8).
fn transport_with(
    http: &HttpClient,
    dpop: Option<DpopBinding>,
    clock: Clock,
) -> impl Fn(oauth2::HttpRequest) -> TransportFuture {
    let http = http.clone();
    move |request: oauth2::HttpRequest| {
        let http = http.clone();
        let dpop = dpop.clone();
        let clock = clock.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = Url::parse(&parts.uri.to_string())
                .map_err(|_| TransportError::Request("request failed".to_string()))?;
            let mut retried = false;
            loop {
                let mut headers = parts.headers.clone();
                if let Some(d) = &dpop {
                    let nonce = d.nonces.get(&url);
                    let proof = d
                        .key
                        .proof(
                            parts.method.as_str(),
                            &url,
                            None,
                            nonce.as_deref(),
                            clock.now(),
                        )
                        .map_err(|e| TransportError::Request(e.to_string()))?;
                    let value = oauth2::http::HeaderValue::from_str(&proof)
                        .map_err(|_| TransportError::Request("DPoP proof header".into()))?;
                    headers.insert(DPOP_HEADER, value);
                }
                let request = Request {
                    method: parts.method.clone(),
                    url: url.clone(),
                    headers,
                    body: body.clone(),
                };
                let response = http
                    .send(request, ReadBody::UpTo(MAX_TOKEN_RESPONSE_BYTES))
                    .await
                    .map_err(|e| match e {
                        crate::http::TransportError::TooLarge(cap) => TransportError::TooLarge(cap),
                        other => TransportError::Request(other.to_string()),
                    })?;
                if let Some(d) = &dpop {
                    let new_nonce = d.nonces.remember(&url, response.headers());
                    if !retried
                        && new_nonce
                        && response.status() == oauth2::http::StatusCode::BAD_REQUEST
                        && dpop::is_nonce_error_body(response.body())
                    {
                        retried = true;
                        log::debug!("token-vault: the provider asked for a DPoP nonce; retrying");
                        continue;
                    }
                }
                if response.status().is_server_error() {
                    return Err(TransportError::Server(response.status().as_u16()));
                }
                return Ok(normalize_token_response(response));
            }
        })
    }
}

/// Rewrites the known provider quirks of a token (or revocation) endpoint answer into the
/// RFC 6749 shape oauth2's strict parser expects, and nothing else:
///
/// - a form-encoded body (`Content-Type: application/x-www-form-urlencoded`, or a body that
///   is not JSON but a form with an `access_token` or `error` key; GitHub without `Accept`)
///   becomes the JSON object of its pairs (string values);
/// - a JSON object body under any other (or no) `Content-Type` is labelled `application/json`;
/// - a 2xx whose object has a string `error` and no `access_token` (GitHub, Slack) becomes a
///   400, which oauth2 parses as the RFC 6749 §5.2 error it is (an `error` beside an
///   `access_token` is ignored, as before);
/// - `expires_in` as a string of ASCII digits that fits a `u64` (Entra) becomes that number;
/// - a `scope` with commas (`"repo,user"`, `"a, b"`) is split at commas and whitespace, empty
///   pieces dropped, and joined with spaces; an array of strings is joined with spaces.
///
/// Anything else is left for the strict parser to refuse: an object whose values do not all
/// read, or with a key repeated, is not rewritten (only relabelled); other mistyped values stay.
/// Nothing here turns an error into tokens, and no value is ever put into a message.
///
/// Hand-written: no crate this plugin keeps normalises provider quirks before oauth2 parses
/// (oauth2 is strict by design and only offers this HTTP hook to do it in).
fn normalize_token_response(response: oauth2::HttpResponse) -> oauth2::HttpResponse {
    use oauth2::http::header::{HeaderValue, CONTENT_TYPE};

    let (mut parts, mut body) = response.into_parts();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase());
    let labelled = |prefix: &str| {
        content_type
            .as_deref()
            .is_some_and(|c| c.starts_with(prefix))
    };

    if !first_value_is_json(&body) {
        if let Some(pairs) = form_pairs(&body) {
            let keyed = pairs
                .iter()
                .any(|(k, _)| k == "access_token" || k == "error");
            if keyed || labelled("application/x-www-form-urlencoded") {
                let object: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                body = serde_json::to_vec(&object).unwrap_or(body);
            }
        }
    }
    if !first_value_is_object(&body) {
        return oauth2::http::Response::from_parts(parts, body);
    }
    if !labelled("application/json") {
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let Some(mut pairs) = object_pairs(&body) else {
        return oauth2::http::Response::from_parts(parts, body);
    };
    if repeats_a_key(&pairs) {
        return oauth2::http::Response::from_parts(parts, body);
    }
    let has = |key: &str| pairs.iter().any(|(k, _)| k == key);
    if parts.status.is_success()
        && !has("access_token")
        && pairs
            .iter()
            .any(|(k, v)| k == "error" && matches!(v, serde_json::Value::String(_)))
    {
        parts.status = oauth2::http::StatusCode::BAD_REQUEST;
    }
    let mut rewritten = false;
    for (key, value) in &mut pairs {
        let new = match (key.as_str(), &*value) {
            ("expires_in", serde_json::Value::String(s))
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse::<u64>().ok().map(serde_json::Value::from)
            }
            ("scope", serde_json::Value::String(s)) if s.contains(',') => Some(
                s.split(|c: char| c == ',' || c.is_ascii_whitespace())
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into(),
            ),
            ("scope", serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str())
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join(" ").into()),
            _ => None,
        };
        if let Some(new) = new {
            *value = new;
            rewritten = true;
        }
    }
    if rewritten {
        let object: serde_json::Map<String, serde_json::Value> = pairs.into_iter().collect();
        if let Ok(bytes) = serde_json::to_vec(&object) {
            body = bytes;
        }
    }
    oauth2::http::Response::from_parts(parts, body)
}

/// Whether `body` starts with one JSON value (bytes after it are allowed, as oauth2 allows
/// them), its contents skipped unread.
fn first_value_is_json(body: &[u8]) -> bool {
    serde_json::Deserializer::from_slice(body)
        .into_iter::<serde::de::IgnoredAny>()
        .next()
        .is_some_and(|r| r.is_ok())
}

/// Whether `body` starts with a JSON object (bytes after it are allowed), its values skipped
/// unread.
fn first_value_is_object(body: &[u8]) -> bool {
    let start = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    start == Some(&b'{') && first_value_is_json(body)
}

/// Whether a key occurs more than once among `pairs`.
fn repeats_a_key<V>(pairs: &[(String, V)]) -> bool {
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// The members of the JSON object `body` starts with, in order, repeated keys kept; `None`
/// when any value does not read (out of range, invalid UTF-8, nested too deep).
fn object_pairs(body: &[u8]) -> Option<Vec<(String, serde_json::Value)>> {
    struct Pairs(Vec<(String, serde_json::Value)>);
    impl<'de> Deserialize<'de> for Pairs {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Pairs;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> std::result::Result<Pairs, A::Error> {
                    let mut pairs = Vec::new();
                    while let Some(pair) = map.next_entry()? {
                        pairs.push(pair);
                    }
                    Ok(Pairs(pairs))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::Deserializer::from_slice(body)
        .into_iter::<Pairs>()
        .next()?
        .ok()
        .map(|p| p.0)
}

/// The pairs of a form-encoded `body` (`a=b&c=d`): `None` unless it is UTF-8 with at least one
/// pair and no key repeated.
fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    std::str::from_utf8(body).ok()?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    (!pairs.is_empty() && !repeats_a_key(&pairs)).then_some(pairs)
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
    map_request_error(e, |r| refused(describe_refusal(&r)))
}

/// An oauth2 request's failure as this crate's error: the provider's error response through
/// `refused`; transport failures `network`; an oversized or unreadable answer `invalid_response`.
fn map_request_error<R: oauth2::ErrorResponse>(
    e: RequestTokenError<TransportError, R>,
    refused: impl FnOnce(R) -> Error,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => refused(r),
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

    /// The error of a refresh whose token endpoint (a canned server) answers `status` with
    /// `body`, at a provider configured by `configure`.
    async fn refresh_error(
        status: u16,
        body: Vec<u8>,
        configure: impl FnOnce(ProviderConfig) -> ProviderConfig,
    ) -> Error {
        let base = canned_server(status, body).await;
        let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": base.as_str(),
            "authorization_endpoint": base.join("/authorize").unwrap(),
            "token_endpoint": base.join("/token").unwrap(),
            "revocation_endpoint": base.join("/revoke").unwrap(),
            "code_challenge_methods_supported": ["S256"],
        }))
        .unwrap();
        let config = configure(ProviderConfig::new(base.clone(), "c").scopes(["api"]));
        let http = HttpClient::new(Duration::from_secs(5), &[]).unwrap();
        let client = OAuthClient::from_parts(config, metadata, http).unwrap();
        client
            .refresh(&RefreshToken::new("rt".to_string()), None)
            .await
            .unwrap_err()
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
            let e = refresh_error(status, body.to_string().into_bytes(), |c| c).await;
            assert_eq!(e.code(), "invalid_response", "HTTP {status}: {e}");
            assert!(e.to_string().contains("larger than"), "{e}");
        }
    }

    fn answer(status: u16, content_type: Option<&str>, body: &[u8]) -> oauth2::HttpResponse {
        let mut r = oauth2::http::Response::builder().status(status);
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        r.body(body.to_vec()).unwrap()
    }

    /// (status, content type, body as JSON when it is JSON) of a normalised answer.
    fn normalized(
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (
        u16,
        Option<String>,
        std::result::Result<serde_json::Value, Vec<u8>>,
    ) {
        let r = normalize_token_response(answer(status, content_type, body));
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = serde_json::from_slice(r.body()).map_err(|_| r.body().clone());
        (r.status().as_u16(), ct, body)
    }

    const JSON: Option<&str> = Some("application/json");

    /// Status, content type and body in; status and body (as JSON) out.
    type Quirk = (
        u16,
        Option<&'static str>,
        &'static [u8],
        u16,
        serde_json::Value,
    );

    /// Each quirk in, the RFC 6749 shape out.
    #[test]
    fn provider_quirks_are_normalised() {
        let json = |v: serde_json::Value| Ok::<_, Vec<u8>>(v);
        let cases: Vec<Quirk> = vec![
            // An error with HTTP 200 (GitHub, Slack): the RFC 6749 §5.2 error it is.
            (
                200,
                JSON,
                br#"{"error":"invalid_grant","error_description":"bad"}"#,
                400,
                serde_json::json!({"error":"invalid_grant","error_description":"bad"}),
            ),
            (
                201,
                JSON,
                br#"{"error":"bad_verification_code"}"#,
                400,
                serde_json::json!({"error":"bad_verification_code"}),
            ),
            // `expires_in` as a string (Entra).
            (
                200,
                JSON,
                br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":3600}),
            ),
            // Comma-separated scopes, with or without spaces; an array of scopes.
            (
                200,
                JSON,
                br#"{"access_token":"a","token_type":"bearer","scope":"repo,user"}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer","scope":"repo user"}),
            ),
            (
                200,
                JSON,
                br#"{"access_token":"a","token_type":"bearer","scope":"a, b,,c "}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer","scope":"a b c"}),
            ),
            (
                200,
                JSON,
                br#"{"access_token":"a","token_type":"bearer","scope":["a","b"]}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer","scope":"a b"}),
            ),
            // Form-encoded (GitHub without `Accept: application/json`), by type or by shape.
            (
                200,
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                b"access_token=a%2Bb&token_type=bearer&scope=repo%2Cgist&expires_in=28800",
                200,
                serde_json::json!({"access_token":"a+b","token_type":"bearer","scope":"repo gist","expires_in":28800}),
            ),
            (
                200,
                Some("text/plain"),
                b"error=bad_verification_code&error_description=The+code+is+wrong",
                400,
                serde_json::json!({"error":"bad_verification_code","error_description":"The code is wrong"}),
            ),
            (
                200,
                None,
                b"access_token=a&token_type=bearer",
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer"}),
            ),
            (
                400,
                Some("application/x-www-form-urlencoded"),
                b"error=invalid_grant",
                400,
                serde_json::json!({"error":"invalid_grant"}),
            ),
            // A JSON object under another content type, or none.
            (
                200,
                Some("text/html"),
                br#"{"access_token":"a","token_type":"bearer"}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer"}),
            ),
            (
                200,
                None,
                br#"{"access_token":"a","token_type":"bearer"}"#,
                200,
                serde_json::json!({"access_token":"a","token_type":"bearer"}),
            ),
        ];
        for (status, ct, body, want_status, want_body) in cases {
            let got = normalized(status, ct, body);
            let shown = String::from_utf8_lossy(body);
            assert_eq!(got.0, want_status, "{shown}");
            assert!(
                got.1
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/json")),
                "{shown}: {:?}",
                got.1
            );
            assert_eq!(got.2, json(want_body), "{shown}");
        }
    }

    /// What is not a known quirk is left for the strict parser, byte for byte, and nothing
    /// becomes tokens: an `error` beside tokens, mistyped values, repeated keys, values that
    /// do not read, huge numbers, non-UTF-8, nesting, non-objects.
    #[test]
    fn everything_else_is_left_as_it_is() {
        let deep = [vec![b'['; 200], vec![b']'; 200]].concat();
        let deep_object = [br#"{"error":"x","n":"#.to_vec(), deep, b"}".to_vec()].concat();
        let cases: Vec<(u16, Option<&str>, Vec<u8>)> = vec![
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","error":"x"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","expires_in":"99999999999999999999999"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","expires_in":"3600.0"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","expires_in":"-1"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","expires_in":" 36"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","expires_in":""}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","scope":"a b"}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","scope":["a",1]}"#.to_vec()),
            (200, JSON, br#"{"access_token":"a","token_type":"bearer","scope":{"a":"b"}}"#.to_vec()),
            (200, JSON, br#"{"error":"x","error":"y"}"#.to_vec()),
            (200, JSON, br#"{"error":"x","expires_in":"1","expires_in":"2"}"#.to_vec()),
            (200, JSON, br#"{"error":{"code":"invalid_grant"}}"#.to_vec()),
            (200, JSON, br#"{"error":null}"#.to_vec()),
            (200, JSON, br#"{"error":"x","access_token":null}"#.to_vec()),
            (200, JSON, br#"{"error":"x","n":1e400}"#.to_vec()),
            (200, JSON, b"{\"error\":\"x\",\"s\":\"a\xffb\"}".to_vec()),
            (200, JSON, b"{\"error\":\"a\xffb\"}".to_vec()),
            (200, JSON, deep_object),
            (200, JSON, br#"{"outer":{"error":"x","expires_in":"1","scope":"a,b"}}"#.to_vec()),
            (200, JSON, br#"[{"error":"x"}]"#.to_vec()),
            (200, JSON, br#""error=x""#.to_vec()),
            (200, JSON, b"\xff\xfeaccess_token=a".to_vec()),
            (200, Some("text/html"), b"<html>error=x</html>".to_vec()),
            (200, JSON, b"access_token=a&access_token=b&token_type=bearer".to_vec()),
            (200, JSON, b"".to_vec()),
            (400, JSON, br#"{"error":"invalid_grant","expires_in":"x"}"#.to_vec()),
        ];
        for (status, ct, body) in cases {
            let r = normalize_token_response(answer(status, ct, &body));
            let shown = String::from_utf8_lossy(&body);
            assert_eq!(r.status().as_u16(), status, "{shown}");
            assert_eq!(r.body(), &body, "{shown}");
        }
    }

    /// The text content type of a body that is not a JSON object stays: oauth2 refuses it
    /// as before.
    #[test]
    fn a_body_that_is_no_object_keeps_its_content_type() {
        for body in [&b"<html>502</html>"[..], b"[]", b"1", b"{"] {
            let r = normalize_token_response(answer(200, Some("text/html"), body));
            assert_eq!(r.headers()["content-type"], "text/html");
        }
    }

    /// The dead-token codes of the provider decide `session_expired`: the default only
    /// `invalid_grant`; a Dex-like list `invalid_request` too; an `error` with HTTP 200 too.
    #[tokio::test]
    async fn dead_refresh_token_codes_are_the_configured_ones() {
        for (status, body, dead, want) in [
            (400, r#"{"error":"invalid_grant"}"#, None, "session_expired"),
            (
                400,
                r#"{"error":"invalid_request"}"#,
                None,
                "refresh_failed",
            ),
            (200, r#"{"error":"invalid_grant"}"#, None, "session_expired"),
            (
                400,
                r#"{"error":"invalid_request"}"#,
                Some(vec!["invalid_grant", "invalid_request"]),
                "session_expired",
            ),
            (
                400,
                r#"{"error":"invalid_grant"}"#,
                Some(vec!["invalid_request"]),
                "refresh_failed",
            ),
        ] {
            let e = refresh_error(status, body.as_bytes().to_vec(), |c| match &dead {
                Some(dead) => c.dead_refresh_token_errors(dead.iter().copied()),
                None => c,
            })
            .await;
            assert_eq!(e.code(), want, "HTTP {status} {body} with {dead:?}: {e}");
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

#[cfg(test)]
#[path = "client_auth_tests.rs"]
mod auth_tests;
