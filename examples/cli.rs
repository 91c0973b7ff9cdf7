//! Headless demo of the token-vault core (no Tauri): sign in through the system browser,
//! keep the refresh token in the OS credential store, get tokens, refresh, log out.
//!
//! ```text
//! cargo run --example cli -- [--config FILE [--provider ID]] [--issuer URL] [--client-id ID]
//!     [--scope S] [--ca-cert PEM] [--account NAME] [--service NAME] [--data-dir DIR]
//!     <login [--device | --session-command CMD [--redirect-uri URI]]|status|token|refresh|logout
//!      |fetch URL [--allow ORIGIN]… [FETCH OPTIONS]>
//! ```
//! `login --session-command CMD` signs in through the mobile flow (the provider's
//! `mobile.redirectUri`, or `--redirect-uri`): CMD, run as `sh -c 'CMD "$1" "$2"'` with the
//! redirect URI and the authorization URL, stands in for iOS's and Android's authentication
//! session and prints the URL the provider redirected to. `login --device` signs in with the
//! device authorization grant: it prints the verification URI and the code to enter there.
//! `--config FILE` reads a provider setup as the plugin does: FILE is the plugin's
//! configuration object (`{"providers": {…}}`, the value of `plugins.token-vault`) or a whole
//! `tauri.conf.json`; `--provider ID` picks one of its providers (needed when it has several).
//! Every option of the file takes effect; the flags above, when given, override the file's.
//! `fetch` takes curl's everyday options: `-X/--method METHOD`, `-H/--header 'Name: value'`
//! (repeatable), `-d/--data TEXT`, `--data-binary @FILE`. A refused request sends nothing.
//! Options also come from `TOKEN_VAULT_CONFIG`, `TOKEN_VAULT_PROVIDER`, `TOKEN_VAULT_ISSUER`,
//! `TOKEN_VAULT_CLIENT_ID`, `TOKEN_VAULT_SCOPE`, `TOKEN_VAULT_CA_CERT`, `TOKEN_VAULT_ACCOUNT`
//! (default `default`), `TOKEN_VAULT_SERVICE` (default: the file's `service`, else the
//! `tauri.conf.json`'s `identifier`, else `tauri-plugin-token-vault-cli`), `TOKEN_VAULT_DATA_DIR`
//! (default: the user's local data directory, `<service>/locks`), `TOKEN_VAULT_CACHE_DIR`
//! (`--cache-dir`: the warm-start cache of discovery and JWKS; default `<data dir>/cache`,
//! empty: off). Only `token` prints a
//! token. On failure: exit status 1 and `error: <code>: <message>` on stderr.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand};
use serde_json::Value;
use tauri_plugin_token_vault::LoginCancel;
use tauri_plugin_token_vault::SessionManager;
use tauri_plugin_token_vault::SystemBrowser;
use tauri_plugin_token_vault::{Allowlist, Config, Error, ProviderConfig};
use tauri_plugin_token_vault::{AuthSession, AuthSessionFuture, AuthSessionRequest, DeviceCode};
use url::Url;

/// `login --session-command`: an external command as the platform authentication session.
struct CommandSession(String);

impl AuthSession for CommandSession {
    fn authorize<'a>(&'a self, request: &'a AuthSessionRequest) -> AuthSessionFuture<'a> {
        Box::pin(async move {
            let out = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{} \"$1\" \"$2\"", self.0))
                .arg("sh")
                .arg(request.redirect_uri.as_str())
                .arg(request.url.as_str())
                .stderr(std::process::Stdio::inherit())
                // Dropped (Ctrl-C, timeout): the session is dismissed.
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|e| Error::BrowserOpenFailed(format!("--session-command: {e}")))?;
            if !out.status.success() {
                return Err(Error::BrowserOpenFailed(format!(
                    "--session-command exited with {}",
                    out.status
                )));
            }
            let line = String::from_utf8_lossy(&out.stdout);
            Url::parse(line.trim()).map_err(|_| {
                Error::InvalidAuthorizationResponse(
                    "--session-command printed no redirect URL".into(),
                )
            })
        })
    }
}

