//! Headless demo of the token-vault core (no Tauri): sign in through the system browser,
//! keep the refresh token in the OS credential store, get tokens, refresh, log out.
//!
//! ```text
//! cargo run --example cli -- [--issuer URL] [--client-id ID] [--scope S] [--ca-cert PEM]
//!     [--account NAME] [--service NAME] [--data-dir DIR]
//!     <login|status|token|refresh|logout|fetch URL [--allow ORIGIN]… [FETCH OPTIONS]>
//! ```
//! `fetch` takes curl's everyday options: `-X/--method METHOD`, `-H/--header 'Name: value'`
//! (repeatable), `-d/--data TEXT`, `--data-binary @FILE`. A refused request sends nothing.
//! Options also come from `TOKEN_VAULT_ISSUER`, `TOKEN_VAULT_CLIENT_ID`, `TOKEN_VAULT_SCOPE`,
//! `TOKEN_VAULT_CA_CERT`, `TOKEN_VAULT_ACCOUNT` (default `default`), `TOKEN_VAULT_SERVICE`
//! (default `tauri-plugin-token-vault-cli`), `TOKEN_VAULT_DATA_DIR` (default: the user's local data
//! directory, `<service>/locks`). Only `token` prints a
//! token. On failure: exit status 1 and `error: <code>: <message>` on stderr.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand};
use tauri_plugin_token_vault::LoginCancel;
use tauri_plugin_token_vault::SessionManager;
use tauri_plugin_token_vault::SystemBrowser;
use tauri_plugin_token_vault::{Allowlist, Error, ProviderConfig};
use url::Url;

/// The provider id the CLI stores its sessions under.
const PROVIDER: &str = "default";

#[derive(Parser)]
#[command(
    about = "token-vault core demo: OAuth 2.0 / OpenID Connect sign-in, tokens in the OS credential store"
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
    /// Account name: several sessions per provider can coexist.
    #[arg(long, env = "TOKEN_VAULT_ACCOUNT", default_value = "default")]
    account: String,
    /// Credential-store service name the session is stored under.
    #[arg(
        long,
        env = "TOKEN_VAULT_SERVICE",
        default_value = "tauri-plugin-token-vault-cli"
    )]
    service: String,
    /// Directory for the per-account lock files that coordinate refreshes between processes.
    #[arg(long, env = "TOKEN_VAULT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Extra authorization parameter for `login`, `name=value` (repeatable).
    #[arg(long = "param", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Access-token lifetime `token` must leave, in seconds (refreshes earlier if needed).
    #[arg(long, default_value_t = 0)]
    min_ttl: u64,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: a large variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Sign in through the system browser and store the session.
    Login,
    /// Print the session as JSON: {signedIn, subject, expiresAt, scopes}.
    Status,
    /// Print a valid access token (refreshing it if needed). The only command that prints a token.
    Token,
    /// Refresh now; print the new access-token expiry.
    Refresh,
    /// Revoke the tokens at the provider and wipe the stored session.
    Logout,
    /// Request `URL` with the access token attached in Rust (curl's everyday options); prints
    /// the status line and the body. A refused request sends nothing.
    Fetch {
        /// The URL to request.
        url: Url,
        /// An origin (or URL prefix) that may receive the token (repeatable). Nothing else does.
        #[arg(long = "allow", value_name = "ORIGIN")]
        allow: Vec<String>,
        /// Request method; default GET, or POST when a body is given.
        #[arg(short = 'X', long = "method", value_name = "METHOD")]
        method: Option<String>,
        /// A request header, `Name: value` (repeatable).
        #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Request body, the text as given (unlike curl, `@` is not special: see --data-binary).
        /// Content type `application/x-www-form-urlencoded` unless -H sets one, as in curl.
        #[arg(short = 'd', long = "data", value_name = "TEXT")]
        data: Option<String>,
        /// Request body: `@FILE` sends the file's bytes unchanged (`@-`: standard input);
        /// anything else is sent as given. Content type as for --data.
        #[arg(long = "data-binary", value_name = "@FILE", conflicts_with = "data")]
        data_binary: Option<String>,
    },
}

