//! Provider metadata: OpenID Connect Discovery 1.0, then RFC 8414, or explicit endpoints.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::disk_cache::{DiskCache, Kind};
use crate::config::{Endpoints, ProviderConfig};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::url_policy::check_secure_url;
use crate::url_policy::issuer::is_metadata_issuer;

/// A provider's metadata, and whether it came from the warm-start cache.
#[derive(Debug)]
pub struct Resolved {
    /// The metadata, with the configured `endpoints` applied.
    pub metadata: ProviderMetadata,
    /// The discovery URL whose cached document was used; `None`: fetched (or configured).
    pub from_cache: Option<Url>,
}

/// The parts of the provider metadata this plugin uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    /// Issuer identifier; equals the configured issuer.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: Url,
    /// Token endpoint.
    pub token_endpoint: Url,
    /// JWKS URI (ID token keys).
    #[serde(default)]
    pub jwks_uri: Option<Url>,
    /// Revocation endpoint (RFC 7009).
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// Introspection endpoint (RFC 7662).
    #[serde(default)]
    pub introspection_endpoint: Option<Url>,
    /// UserInfo endpoint.
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    /// RP-initiated logout endpoint.
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    /// PKCE methods; when present it must list `S256`.
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the provider sends `iss` on the authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// The client authentication methods the token endpoint accepts (RFC 8414 §2).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 8628: the device authorization endpoint.
    #[serde(default)]
    pub device_authorization_endpoint: Option<Url>,
    /// RFC 9126: the pushed authorization request endpoint.
    #[serde(default)]
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// RFC 9126 §5: the provider accepts authorization requests only through PAR.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.1: the JWS algorithms the provider accepts in DPoP proofs.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

impl ProviderMetadata {
    /// The metadata of a configured provider: discovered from its issuer with its `endpoints`
    /// overriding what discovery found, or, without discovery, built from its endpoints
    /// (the `issuer` as configured, empty when there is none).
    ///
    /// With a `cache`, a fresh cached discovery document is used instead of a request (and a
    /// fetched one is cached); [`Resolved::from_cache`] says which happened.
    pub(crate) async fn resolve(
        config: &ProviderConfig,
        http: &HttpClient,
        cache: Option<&DiskCache>,
    ) -> Result<Resolved> {
        let overrides = config.endpoints.clone().unwrap_or_default();
        let mut from_cache = None;
        let mut meta = match &config.issuer {
            Some(issuer) if config.discovers() => {
                let template = config.issuer_template_in_effect();
                match Self::cached(issuer, template.as_deref(), cache).await {
                    Some((meta, url)) => {
                        from_cache = Some(url);
                        meta
                    }
                    None => {
                        Self::discover_caching(issuer, template.as_deref(), http, cache).await?
                    }
                }
            }
            issuer => {
                let (Some(authorization), Some(token)) =
                    (&overrides.authorization, &overrides.token)
                else {
                    return Err(Error::config(
                        "endpoints",
                        "`authorization` and `token` are required without discovery",
                    ));
                };
                Self {
                    issuer: issuer.as_ref().map(Url::to_string).unwrap_or_default(),
                    authorization_endpoint: authorization.clone(),
                    token_endpoint: token.clone(),
                    jwks_uri: None,
                    revocation_endpoint: None,
                    introspection_endpoint: None,
                    userinfo_endpoint: None,
                    end_session_endpoint: None,
                    code_challenge_methods_supported: None,
                    authorization_response_iss_parameter_supported: false,
                    token_endpoint_auth_methods_supported: None,
                    device_authorization_endpoint: None,
                    pushed_authorization_request_endpoint: None,
                    require_pushed_authorization_requests: false,
                    dpop_signing_alg_values_supported: None,
                }
            }
        };
        let Endpoints {
            authorization,
            token,
            jwks_uri,
            revocation,
            userinfo,
            end_session,
            device_authorization,
        } = overrides;
        if let Some(u) = authorization {
            meta.authorization_endpoint = u;
        }
        if let Some(u) = token {
            meta.token_endpoint = u;
        }
        for (field, u) in [
            (&mut meta.jwks_uri, jwks_uri),
            (&mut meta.revocation_endpoint, revocation),
            (&mut meta.userinfo_endpoint, userinfo),
            (&mut meta.end_session_endpoint, end_session),
            (
                &mut meta.device_authorization_endpoint,
                device_authorization,
            ),
        ] {
            if u.is_some() {
                *field = u;
            }
        }
        Ok(Resolved {
            metadata: meta,
            from_cache,
        })
    }