/// The provider id the CLI stores its sessions under without `--config`.
const PROVIDER: &str = "default";
/// The credential-store service name when neither `--service` nor the file names one.
const SERVICE: &str = "tauri-plugin-token-vault-cli";
/// The scopes requested without `--config` and `--scope`.
const SCOPE: &str = "openid profile offline_access";

#[derive(Parser)]
#[command(
    about = "token-vault core demo: OAuth 2.0 / OpenID Connect sign-in, tokens in the OS credential store"
)]
struct Cli {
    /// Provider configuration: the plugin's configuration object (`plugins.token-vault`) or a
    /// whole `tauri.conf.json`. The flags below, when given, override its values.
    #[arg(long, env = "TOKEN_VAULT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The provider of --config to use (optional when the file has exactly one).
    #[arg(
        long,
        env = "TOKEN_VAULT_PROVIDER",
        value_name = "ID",
        requires = "config"
    )]
    provider: Option<String>,
    /// Issuer URL (discovery).
    #[arg(long, env = "TOKEN_VAULT_ISSUER", required_unless_present = "config")]
    issuer: Option<Url>,
    /// OAuth client id.
    #[arg(
        long,
        env = "TOKEN_VAULT_CLIENT_ID",
        required_unless_present = "config"
    )]
    client_id: Option<String>,
    /// Space-separated scopes [default without --config: openid profile offline_access].
    #[arg(long, env = "TOKEN_VAULT_SCOPE")]
    scope: Option<String>,
    /// Extra trusted CA certificate (PEM file).
    #[arg(long, env = "TOKEN_VAULT_CA_CERT")]
    ca_cert: Option<String>,
    /// Account name: several sessions per provider can coexist.
    #[arg(long, env = "TOKEN_VAULT_ACCOUNT", default_value = "default")]
    account: String,
    /// Credential-store service name the session is stored under [default: the file's
    /// `service`, else its `identifier`, else tauri-plugin-token-vault-cli].
    #[arg(long, env = "TOKEN_VAULT_SERVICE")]
    service: Option<String>,
    /// Directory for the per-account lock files that coordinate refreshes between processes.
    #[arg(long, env = "TOKEN_VAULT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The warm-start cache of the provider's discovery document and JWKS (default: `cache`
    /// in the data directory). `--cache-dir ''` turns it off.
    #[arg(long, env = "TOKEN_VAULT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
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
    /// Sign in through the system browser and store the session; or, with
    /// `--session-command`, through the mobile flow.
    Login {
        /// The mobile flow (what iOS and Android do): instead of the system browser and a
        /// loopback redirect, run `sh -c 'COMMAND "$1" "$2"'` with the provider's mobile
        /// redirect URI and the authorization URL; COMMAND stands in for the platform's
        /// authentication session and prints the URL the provider redirected to on stdout.
        /// E.g. `node tests/support/browser-standin.mjs --callback`.
        #[arg(long, value_name = "COMMAND")]
        session_command: Option<String>,
        /// The mobile redirect URI (`mobile.redirectUri`, e.g. `com.example.app:/oauth/callback`).
        #[arg(long, value_name = "URI")]
        redirect_uri: Option<Url>,
        /// The device authorization grant (RFC 8628), for a host without a browser (an SSH
        /// session): prints the verification URI and the user code to enter there, and waits.
        #[arg(long, conflicts_with_all = ["session_command", "redirect_uri"])]
        device: bool,
    },
    /// Print the session as JSON: {signedIn, subject, expiresAt, scopes, dpopJkt}.
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

/// What a run works with: the service name, the provider id and its configuration.
struct Setup {
    service: String,
    provider: String,
    config: ProviderConfig,
}

