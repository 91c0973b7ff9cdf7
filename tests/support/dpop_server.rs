//! A resource server that validates DPoP (RFC 9449 §7, §4.3) the way a careful API would, over
//! TLS on 127.0.0.1 with the test provider's certificate, and records what it decided.
//!
//! A request is accepted when `Authorization: DPoP <token>` comes with exactly one `DPoP`
//! header holding a JWT with `typ` `dpop+jwt`, an asymmetric `alg` (ES256, EdDSA), a public
//! `jwk` (no `d`) whose key verifies the signature, `htm` the method, `htu` the URL without
//! query and fragment, `iat` within 60 s, a `jti` never seen, `ath` the token's SHA-256, the
//! server's nonce when nonces are required; and when the provider's introspection says the
//! token is active and bound (`cnf.jkt`) to the proof key's RFC 7638 thumbprint. Anything else
//! is a 401 with the reason recorded ([`DpopSeen::outcome`]).
#![allow(dead_code)]

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use sha2::Digest as _;
use url::Url;

use crate::support::{Idp, INTROSPECTOR};

/// What the server saw of one request and what it decided.
#[derive(Debug, Clone)]
pub struct DpopSeen {
    pub method: String,
    pub path: String,
    /// The `Authorization` scheme (`DPoP`, `Bearer`), if any.
    pub scheme: Option<String>,
    /// The raw `DPoP` header, if there was exactly one.
    pub proof: Option<String>,
    /// `accepted`, or why not: `no_token`, `no_proof`, `multiple_proofs`, `bad_proof`,
    /// `bad_typ`, `bad_alg`, `private_key_in_jwk`, `bad_signature`, `htm_mismatch`,
    /// `htu_mismatch`, `iat_out_of_range`, `jti_reused`, `ath_mismatch`, `use_dpop_nonce`,
    /// `token_inactive`, `key_not_bound`, `bearer_for_bound_token`.
    pub outcome: String,
}

struct Shared {
    origin: Url,
    introspection: Url,
    client: oauth2::reqwest::Client,
    require_nonce: bool,
    nonce: String,
    challenges: Mutex<usize>,
    jtis: Mutex<HashSet<String>>,
    seen: Mutex<Vec<DpopSeen>>,
}