    /// A fresh cached discovery document of `issuer` that passes the checks a fetched one
    /// must, and the URL it is cached under.
    async fn cached(
        issuer: &Url,
        template: Option<&str>,
        cache: Option<&DiskCache>,
    ) -> Option<(Self, Url)> {
        let cache = cache?;
        for url in discovery_urls(issuer) {
            let Some(hit) = cache.load(Kind::Metadata, &url).await else {
                continue;
            };
            let Ok(meta) = serde_json::from_value::<Self>(hit.doc) else {
                continue;
            };
            if is_metadata_issuer(issuer, template, &meta.issuer) && meta.check().is_ok() {
                return Some((meta, url));
            }
        }
        None
    }

    /// [`Self::fetch`], caching the document found for its HTTP lifetime.
    async fn discover_caching(
        issuer: &Url,
        template: Option<&str>,
        http: &HttpClient,
        cache: Option<&DiskCache>,
    ) -> Result<Self> {
        let (meta, url, doc, max_age) = Self::fetch(issuer, template, http).await?;
        if let Some(cache) = cache {
            cache
                .store(Kind::Metadata, &url, &doc, DiskCache::lifetime(max_age))
                .await;
        }
        Ok(meta)
    }

    /// Fetches `<issuer>/.well-known/openid-configuration`; if that is not found, the RFC 8414
    /// location `<origin>/.well-known/oauth-authorization-server<path>`. The returned `issuer`
    /// must equal the configured one exactly (OpenID Connect Discovery §4.3, RFC 8414 §3.3),
    /// or be the configured `issuerTemplate` verbatim (Entra's multi-tenant metadata names
    /// `…/{tenantid}/v2.0`). Issuer aliases never apply here.
    #[cfg(test)]
    pub async fn discover(issuer: &Url, template: Option<&str>, http: &HttpClient) -> Result<Self> {
        Self::fetch(issuer, template, http)
            .await
            .map(|(meta, ..)| meta)
    }

    /// Discovers the metadata (see `discover`, the tests' entry point), also answering where
    /// the document was found, the document as served, and its `Cache-Control` lifetime.
    async fn fetch(
        issuer: &Url,
        template: Option<&str>,
        http: &HttpClient,
    ) -> Result<(Self, Url, serde_json::Value, Option<Duration>)> {
        let mut tried = Vec::new();
        for url in discovery_urls(issuer) {
            match http.get_json_with_max_age::<serde_json::Value>(&url).await {
                Ok(Ok((doc, max_age))) => {
                    let meta: Self = serde_json::from_value(doc.clone()).map_err(|e| {
                        Error::DiscoveryFailed(format!("{url}: not the expected JSON: {e}"))
                    })?;
                    // Compared as URLs: `https://id.example` and `https://id.example/` are the
                    // same issuer (the `url` crate writes both with a `/`); or the template as
                    // written. From here on the provider's own string is the one ID tokens and
                    // RFC 9207 `iss` must match (through the provider's issuer policy).
                    if !is_metadata_issuer(issuer, template, &meta.issuer) {
                        return Err(Error::IssuerMismatch {
                            expected: issuer.to_string(),
                            found: meta.issuer,
                        });
                    }
                    meta.check()?;
                    return Ok((meta, url, doc, max_age));
                }
                Ok(Err(status)) => tried.push(format!("{url} → HTTP {status}")),
                Err(Error::InvalidResponse(m)) => return Err(Error::DiscoveryFailed(m)),
                Err(Error::Network(m)) => return Err(Error::DiscoveryFailed(m)),
                Err(other) => return Err(other),
            }
        }
        Err(Error::DiscoveryFailed(format!(
            "no provider metadata found ({})",
            tried.join("; ")
        )))
    }