/// The setup from the flags alone (no `--config`): provider id `default`.
fn setup_from_flags(cli: &Cli) -> Result<Setup, Error> {
    // clap requires both without --config.
    let (Some(issuer), Some(client_id)) = (cli.issuer.clone(), cli.client_id.clone()) else {
        unreachable!("--issuer and --client-id are required without --config")
    };
    let mut config = ProviderConfig::new(issuer, client_id)
        .scopes(cli.scope.as_deref().unwrap_or(SCOPE).split_whitespace())
        .ca_certificates(cli.ca_cert.clone());
    if let Command::Login {
        redirect_uri: Some(uri),
        ..
    } = &cli.command
    {
        config = config.mobile_redirect_uri(uri.clone());
    }
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
    Ok(Setup {
        service: cli.service.clone().unwrap_or_else(|| SERVICE.into()),
        provider: PROVIDER.into(),
        config,
    })
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidConfig {
        field: field.into(),
        message: message.into(),
    }
}

/// The setup from `--config FILE`, read with the plugin's own [`Config`] (the same
/// deserialization from JSON and [`Config::validate`] as at app start-up), the flags given
/// written over the chosen provider's values first. Nothing is sent anywhere before it passes.
fn setup_from_file(cli: &Cli, file: &Path) -> Result<Setup, Error> {
    let shown = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid("--config", format!("cannot read `{shown}`: {e}")))?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| invalid("--config", format!("`{shown}` is not JSON: {e}")))?;
    // A tauri.conf.json has `identifier` (and `plugins`); the plugin's object has neither (it
    // takes `service` and `providers` only, so any other key is an unknown field there).
    let is_tauri_conf = document
        .as_object()
        .is_some_and(|o| o.contains_key("plugins") || o.contains_key("identifier"));
    let (mut plugin, identifier, root) = if is_tauri_conf {
        let plugin = document
            .get("plugins")
            .and_then(|p| p.get("token-vault"))
            .cloned()
            .ok_or_else(|| {
                invalid(
                    "plugins.token-vault",
                    format!("`{shown}` is a tauri.conf.json without a token-vault configuration"),
                )
            })?;
        let identifier = document.get("identifier").and_then(Value::as_str);
        (
            plugin,
            identifier.map(str::to_string),
            "plugins.token-vault",
        )
    } else {
        (document, None, "--config")
    };
    // The plugin reads `plugins.token-vault` as an `Option<Config>`: null is no configuration.
    if plugin.is_null() {
        plugin = Value::Object(Default::default());
    }
    let parse = |v: &Value| {
        serde_json::from_value::<Option<Config>>(v.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let ids: Vec<String> = match plugin.get("providers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(providers)) => providers.keys().cloned().collect(),
        // Not a map of providers: the parse says what is wrong, and where.
        Some(_) => {
            return Err(config_error(&plugin, root, &parse)
                .unwrap_or_else(|| invalid("providers", "must be an object of providers by id")))
        }
    };
    let listed = ids
        .iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let chosen = match (&cli.provider, ids.as_slice()) {
        (Some(id), _) if ids.contains(id) => Ok(id.clone()),
        (Some(id), []) => Err(invalid(
            "--provider",
            format!("no provider `{id}`: `{shown}` configures none"),
        )),
        (Some(id), _) => Err(invalid(
            "--provider",
            format!("no provider `{id}` in `{shown}`; its providers: {listed}"),
        )),
        (None, [only]) => Ok(only.clone()),
        (None, []) => Err(invalid(
            "providers",
            format!("`{shown}` configures no provider"),
        )),
        (None, _) => Err(invalid(
            "--provider",
            format!("`{shown}` configures several providers, pick one: {listed}"),
        )),
    };
    // No provider to pick: a file that does not parse says why first (`{"provider": …}`).
    let provider = chosen.map_err(|e| config_error(&plugin, root, &parse).unwrap_or(e))?;
    if let Some(Value::Object(p)) = plugin
        .get_mut("providers")
        .and_then(|ps| ps.get_mut(&provider))
    {
        override_with_flags(p, cli);
    }
    if let Some(e) = config_error(&plugin, root, &parse) {
        return Err(e);
    }
    let config: Config = serde_json::from_value::<Option<Config>>(plugin.clone())
        .map_err(|e| invalid(root, e.to_string()))?
        .unwrap_or_default();
    config.validate()?;
    let chosen = config
        .provider_config(&provider)
        .cloned()
        .ok_or_else(|| invalid("--provider", format!("no provider `{provider}`")))?;
    let service = cli
        .service
        .clone()
        .or_else(|| config.service_name().map(str::to_string))
        .or(identifier)
        .unwrap_or_else(|| SERVICE.into());
    Ok(Setup {
        service,
        provider,
        config: chosen,
    })
}

/// Writes the flags given over a provider of the file (camelCase keys, as in the file), so
/// they go through the same parse and checks, and errors name them as the file's own fields.
fn override_with_flags(p: &mut serde_json::Map<String, Value>, cli: &Cli) {
    if let Some(issuer) = &cli.issuer {
        p.insert("issuer".into(), issuer.as_str().into());
    }
    if let Some(client_id) = &cli.client_id {
        p.insert("clientId".into(), client_id.as_str().into());
    }
    if let Some(scope) = &cli.scope {
        p.insert("scopes".into(), scope.split_whitespace().collect());
    }
    if let Some(ca_cert) = &cli.ca_cert {
        p.insert("caCertificates".into(), vec![ca_cert.as_str()].into());
    }
    if let Command::Login {
        redirect_uri: Some(uri),
        ..
    } = &cli.command
    {
        let mobile = p.entry("mobile").or_insert_with(|| serde_json::json!({}));
        if let Some(m) = mobile.as_object_mut() {
            m.insert("redirectUri".into(), uri.as_str().into());
        }
    }
    if let Command::Fetch { allow, .. } = &cli.command {
        if !allow.is_empty() {
            p.insert(
                "fetchAllowlist".into(),
                allow.iter().map(String::as_str).collect(),
            );
        }
    }
}

/// The `invalid_config` error for a configuration `parse` refuses, naming the setting:
/// serde's messages name no path, so the value is taken apart until the setting is found. In an
/// object, the key whose removal changes the error; in an array, the shortest prefix that
/// still fails the same way. `None` when it parses.
fn config_error(
    root_value: &Value,
    root: &str,
    parse: &dyn Fn(&Value) -> Result<(), String>,
) -> Option<Error> {
    enum Step {
        Key(String),
        Index(usize),
    }
    fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
        path.iter().fold(v, |v, s| match s {
            Step::Key(k) => &mut v[k.as_str()],
            Step::Index(i) => &mut v[*i],
        })
    }
    let error = parse(root_value).err()?;
    let mut work = root_value.clone();
    let mut path: Vec<Step> = Vec::new();
    // A missing field is reported by the object that lacks it: nothing to remove there.
    let missing = error
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string);
    loop {
        let next = match at(&mut work, &path).clone() {
            Value::Object(map) => {
                // Removing a required sibling would change a missing-field error too: then
                // only the objects inside can hold the object that lacks the field.
                let holds_objects = |v: &Value| v.is_object() || v.is_array();
                map.iter().find_map(|(k, v)| {
                    if missing.is_some() && !holds_objects(v) {
                        return None;
                    }
                    let mut probe = work.clone();
                    if let Value::Object(m) = at(&mut probe, &path) {
                        m.remove(k);
                    }
                    (parse(&probe).err().as_ref() != Some(&error)).then(|| Step::Key(k.clone()))
                })
            }
            Value::Array(items) => (0..items.len()).find_map(|i| {
                let mut probe = work.clone();
                *at(&mut probe, &path) = Value::Array(items[..=i].to_vec());
                (parse(&probe).err().as_ref() == Some(&error)).then(|| {
                    *at(&mut work, &path) = Value::Array(items[..=i].to_vec());
                    Step::Index(i)
                })
            }),
            _ => None,
        };
        match next {
            Some(step) => path.push(step),
            None => break,
        }
    }
    let mut field = String::new();
    for step in &path {
        match step {
            Step::Key(k) if field.is_empty() => field.push_str(k),
            Step::Key(k) => {
                field.push('.');
                field.push_str(k);
            }
            Step::Index(i) => field.push_str(&format!("[{i}]")),
        }
    }
    if let Some(name) = missing {
        field = if field.is_empty() {
            name
        } else {
            format!("{field}.{name}")
        };
    }
    if field.is_empty() {
        field = root.to_string();
    }
    // A value the plugin's own parser refused (`fetchAllowlist`) says so in the plugin's words.
    let message = match error.strip_prefix("invalid configuration `") {
        Some(rest) => rest
            .split_once("`: ")
            .map_or(error.clone(), |(_, m)| m.to_string()),
        None => error.clone(),
    };
    Some(invalid(field, message))
}

