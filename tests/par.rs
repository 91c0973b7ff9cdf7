//! Pushed authorization requests (RFC 9126) against the real provider with PAR on: the browser
//! is given `authorize?client_id=…&request_uri=…` and nothing else, for public and confidential
//! clients; `par: "off"` and `par: "required"`; the provider's refusal of a pushed request.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::Idp;
use tauri_plugin_token_vault::testing::{sign_in, OAuthClient, SignedIn};
use tauri_plugin_token_vault::{Error, ParMode, ProviderConfig, RedirectHost};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Signs in through the browser stand-in, recording what it was given (its own record file).
async fn sign_in_recorded(config: ProviderConfig, record: &Path) -> Result<SignedIn, Error> {
    let client = OAuthClient::discover(config).await?;
    let record = record.to_path_buf();
    let browser = move |url: &Url| {
        Command::new("node")
            .arg(support::root().join("tests/support/browser-standin.mjs"))
            .arg(url.as_str())
            .env("TV_BROWSER_RECORD", &record)
            .spawn()
            .map(|_| ())
            .map_err(|e| Error::BrowserOpenFailed(e.to_string()))
    };
    sign_in(
        &client,
        &browser,
        &BTreeMap::new(),
        CancellationToken::new(),
    )
    .await
}

/// The authorization URL the browser opened (the launch URL's target), from the record.
fn opened(record: &Path) -> Url {
    let text = std::fs::read_to_string(record).unwrap();
    let line = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["event"] == "authorize")
        .expect("the stand-in recorded the authorization URL");
    Url::parse(line["url"].as_str().unwrap()).unwrap()
}

fn record_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(format!("{name}.jsonl"))
}

fn params(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn with_par_the_browser_gets_only_the_client_id_and_the_request_uri() {
    let idp = Idp::start_with(&[("IDP_PAR", "1")]);
    let dir = tempfile::tempdir().unwrap();
    let clients = [
        ("public", idp.provider()),
        (
            "client_secret_basic",
            ProviderConfig::new(idp.issuer.clone(), support::CONFIDENTIAL_CLIENT)
                .client_secret(support::CONFIDENTIAL_SECRET)
                .scopes(["openid", "offline_access"])
                .ca_certificates([idp.ca_cert.display().to_string()]),
        ),
        (
            "client_secret_post",
            ProviderConfig::new(idp.issuer.clone(), "tv-post")
                .client_secret("tv-post-secret")
                .scopes(["openid", "offline_access"])
                .ca_certificates([idp.ca_cert.display().to_string()]),
        ),
    ];
    for (n, (what, config)) in clients.into_iter().enumerate() {
        let record = record_file(&dir, what);
        let signed = sign_in_recorded(config, &record)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(signed.subject(), Some("alice"), "{what}");
        let url = opened(&record);
        let p = params(&url);
        let mut keys: Vec<_> = p.keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["client_id", "request_uri"], "{what}: {url}");
        assert!(
            p["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"),
            "{what}"
        );
        // Not in the URL in any spelling either.
        let raw = url.as_str();
        for name in [
            "state",
            "nonce",
            "code_challenge",
            "redirect_uri",
            "scope",
            "127.0.0.1%2F",
        ] {
            assert!(!raw.contains(name), "{what}: `{name}` in {raw}");
        }
        assert_eq!(idp.stats().await["par"], n as u64 + 1, "{what}: pushed");
    }
}

#[tokio::test]
async fn par_off_sends_the_plain_request_and_required_without_an_endpoint_is_a_config_error() {
    let with_par = Idp::start_with(&[("IDP_PAR", "1")]);
    let dir = tempfile::tempdir().unwrap();
    let record = record_file(&dir, "off");
    sign_in_recorded(with_par.provider().par(ParMode::Off), &record)
        .await
        .expect("plain sign-in");
    let p = params(&opened(&record));
    assert!(p.contains_key("state") && p.contains_key("code_challenge"));
    assert_eq!(with_par.stats().await["par"], 0);

    let without = Idp::start();
    let e = OAuthClient::discover(without.provider().par(ParMode::Required))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_config", "{e}");
    assert!(
        e.to_string().contains("`provider.par`")
            && e.to_string()
                .contains("pushed_authorization_request_endpoint"),
        "{e}"
    );
    // From the configuration file: the value is read, a wrong one is refused by name.
    let c: tauri_plugin_token_vault::Config = serde_json::from_value(serde_json::json!({
        "providers": { "p": { "issuer": "https://x", "clientId": "c", "par": "required" } }
    }))
    .unwrap();
    c.validate().unwrap();
    let bad = serde_json::from_value::<tauri_plugin_token_vault::Config>(serde_json::json!({
        "providers": { "p": { "issuer": "https://x", "clientId": "c", "par": "always" } }
    }))
    .unwrap_err();
    assert!(
        bad.to_string().contains("unknown variant `always`"),
        "{bad}"
    );
}

/// A provider that requires PAR gets it even with `par: "off"`; one that refuses the pushed
/// request (a redirect URI it does not know) fails the sign-in before any browser opens.
#[tokio::test]
async fn a_provider_that_requires_par_gets_it_and_its_refusal_opens_nothing() {
    let idp = Idp::start_with(&[("IDP_PAR", "required")]);
    let dir = tempfile::tempdir().unwrap();
    let record = record_file(&dir, "required");
    sign_in_recorded(idp.provider().par(ParMode::Off), &record)
        .await
        .expect("pushed because the provider requires it");
    assert_eq!(params(&opened(&record)).len(), 2);

    // `tv-native` registered `http://127.0.0.1/callback` only, not `localhost`.
    let record = record_file(&dir, "refused");
    let e = sign_in_recorded(
        idp.provider().redirect_host(RedirectHost::Localhost),
        &record,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "authorization_failed", "{e}");
    assert!(e.to_string().contains("redirect_uri did not match"), "{e}");
    assert!(!record.exists(), "no browser was opened");
}