    fn check(&self) -> Result<()> {
        let field = |name: &str| format!("provider metadata `{name}`");
        let insecure = |e: Error| match e {
            Error::InvalidConfig { field, message } => {
                Error::DiscoveryFailed(format!("{field} {message}"))
            }
            other => other,
        };
        check_secure_url(
            &self.authorization_endpoint,
            &field("authorization_endpoint"),
        )
        .map_err(insecure)?;
        check_secure_url(&self.token_endpoint, &field("token_endpoint")).map_err(insecure)?;
        for (name, u) in [
            ("jwks_uri", &self.jwks_uri),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("introspection_endpoint", &self.introspection_endpoint),
            ("userinfo_endpoint", &self.userinfo_endpoint),
            ("end_session_endpoint", &self.end_session_endpoint),
            (
                "device_authorization_endpoint",
                &self.device_authorization_endpoint,
            ),
            (
                "pushed_authorization_request_endpoint",
                &self.pushed_authorization_request_endpoint,
            ),
        ] {
            if let Some(u) = u {
                check_secure_url(u, &field(name)).map_err(insecure)?;
            }
        }
        if let Some(methods) = &self.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == "S256") {
                return Err(Error::DiscoveryFailed(format!(
                    "the provider does not support PKCE S256 (code_challenge_methods_supported = {methods:?}); `plain` is never used"
                )));
            }
        }
        Ok(())
    }
}

fn discovery_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    vec![oidc, rfc8414]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_locations() {
        let u = |s: &str| Url::parse(s).unwrap();
        let got: Vec<String> = discovery_urls(&u("https://id.example.com/realms/app"))
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            [
                "https://id.example.com/realms/app/.well-known/openid-configuration",
                "https://id.example.com/.well-known/oauth-authorization-server/realms/app"
            ]
        );
        let got: Vec<String> = discovery_urls(&u("https://id.example.com"))
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            [
                "https://id.example.com/.well-known/openid-configuration",
                "https://id.example.com/.well-known/oauth-authorization-server"
            ]
        );
    }

    /// A loopback server (plain http is allowed on loopback) whose metadata names `issuer`:
    /// a canned stand-in for a provider, to test the issuer comparison alone.
    async fn serving_issuer(issuer: &'static str) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let origin = base.as_str().trim_end_matches('/').to_string();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = serde_json::json!({
                    "issuer": issuer.replace("ORIGIN", &origin),
                    "authorization_endpoint": format!("{origin}/a"),
                    "token_endpoint": format!("{origin}/t"),
                })
                .to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(format!("{head}{body}").as_bytes()).await;
            }
        });
        base
    }

    /// Metadata naming the configured `issuerTemplate` verbatim is accepted (Entra's
    /// `/common`); another template, an alias or a tenant's issuer is `issuer_mismatch`.
    #[tokio::test]
    async fn discovery_accepts_the_template_verbatim_and_nothing_near_it() {
        let http = HttpClient::new_direct(std::time::Duration::from_secs(5), &[]).unwrap();
        let configured = |base: &Url| base.join("common/v2.0").unwrap();
        let template = |base: &Url| format!("{}{{tenantid}}/v2.0", base.as_str());
        for found in ["ORIGIN/{tenantid}/v2.0", "ORIGIN/common/v2.0"] {
            let base = serving_issuer(found).await;
            let meta =
                ProviderMetadata::discover(&configured(&base), Some(&template(&base)), &http)
                    .await
                    .unwrap_or_else(|e| panic!("{found}: {e}"));
            assert_eq!(
                meta.issuer,
                found.replace("ORIGIN", base.as_str().trim_end_matches('/'))
            );
        }
        for found in [
            "ORIGIN/{tenantid}/v1.0",
            "ORIGIN/{tenantid}/v2.0/",
            "ORIGIN/{TENANTID}/v2.0",
            "ORIGIN/%7Btenantid%7D/v2.0",
            "ORIGIN/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "https://evil.example/{tenantid}/v2.0",
        ] {
            let base = serving_issuer(found).await;
            let e = ProviderMetadata::discover(&configured(&base), Some(&template(&base)), &http)
                .await
                .unwrap_err();
            assert_eq!(e.code(), "issuer_mismatch", "{found}: {e}");
        }
        // Without a template configured, the verbatim template is another issuer.
        let base = serving_issuer("ORIGIN/{tenantid}/v2.0").await;
        let e = ProviderMetadata::discover(&configured(&base), None, &http)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "issuer_mismatch", "{e}");
        // Through the configuration: the template is passed on...
        let config = ProviderConfig::new(configured(&base), "c").issuer_template(template(&base));
        config.validate().unwrap();
        ProviderMetadata::resolve(&config, &http, None)
            .await
            .unwrap();
        // ...an alias is not: it is for ID tokens and RFC 9207 responses only.
        let base = serving_issuer("accounts.google.com").await;
        let config = ProviderConfig::new(base, "c").issuer_aliases(["accounts.google.com"]);
        config.validate().unwrap();
        let e = ProviderMetadata::resolve(&config, &http, None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "issuer_mismatch", "{e}");
    }
}