async fn run(cli: Cli) -> Result<(), Error> {
    let Setup {
        service,
        provider,
        config,
    } = match &cli.config {
        Some(file) => setup_from_file(&cli, file)?,
        None => setup_from_flags(&cli)?,
    };
    let provider = provider.as_str();
    // The user's own data directory (never a predictable path in a shared /tmp, where another
    // user could create it first).
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => dirs::data_local_dir()
            .ok_or_else(|| Error::InvalidConfig {
                field: "dataDir".into(),
                message: "no user data directory: pass --data-dir".into(),
            })?
            .join(&service)
            .join("locks"),
    };
    let cache_dir = cli.cache_dir.unwrap_or_else(|| data_dir.join("cache"));
    let mut sessions =
        SessionManager::new(&service, HashMap::from([(provider.to_string(), config)]))
            .with_lock_dir(data_dir);
    if !cache_dir.as_os_str().is_empty() {
        sessions = sessions.with_cache_dir(cache_dir);
    }
    let account = cli.account.as_str();
    match cli.command {
        Command::Login {
            session_command,
            device,
            ..
        } => {
            let extra: BTreeMap<_, _> = cli.params.into_iter().collect();
            let cancel = LoginCancel::new();
            let on_ctrl_c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_ctrl_c.cancel();
                }
            });
            let s = match session_command {
                None if device => {
                    let show = |code: &DeviceCode| {
                        eprintln!(
                            "To sign in, open {} and enter the code {} (valid {} s).",
                            code.verification_uri, code.user_code, code.expires_in_secs
                        );
                        if let Some(complete) = &code.verification_uri_complete {
                            eprintln!("Or open {complete}");
                        }
                    };
                    sessions
                        .login_with_device_code(provider, account, &show, &extra, cancel)
                        .await?
                }
                Some(command) => {
                    eprintln!("Signing in through the authentication session command…");
                    let session = CommandSession(command);
                    sessions
                        .login_with_session(provider, account, &session, &extra, cancel)
                        .await?
                }
                None => {
                    eprintln!("Opening the system browser to sign in…");
                    sessions
                        .login(provider, account, &SystemBrowser, &extra, cancel)
                        .await?
                }
            };
            println!(
                "signed in as {}",
                s.subject
                    .as_deref()
                    .unwrap_or("(no subject: not OpenID Connect)")
            );
            println!("{}", expiry_line(s.expires_at));
            let stored = sessions.status(provider, account).await?;
            println!(
                "session stored in the credential store: {}",
                stored.signed_in && s.scopes.iter().any(|x| x == "offline_access")
            );
        }
        Command::Status => {
            let s = sessions.status(provider, account).await?;
            let json = serde_json::json!({
                "signedIn": s.signed_in,
                "subject": s.subject,
                "expiresAt": s.expires_at,
                "scopes": s.scopes,
                "dpopJkt": s.dpop_jkt,
            });
            println!("{json}");
        }
        Command::Token => {
            let t = sessions
                .get_token(provider, account, Duration::from_secs(cli.min_ttl))
                .await?;
            if t.is_dpop() {
                eprintln!(
                    "note: a DPoP-bound token: a server that checks the binding wants a proof of \
                     the session's key with it; use `fetch`"
                );
            }
            println!("{}", t.secret());
        }
        Command::Refresh => {
            let s = sessions.refresh(provider, account).await?;
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
            let r = sessions.fetch(provider, account, request).await?;
            println!("HTTP {} {}", r.status, r.status_text);
            println!("{}", String::from_utf8_lossy(&r.body));
        }
        Command::Logout => {
            let r = sessions.logout(provider, account).await?;
            match &r.revocation_error {
                None if r.revoked => println!("signed out; tokens revoked at the provider"),
                None => match &r.revocation_skipped {
                    Some(why) => println!("signed out; nothing revoked: {why}"),
                    None => println!("signed out (there was no session)"),
                },
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
