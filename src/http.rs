//! The HTTP client used for every provider request: reqwest (oauth2's re-export, rustls),
//! redirects disabled (SSRF; the oauth2 docs ask for it), timeouts, extra trusted CAs.

use std::time::Duration;

use oauth2::reqwest;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};

/// Provider responses bigger than this are refused (discovery, JWKS).
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A configured HTTP client (cheap to clone).
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// Builds a client trusting the system roots plus `extra_ca_pems`.
    pub fn new(timeout: Duration, extra_ca_pems: &[Vec<u8>]) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "tauri-plugin-token-vault/",
                env!("CARGO_PKG_VERSION")
            ));
        for (i, pem) in extra_ca_pems.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::config(
                    format!("caCertificates[{i}]"),
                    format!("not a PEM certificate: {e}"),
                )
            })?;
            if certs.is_empty() {
                return Err(Error::config(
                    format!("caCertificates[{i}]"),
                    "no certificate found in PEM",
                ));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let inner = builder
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(Self { inner })
    }

    /// The underlying client, for oauth2's request builders.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// GETs `url` and parses a JSON body. Transport errors and 5xx are `network`; other
    /// non-2xx statuses and unparsable bodies are returned as `Ok(Err(status))` /
    /// `invalid_response` so callers can word them.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<Result<T, u16>> {
        let resp = self
            .inner
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| Error::Network(describe_reqwest(&e, url)))?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(Error::Network(format!(
                "{url} answered HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Ok(Err(status.as_u16()));
        }
        let body = read_capped(resp, MAX_JSON_BYTES, url)
            .await?
            .ok_or_else(|| {
                Error::Network(format!(
                    "{url}: response larger than {MAX_JSON_BYTES} bytes"
                ))
            })?;
        serde_json::from_slice(&body)
            .map(Ok)
            .map_err(|e| Error::InvalidResponse(format!("{url}: not the expected JSON: {e}")))
    }
}

/// Reads a response body of at most `cap` bytes: `Ok(None)` when it is larger (reading stops
/// there), `network` on a transport error.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    url: &Url,
) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Error::Network(describe_reqwest(&e, url)))?
    {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// A transport error in words, without the request's query (which could hold a secret).
pub(crate) fn describe_reqwest(e: &reqwest::Error, url: &Url) -> String {
    let mut where_ = url.clone();
    where_.set_query(None);
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // reqwest's Display includes the URL; use the source chain instead.
    let mut cause = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() {
        format!("{where_}: {kind}")
    } else {
        format!("{where_}: {kind}: {cause}")
    }
}