pub struct DpopServer {
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

impl DpopServer {
    /// Starts serving on a free loopback port. With `require_nonce`, a proof without the
    /// server's nonce is answered `use_dpop_nonce` with a `DPoP-Nonce` header (one nonce per
    /// server, never rotated).
    pub async fn start(idp: &Idp, require_nonce: bool) -> Self {
        let tls = crate::support::tls_acceptor(&idp.ca_cert, &idp.tls_key_path());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = Url::parse(&format!("https://{}", listener.local_addr().unwrap())).unwrap();
        let client = crate::support::client_trusting(&idp.ca_cert)
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            origin,
            introspection: idp.url("/token/introspection"),
            client,
            require_nonce,
            nonce: format!("rs-nonce-{}", random_text()),
            challenges: Mutex::new(0),
            jtis: Mutex::default(),
            seen: Mutex::default(),
        });
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let (tls, shared) = (tls.clone(), serving.clone());
                tokio::spawn(async move {
                    let Ok(stream) = tls.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(shared.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        DpopServer {
            shared,
            _task: task,
        }
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> Url {
        self.shared.origin.join(path).unwrap()
    }

    /// Every request, in order.
    pub fn seen(&self) -> Vec<DpopSeen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// How many `use_dpop_nonce` challenges were sent.
    pub fn nonce_challenges(&self) -> usize {
        *self.shared.challenges.lock().unwrap()
    }
}

/// Why a request is refused: the recorded reason, the `WWW-Authenticate` error.
struct Refusal(&'static str, &'static str);

impl Shared {
    async fn handle(&self, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let authorization = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let proofs: Vec<String> = req
            .headers()
            .get_all("dpop")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let scheme = authorization
            .as_deref()
            .and_then(|a| a.split_once(' '))
            .map(|(s, _)| s.to_string());
        let proof = match proofs.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        let outcome = self
            .judge(&method, &path, authorization.as_deref(), &proofs)
            .await;
        let (status, body, outcome_text, mut headers) = match outcome {
            Ok((sub, jkt)) => (
                200,
                serde_json::json!({ "sub": sub, "jkt": jkt, "path": path }).to_string(),
                "accepted".to_string(),
                Vec::new(),
            ),
            Err(Refusal(reason, error)) => {
                let mut headers = vec![(
                    "www-authenticate",
                    format!(
                        "DPoP error=\"{error}\", error_description=\"{reason}\", algs=\"ES256 EdDSA\""
                    ),
                )];
                if reason == "use_dpop_nonce" {
                    *self.challenges.lock().unwrap() += 1;
                    headers.push(("dpop-nonce", self.nonce.clone()));
                }
                (401, String::new(), reason.to_string(), headers)
            }
        };
        self.seen.lock().unwrap().push(DpopSeen {
            method,
            path,
            scheme,
            proof,
            outcome: outcome_text,
        });
        let mut response = hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json");
        for (k, v) in headers.drain(..) {
            response = response.header(k, v);
        }
        response.body(Full::new(Bytes::from(body))).unwrap()
    }

    async fn judge(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        proofs: &[String],
    ) -> Result<(String, String), Refusal> {
        let Some((scheme, token)) = authorization.and_then(|a| a.split_once(' ')) else {
            return Err(Refusal("no_token", "invalid_token"));
        };
        if scheme.eq_ignore_ascii_case("bearer") {
            let info = self.introspect(token).await;
            return Err(match info.get("cnf") {
                Some(_) => Refusal("bearer_for_bound_token", "invalid_token"),
                None => Refusal("token_inactive", "invalid_token"),
            });
        }
        if !scheme.eq_ignore_ascii_case("dpop") {
            return Err(Refusal("no_token", "invalid_token"));
        }
        let proof = match proofs {
            [] => return Err(Refusal("no_proof", "invalid_dpop_proof")),
            [one] => one,
            _ => return Err(Refusal("multiple_proofs", "invalid_dpop_proof")),
        };
        let header = jsonwebtoken::decode_header(proof)
            .map_err(|_| Refusal("bad_proof", "invalid_dpop_proof"))?;
        if header.typ.as_deref() != Some("dpop+jwt") {
            return Err(Refusal("bad_typ", "invalid_dpop_proof"));
        }
        if !matches!(
            header.alg,
            jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::EdDSA
        ) {
            return Err(Refusal("bad_alg", "invalid_dpop_proof"));
        }
        let Some(jwk) = header.jwk.as_ref() else {
            return Err(Refusal("bad_proof", "invalid_dpop_proof"));
        };
        let jwk_json = serde_json::to_value(jwk).unwrap();
        if jwk_json.get("d").is_some() {
            return Err(Refusal("private_key_in_jwk", "invalid_dpop_proof"));
        }
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
            .map_err(|_| Refusal("bad_proof", "invalid_dpop_proof"))?;
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(proof, &key, &validation)
            .map_err(|_| Refusal("bad_signature", "invalid_dpop_proof"))?
            .claims;
        let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        if text("htm") != method {
            return Err(Refusal("htm_mismatch", "invalid_dpop_proof"));
        }
        let expected_htu = format!("{}{}", self.origin.as_str().trim_end_matches('/'), path);
        let htu = Url::parse(text("htu"))
            .map(|mut u| {
                u.set_query(None);
                u.set_fragment(None);
                u.to_string()
            })
            .unwrap_or_default();
        if htu != expected_htu {
            return Err(Refusal("htu_mismatch", "invalid_dpop_proof"));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let iat = claims.get("iat").and_then(|v| v.as_i64()).unwrap_or(0);
        if (now - iat).abs() > 60 {
            return Err(Refusal("iat_out_of_range", "invalid_dpop_proof"));
        }
        let jti = text("jti").to_string();
        if jti.is_empty() || !self.jtis.lock().unwrap().insert(jti) {
            return Err(Refusal("jti_reused", "invalid_dpop_proof"));
        }
        let ath = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()));
        if text("ath") != ath {
            return Err(Refusal("ath_mismatch", "invalid_dpop_proof"));
        }
        if self.require_nonce && text("nonce") != self.nonce {
            return Err(Refusal("use_dpop_nonce", "use_dpop_nonce"));
        }
        let info = self.introspect(token).await;
        if info["active"] != true {
            return Err(Refusal("token_inactive", "invalid_token"));
        }
        let jkt = thumbprint(&jwk_json);
        if info["cnf"]["jkt"].as_str() != Some(jkt.as_str()) {
            return Err(Refusal("key_not_bound", "invalid_token"));
        }
        Ok((info["sub"].as_str().unwrap_or_default().to_string(), jkt))
    }

    async fn introspect(&self, token: &str) -> serde_json::Value {
        self.client
            .post(self.introspection.clone())
            .basic_auth(INTROSPECTOR.0, Some(INTROSPECTOR.1))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap()
    }
}

/// RFC 7638 SHA-256 thumbprint of a public JWK (base64url). jsonwebtoken's `Jwk::thumbprint`
/// refuses OKP (Ed25519) keys, so the canonical members are written here for both kinds.
pub fn thumbprint(jwk: &serde_json::Value) -> String {
    let t = |k: &str| jwk[k].as_str().unwrap_or_default().to_string();
    let canonical = match t("kty").as_str() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            t("crv"),
            t("x"),
            t("y")
        ),
        "OKP" => format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, t("crv"), t("x")),
        other => panic!("a {other} key in a DPoP proof"),
    };
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()))
}

fn random_text() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A P-256 key of the test's own (not the session's): proofs a thief with a copied token
/// could make.
pub struct TestKey {
    pkcs8: Vec<u8>,
    jwk: jsonwebtoken::jwk::Jwk,
}

impl TestKey {
    pub fn new() -> Self {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }))
        .unwrap();
        TestKey { pkcs8, jwk }
    }

    /// A well-formed ES256 proof of this key (fresh `jti`, `iat` now).
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let mut claims = serde_json::json!({
            "jti": random_text(),
            "htm": method,
            "htu": url,
            "iat": SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
        });
        if let Some(t) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(t.as_bytes()))
                .into();
        }
        if let Some(n) = nonce {
            claims["nonce"] = n.into();
        }
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
        )
        .unwrap()
    }

    /// Its RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> String {
        thumbprint(&serde_json::to_value(&self.jwk).unwrap())
    }
}
