//! Headless demo of the token-vault core (no Tauri): sign in through the system browser.
//!
//! ```text
//! cargo run --example cli -- --issuer https://id.example.com --client-id my-app login
//! ```
//! Options also come from `TOKEN_VAULT_ISSUER`, `TOKEN_VAULT_CLIENT_ID`, `TOKEN_VAULT_SCOPE`,
//! `TOKEN_VAULT_CA_CERT`. On failure: exit status 1 and `error: <code>: <message>` on stderr.
//! It never prints a token.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, Subcommand};
use tauri_plugin_token_vault::oauth::OAuthClient;
use tauri_plugin_token_vault::redirect::SystemBrowser;
use tauri_plugin_token_vault::signin::sign_in;
use tauri_plugin_token_vault::{Error, ProviderConfig};
use tokio_util::sync::CancellationToken;
use url::Url;

#[derive(Parser)]
#[command(
    about = "token-vault core demo: OAuth 2.0 / OpenID Connect sign-in in the system browser"
)]
struct Cli {
    /// Issuer URL (discovery).
    #[arg(long, env = "TOKEN_VAULT_ISSUER")]
    issuer: Url,
    /// OAuth client id.
    #[arg(long, env = "TOKEN_VAULT_CLIENT_ID")]
    client_id: String,
    /// Space-separated scopes.
    #[arg(
        long,
        env = "TOKEN_VAULT_SCOPE",
        default_value = "openid profile offline_access"
    )]
    scope: String,
    /// Extra trusted CA certificate (PEM file).
    #[arg(long, env = "TOKEN_VAULT_CA_CERT")]
    ca_cert: Option<String>,
    /// Extra authorization parameter, `name=value` (repeatable), e.g. `login_hint=bob`.
    #[arg(long = "param", value_parser = parse_param)]
    params: Vec<(String, String)>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in through the system browser; prints the subject and the access-token expiry.
    Login,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not name=value"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let mut config = ProviderConfig::new(cli.issuer, cli.client_id);
    config.scopes = cli.scope.split_whitespace().map(String::from).collect();
    config.ca_certificates = cli.ca_cert.into_iter().collect();
    let client = OAuthClient::discover(config).await?;
    match cli.command {
        Command::Login => {
            let extra: BTreeMap<_, _> = cli.params.into_iter().collect();
            let cancel = CancellationToken::new();
            let on_ctrl_c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_ctrl_c.cancel();
                }
            });
            eprintln!("Opening the system browser to sign in…");
            let signed_in = sign_in(&client, &SystemBrowser, &extra, cancel).await?;
            println!(
                "signed in as {}",
                signed_in
                    .subject()
                    .unwrap_or("(no subject: not OpenID Connect)")
            );
            match signed_in.tokens.expires_at {
                Some(t) => {
                    let unix = t
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let left = t
                        .duration_since(SystemTime::now())
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    println!("access token expires at {unix} (unix time, in {left} s)");
                }
                None => println!("access token expiry not given by the provider"),
            }
            println!(
                "refresh token issued: {}",
                signed_in.tokens.refresh_token.is_some()
            );
            Ok(())
        }
    }
}