/// The request `fetch` sends, from its curl-style options. Errors are `fetch_invalid_request`
/// and never repeat a header's text (it could hold a secret).
fn fetch_request(
    url: Url,
    method: Option<String>,
    headers: Vec<String>,
    data: Option<String>,
    data_binary: Option<String>,
) -> Result<tauri_plugin_token_vault::FetchRequest, Error> {
    let body = match (data, data_binary) {
        (Some(text), _) => Some(text.into_bytes()),
        (None, Some(arg)) => Some(match arg.strip_prefix('@') {
            Some("-") => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
                    Error::FetchInvalidRequest(format!("--data-binary @-: cannot read stdin: {e}"))
                })?;
                bytes
            }
            Some(path) => std::fs::read(path).map_err(|e| {
                Error::FetchInvalidRequest(format!("--data-binary: cannot read `{path}`: {e}"))
            })?,
            None => arg.into_bytes(),
        }),
        (None, None) => None,
    };
    let mut request = tauri_plugin_token_vault::FetchRequest::get(url);
    for (i, h) in headers.iter().enumerate() {
        let (name, value) = h.split_once(':').ok_or_else(|| {
            Error::FetchInvalidRequest(format!("--header #{} is not `Name: value`", i + 1))
        })?;
        request
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    if body.is_some()
        && !request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        request.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    request.method = match method {
        Some(m) => m,
        None if body.is_some() => "POST".into(),
        None => "GET".into(),
    };
    request.body = body;
    Ok(request)
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

fn expiry_line(expires_at_ms: Option<u64>) -> String {
    match expires_at_ms {
        Some(ms) => {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            format!(
                "access token expires at {} (unix time, in {} s)",
                ms / 1000,
                ms.saturating_sub(now) / 1000
            )
        }
        None => "access token expiry not given by the provider".into(),
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let mut config = ProviderConfig::new(cli.issuer, cli.client_id)
        .scopes(cli.scope.split_whitespace())
        .ca_certificates(cli.ca_cert);
    if let Command::Fetch { allow, .. } = &cli.command {
        config = config.fetch_allowlist(Allowlist::parse(allow).map_err(|e| match e {
            // Name the field as the configuration file does.
            Error::InvalidConfig { field, message } => Error::InvalidConfig {
                field: format!("provider.{field}"),
                message,
            },
            other => other,
        })?);
    }
    config.validate()?;
    // The user's own data directory (never a predictable path in a shared /tmp, where another
    // user could create it first).
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => dirs::data_local_dir()
            .ok_or_else(|| Error::InvalidConfig {
                field: "dataDir".into(),
                message: "no user data directory: pass --data-dir".into(),
            })?
            .join(&cli.service)
            .join("locks"),
    };
    let sessions = SessionManager::new(
        &cli.service,
        HashMap::from([(PROVIDER.to_string(), config)]),
    )
    .with_lock_dir(data_dir);
    let account = cli.account.as_str();
    match cli.command {
        Command::Login => {
            let extra: BTreeMap<_, _> = cli.params.into_iter().collect();
            let cancel = LoginCancel::new();
            let on_ctrl_c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_ctrl_c.cancel();
                }
            });
            eprintln!("Opening the system browser to sign in…");
            let s = sessions
                .login(PROVIDER, account, &SystemBrowser, &extra, cancel)
                .await?;
            println!(
                "signed in as {}",
                s.subject
                    .as_deref()
                    .unwrap_or("(no subject: not OpenID Connect)")
            );
            println!("{}", expiry_line(s.expires_at));
            let stored = sessions.status(PROVIDER, account).await?;
            println!(
                "session stored in the credential store: {}",
                stored.signed_in && s.scopes.iter().any(|x| x == "offline_access")
            );
        }
        Command::Status => {
            let s = sessions.status(PROVIDER, account).await?;
            let json = serde_json::json!({
                "signedIn": s.signed_in,
                "subject": s.subject,
                "expiresAt": s.expires_at,
                "scopes": s.scopes,
            });
            println!("{json}");
        }
        Command::Token => {
            let t = sessions
                .get_token(PROVIDER, account, Duration::from_secs(cli.min_ttl))
                .await?;
            println!("{}", t.secret());
        }
        Command::Refresh => {
            let s = sessions.refresh(PROVIDER, account).await?;
            println!("{}", expiry_line(s.expires_at));
        }
        Command::Fetch {
            url,
            method,
            headers,
            data,
            data_binary,
            ..
        } => {
            let request = fetch_request(url, method, headers, data, data_binary)?;
            let r = sessions.fetch(PROVIDER, account, request).await?;
            println!("HTTP {} {}", r.status, r.status_text);
            println!("{}", String::from_utf8_lossy(&r.body));
        }
        Command::Logout => {
            let r = sessions.logout(PROVIDER, account).await?;
            match &r.revocation_error {
                None if r.revoked => println!("signed out; tokens revoked at the provider"),
                None => println!("signed out (there was no session)"),
                Some(e) => println!("signed out locally; revocation failed: {}: {e}", e.code()),
            }
            if r.end_session_url.is_some() {
                println!("the provider also offers RP-initiated logout in the browser");
            }
            if let Some(e) = &r.store_error {
                println!(
                    "the credential store still holds the session ({}: {e}); run logout again",
                    e.code()
                );
            }
        }
    }
    Ok(())
}
