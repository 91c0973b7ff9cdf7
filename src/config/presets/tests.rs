//! Each preset's resolved configuration, overrides, and the README's table of presets.

use super::*;
use crate::config::{
    Config, ProviderConfig, RedirectHost, RevocationStyle, TokenEndpointAuthMethod,
};
use crate::error::Error;

/// A provider read from the configuration file `json` (one provider, id `p`).
fn read(json: &str) -> ProviderConfig {
    let c: Config = serde_json::from_str(&format!(r#"{{"providers":{{"p":{json}}}}}"#))
        .unwrap_or_else(|e| panic!("{json}: {e}"));
    c.providers["p"].clone()
}

fn invalid_field(p: &ProviderConfig) -> String {
    match p.validate() {
        Err(Error::InvalidConfig { field, .. }) => field,
        other => panic!("expected invalid_config, got {other:?}"),
    }
}

fn strings(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The same preset from the file and from Rust is the same configuration, and it validates
/// once what it needs is given.
fn both(preset: Preset, extra: &str) -> ProviderConfig {
    let file = read(&format!(
        r#"{{"preset":"{}","clientId":"cid"{extra}}}"#,
        preset.as_str()
    ));
    let rust = ProviderConfig::from_preset(preset, "cid");
    assert_eq!(file.preset, Some(preset));
    assert_eq!(rust.preset, Some(preset));
    assert_eq!(file.scopes, rust.scopes, "{preset:?}");
    assert_eq!(file.redirect.host, rust.redirect.host, "{preset:?}");
    assert_eq!(file.revocation_style, rust.revocation_style, "{preset:?}");
    assert_eq!(
        file.offline_access_prompt_consent, rust.offline_access_prompt_consent,
        "{preset:?}"
    );
    file.validate()
        .unwrap_or_else(|e| panic!("{preset:?} with {extra}: {e}"));
    file
}

#[test]
fn entra() {
    let p = both(Preset::Entra, "");
    assert_eq!(
        p.issuer.as_ref().unwrap().as_str(),
        "https://login.microsoftonline.com/common/v2.0"
    );
    assert_eq!(
        p.issuer_template_in_effect().as_deref(),
        Some("https://login.microsoftonline.com/{tenantid}/v2.0")
    );
    assert_eq!(strings(&p.scopes), ["openid", "profile", "offline_access"]);
    assert_eq!(p.redirect.host, RedirectHost::Localhost);
    assert_eq!(p.revocation_style, RevocationStyle::None);
    assert!(!p.offline_access_prompt_consent);
    assert_eq!(strings(&p.dead_refresh_token_errors), ["invalid_grant"]);
    // A tenant's own issuer: no template (no other tenant's tokens).
    let single = read(
        r#"{"preset":"entra","clientId":"cid","issuer":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"}"#,
    );
    single.validate().unwrap();
    assert_eq!(single.issuer_template_in_effect(), None);
    let orgs = read(
        r#"{"preset":"entra","clientId":"cid","issuer":"https://login.microsoftonline.com/organizations/v2.0"}"#,
    );
    assert!(orgs.issuer_template_in_effect().is_some());
    // Personal accounts: /consumers publishes its tenant's issuer; the error says which.
    let consumers = read(
        r#"{"preset":"entra","clientId":"cid","issuer":"https://login.microsoftonline.com/consumers/v2.0"}"#,
    );
    assert_eq!(invalid_field(&consumers), "provider.issuer");
    assert!(consumers
        .validate()
        .unwrap_err()
        .to_string()
        .contains(ENTRA_CONSUMERS_TENANT));
}

#[test]
fn google() {
    let p = both(Preset::Google, r#","clientSecret":"GOCSPX-x""#);
    assert_eq!(
        p.issuer.as_ref().unwrap().as_str(),
        "https://accounts.google.com/"
    );
    assert_eq!(strings(&p.issuer_aliases), ["accounts.google.com"]);
    assert_eq!(strings(&p.scopes), ["openid", "email", "profile"]);
    assert!(!p.offline_access_prompt_consent);
    assert_eq!(p.revocation_style, RevocationStyle::Rfc7009);
    let no_secret = read(r#"{"preset":"google","clientId":"cid"}"#);
    assert_eq!(invalid_field(&no_secret), "provider.clientSecret");
}

#[test]
fn auth0_okta_keycloak() {
    for preset in [Preset::Auth0, Preset::Okta, Preset::Keycloak] {
        let p = both(preset, r#","issuer":"https://tenant.example.com/""#);
        assert_eq!(strings(&p.scopes), ["openid", "profile", "offline_access"]);
        assert!(!p.offline_access_prompt_consent, "{preset:?}");
        assert_eq!(p.redirect.host, RedirectHost::Ipv4Loopback);
        assert_eq!(p.revocation_style, RevocationStyle::Rfc7009);
        let e = read(&format!(
            r#"{{"preset":"{}","clientId":"cid"}}"#,
            preset.as_str()
        ));
        assert_eq!(invalid_field(&e), "provider.issuer", "{preset:?}");
    }
}

#[test]
fn cognito() {
    let p = both(
        Preset::Cognito,
        r#","issuer":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC""#,
    );
    assert_eq!(strings(&p.scopes), ["openid", "email", "profile"]);
    assert_eq!(p.redirect.host, RedirectHost::Localhost);
    assert!(!p.offline_access_prompt_consent);
    assert_eq!(
        invalid_field(&read(r#"{"preset":"cognito","clientId":"cid"}"#)),
        "provider.issuer"
    );
}

#[test]
fn github() {
    let p = both(Preset::Github, r#","clientSecret":"gh""#);
    assert!(!p.discovers());
    assert_eq!(p.issuer, None);
    let e = p.endpoints.as_ref().unwrap();
    assert_eq!(
        e.authorization.as_ref().unwrap().as_str(),
        "https://github.com/login/oauth/authorize"
    );
    assert_eq!(
        e.token.as_ref().unwrap().as_str(),
        "https://github.com/login/oauth/access_token"
    );
    assert_eq!(
        e.revocation.as_ref().unwrap().as_str(),
        "https://api.github.com/applications/cid/token",
        "the revocation URL names the client"
    );
    assert_eq!(strings(&p.scopes), ["read:user"]);
    assert_eq!(
        p.token_endpoint_auth_method,
        Some(TokenEndpointAuthMethod::ClientSecretPost)
    );
    assert_eq!(p.revocation_style, RevocationStyle::Github);
    assert!(p.persist_access_token);
    assert_eq!(
        strings(&p.dead_refresh_token_errors),
        ["invalid_grant", "bad_refresh_token"]
    );
    assert_eq!(
        invalid_field(&read(r#"{"preset":"github","clientId":"cid"}"#)),
        "provider.clientSecret"
    );
    // The revocation URL names the client as one escaped segment, and follows a client id
    // set afterwards in Rust (an overridden one stays).
    let odd = read(r#"{"preset":"github","clientId":"a/b?c#d","clientSecret":"s"}"#);
    assert_eq!(
        odd.endpoints
            .as_ref()
            .unwrap()
            .revocation
            .as_ref()
            .unwrap()
            .as_str(),
        "https://api.github.com/applications/a%2Fb%3Fc%23d/token"
    );
    let renamed = ProviderConfig::from_preset(Preset::Github, "old").client_id("new");
    assert_eq!(
        renamed
            .endpoints
            .as_ref()
            .unwrap()
            .revocation
            .as_ref()
            .unwrap()
            .as_str(),
        "https://api.github.com/applications/new/token"
    );
    let own = ProviderConfig::from_preset(Preset::Github, "old")
        .endpoints(
            crate::config::Endpoints::overrides().revocation(
                "https://ghe.example.com/api/v3/applications/old/token"
                    .parse()
                    .unwrap(),
            ),
        )
        .client_id("new");
    let e = own.endpoints.as_ref().unwrap();
    assert_eq!(
        e.revocation.as_ref().unwrap().as_str(),
        "https://ghe.example.com/api/v3/applications/old/token"
    );
    assert_eq!(
        e.token.as_ref().unwrap().as_str(),
        "https://github.com/login/oauth/access_token",
        "the setter replaces the endpoints it is given, the preset's others stay"
    );
    own.client_secret("s").validate().unwrap();
}

#[test]
fn gitlab() {
    let p = both(Preset::Gitlab, "");
    assert_eq!(p.issuer.as_ref().unwrap().as_str(), "https://gitlab.com/");
    assert_eq!(strings(&p.scopes), ["openid", "profile"]);
    assert!(!p.offline_access_prompt_consent);
    // A self-managed instance: the issuer is overridden.
    let own = read(r#"{"preset":"gitlab","clientId":"cid","issuer":"https://git.example.com"}"#);
    assert_eq!(
        own.issuer.as_ref().unwrap().as_str(),
        "https://git.example.com/"
    );
}

#[test]
fn apple() {
    let p = both(Preset::Apple, r#","clientSecret":"eyJ.signed.jwt""#);
    assert_eq!(
        p.issuer.as_ref().unwrap().as_str(),
        "https://appleid.apple.com/"
    );
    assert_eq!(strings(&p.scopes), ["openid"]);
    assert_eq!(
        p.token_endpoint_auth_method,
        Some(TokenEndpointAuthMethod::ClientSecretPost)
    );
    let no_secret = ProviderConfig::from_preset(Preset::Apple, "com.example.app");
    assert_eq!(invalid_field(&no_secret), "provider.clientSecret");
    let hooked = no_secret.client_credentials(|_| {
        Ok(crate::config::ClientCredential::Secret(
            crate::secret::ClientSecret::new("jwt"),
        ))
    });
    hooked.validate().unwrap();
}

#[test]
fn dex() {
    let p = both(Preset::Dex, r#","issuer":"https://dex.example.com""#);
    assert_eq!(
        strings(&p.dead_refresh_token_errors),
        ["invalid_grant", "invalid_request"]
    );
    assert_eq!(p.revocation_style, RevocationStyle::None);
    assert_eq!(p.redirect.host, RedirectHost::Localhost);
    assert_eq!(strings(&p.scopes), ["openid", "profile", "offline_access"]);
    assert!(!p.offline_access_prompt_consent);
}

/// What the file sets wins, key by key inside `redirect` and `endpoints`; the Rust setters
/// override a preset the same way; without a preset the defaults are the plugin's own.
#[test]
fn every_preset_value_is_overridable() {
    let p = read(
        r#"{"preset":"entra","clientId":"cid","scopes":["openid"],"offlineAccessPromptConsent":true,
            "redirect":{"port":8400},"revocationStyle":"rfc7009","issuerTemplate":"https://login.microsoftonline.com/{tenantid}/v2.0","allowedTenants":["t1"]}"#,
    );
    p.validate().unwrap();
    assert_eq!(strings(&p.scopes), ["openid"]);
    assert!(p.offline_access_prompt_consent);
    assert_eq!(
        p.redirect.host,
        RedirectHost::Localhost,
        "kept from the preset"
    );
    assert_eq!(p.redirect.port, 8400);
    assert_eq!(p.revocation_style, RevocationStyle::Rfc7009);
    let g = read(
        r#"{"preset":"github","clientId":"cid","clientSecret":"s","endpoints":{"token":"https://ghe.example.com/login/oauth/access_token"},"persistAccessToken":false}"#,
    );
    let e = g.endpoints.as_ref().unwrap();
    assert_eq!(
        e.token.as_ref().unwrap().as_str(),
        "https://ghe.example.com/login/oauth/access_token"
    );
    assert_eq!(
        e.authorization.as_ref().unwrap().as_str(),
        "https://github.com/login/oauth/authorize",
        "the preset's other endpoints stay"
    );
    assert!(!g.persist_access_token);
    let rust = ProviderConfig::from_preset(Preset::Okta, "cid")
        .issuer("https://x.okta.com/oauth2/default".parse().unwrap())
        .offline_access_prompt_consent(true)
        .redirect_host(RedirectHost::Localhost);
    assert!(rust.offline_access_prompt_consent);
    assert_eq!(rust.redirect.host, RedirectHost::Localhost);
    let plain = read(r#"{"issuer":"https://id.example.com","clientId":"cid"}"#);
    assert_eq!(plain.preset, None);
    assert!(
        plain.offline_access_prompt_consent,
        "the default for unknown providers"
    );
    assert_eq!(strings(&plain.scopes), ["openid"]);
}

/// An unknown preset, or a setting of the wrong type under a preset, is refused by name
/// (the path is the CLI's and Tauri's to add, as for any setting).
#[test]
fn bad_presets_are_refused_by_name() {
    let e =
        serde_json::from_str::<Config>(r#"{"providers":{"ms":{"preset":"azure","clientId":"c"}}}"#)
            .unwrap_err()
            .to_string();
    assert!(e.contains("`azure`") && e.contains("`entra`"), "{e}");
    let e = serde_json::from_str::<Config>(
        r#"{"providers":{"ms":{"preset":"entra","clientId":"c","redirect":{"host":"0.0.0.0"}}}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("localhost"), "{e}");
    let e =
        serde_json::from_str::<Config>(r#"{"providers":{"ms":{"preset":"entra","clientID":"c"}}}"#)
            .unwrap_err()
            .to_string();
    assert!(e.contains("clientID"), "{e}");
    // `preset` is read by the configuration, not by a provider on its own.
    let e = serde_json::from_str::<ProviderConfig>(r#"{"preset":"entra","clientId":"c"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("preset"), "{e}");
}

/// The README's table of presets is the code's (rendered from the presets).
#[test]
fn the_readme_table_of_presets_is_the_code_s() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (_, rest) = readme
        .split_once("<!-- presets -->\n")
        .expect("README has a <!-- presets --> block");
    let (table, _) = rest
        .split_once("<!-- /presets -->")
        .expect("the block ends with <!-- /presets -->");
    let want = readme_table();
    assert_eq!(
        table, want,
        "README's table of presets differs from the code; it should read:\n{want}"
    );
    // And one section per preset.
    for p in Preset::ALL {
        assert!(
            readme.contains(&format!("#### `{}`", p.as_str())),
            "README has no section for {p:?}"
        );
    }
}

/// The README's table of presets (between `<!-- presets -->` markers), rendered from the
/// presets themselves; `tests` compares it with the README.
fn readme_table() -> String {
    let mut out =
        String::from("| `preset` | Sets (each overridable) | You give |\n|---|---|---|\n");
    for p in Preset::ALL {
        let spec = p.spec("CLIENT_ID");
        let mut sets: Vec<String> = spec
            .defaults
            .iter()
            .map(|(k, v)| format!("`{k}`: `{v}`"))
            .collect();
        if p == Preset::Entra {
            sets.push(
                "`issuerTemplate`: `\"https://login.microsoftonline.com/{tenantid}/v2.0\"` \
                 (for `common` and `organizations`)"
                    .into(),
            );
        }
        let required: Vec<String> = spec.required.iter().map(|r| format!("`{r}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            p.as_str(),
            sets.join("<br>"),
            required.join(", ")
        ));
    }
    out
}
