//! Tauri commands: thin wrappers over [`crate::TokenVaultExt::token_vault`]. Errors reach page
//! script as `{ code, message }`.

use std::collections::BTreeMap;
use std::time::Duration;

#[cfg(feature = "fetch")]
use tauri::Manager;
use tauri::{AppHandle, Runtime};

use crate::error::Result;
#[cfg(feature = "fetch")]
use crate::fetch::FetchRequest;
#[cfg(feature = "fetch")]
use crate::models::{FetchCall, FetchHead};
use crate::models::{LogoutResult, SessionStatus};
use crate::TokenVaultExt;

/// The account used when a command (or page script) names none.
pub const DEFAULT_ACCOUNT: &str = "default";

fn account(a: &Option<String>) -> &str {
    a.as_deref().unwrap_or(DEFAULT_ACCOUNT)
}

#[tauri::command]
pub(crate) async fn login<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionStatus> {
    let vault = app.token_vault();
    vault
        .login(
            &provider,
            self::account(&account),
            extra_params.unwrap_or_default(),
        )
        .await
}

/// Signs in with the device authorization grant; the user code arrives as the
/// `token-vault://device-code` event. `cancel_login` cancels it like any sign-in.
#[tauri::command]
pub(crate) async fn login_device_code<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    extra_params: Option<BTreeMap<String, String>>,
) -> Result<SessionStatus> {
    app.token_vault()
        .login_with_device_code(
            &provider,
            self::account(&account),
            extra_params.unwrap_or_default(),
        )
        .await
}

#[tauri::command]
pub(crate) fn cancel_login<R: Runtime>(app: AppHandle<R>, provider: String) -> bool {
    app.token_vault().cancel_login(&provider)
}

#[tauri::command]
pub(crate) async fn logout<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<LogoutResult> {
    app.token_vault()
        .logout(&provider, self::account(&account))
        .await
}

#[tauri::command]
pub(crate) async fn session<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<SessionStatus> {
    app.token_vault()
        .session(&provider, self::account(&account))
        .await
}

#[tauri::command]
pub(crate) async fn sessions<R: Runtime>(app: AppHandle<R>) -> Result<Vec<SessionStatus>> {
    app.token_vault().sessions().await
}

#[tauri::command]
pub(crate) async fn refresh<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
) -> Result<SessionStatus> {
    app.token_vault()
        .refresh(&provider, self::account(&account))
        .await
}

/// What `get_token` answers: the token alone, or with its type (`withType`).
#[derive(serde::Serialize)]
#[serde(untagged)]
pub(crate) enum TokenAnswer {
    Token(String),
    #[serde(rename_all = "camelCase")]
    WithType {
        access_token: String,
        token_type: &'static str,
    },
}

#[tauri::command]
pub(crate) async fn get_token<R: Runtime>(
    app: AppHandle<R>,
    provider: String,
    account: Option<String>,
    min_ttl_secs: Option<u64>,
    with_type: Option<bool>,
) -> Result<TokenAnswer> {
    let ttl = Duration::from_secs(min_ttl_secs.unwrap_or(0));
    let token = app
        .token_vault()
        .session_manager()
        .get_token(&provider, self::account(&account), ttl)
        .await?;
    Ok(match with_type.unwrap_or(false) {
        true => TokenAnswer::WithType {
            access_token: token.secret().to_string(),
            token_type: token.token_type(),
        },
        false => TokenAnswer::Token(token.secret().to_string()),
    })
}

/// The IPC header holding a `fetch` call's JSON side channel ([`FetchCall`]),
/// percent-encoded (`encodeURIComponent`), so any header text survives the IPC.
#[cfg(feature = "fetch")]
pub(crate) const FETCH_HEADER: &str = "token-vault-fetch";

/// First byte of a `fetch` answer: the body follows the head.
#[cfg(feature = "fetch")]
const BODY_FOLLOWS: u8 = 0;
/// First byte of a `fetch` answer: the body comes over the call's channel.
#[cfg(feature = "fetch")]
const BODY_STREAMED: u8 = 1;

/// A streamed body is sent in messages of about this many bytes (as many as are ready)…
#[cfg(feature = "fetch")]
const STREAM_CHUNK: usize = 1 << 20;
/// …with at most this many bytes sent and not yet acknowledged by page script.
#[cfg(feature = "fetch")]
pub(crate) const STREAM_WINDOW: usize = 8 << 20;
/// Cancels that arrived before their request (kept, oldest dropped first).
#[cfg(feature = "fetch")]
const EARLY_CANCELS: usize = 64;

/// Page script's requests in flight and streams open, by (webview label, request id), for
/// `cancel` and `ack`.
#[cfg(feature = "fetch")]
#[derive(Clone, Default)]
pub(crate) struct FetchRegistry(std::sync::Arc<std::sync::Mutex<Registry>>);

#[cfg(feature = "fetch")]
#[derive(Default)]
struct Registry {
    live: std::collections::HashMap<(String, String), std::sync::Arc<InFlight>>,
    early_cancels: std::collections::VecDeque<(String, String)>,
}

#[cfg(feature = "fetch")]
struct InFlight {
    cancel: tokio_util::sync::CancellationToken,
    /// Bytes the stream may still send before page script acknowledges more.
    credit: tokio::sync::Semaphore,
}

/// Removes its request from the registry when dropped (finished, failed or cancelled).
#[cfg(feature = "fetch")]
struct Registration {
    registry: FetchRegistry,
    key: Option<(String, String)>,
    flight: std::sync::Arc<InFlight>,
}

#[cfg(feature = "fetch")]
impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(key) = &self.key {
            let mut r = self.registry.0.lock().unwrap_or_else(|e| e.into_inner());
            if r.live
                .get(key)
                .is_some_and(|f| std::sync::Arc::ptr_eq(f, &self.flight))
            {
                r.live.remove(key);
            }
        }
    }
}

#[cfg(feature = "fetch")]
impl FetchRegistry {
    fn register(&self, key: Option<(String, String)>) -> Registration {
        let flight = std::sync::Arc::new(InFlight {
            cancel: tokio_util::sync::CancellationToken::new(),
            credit: tokio::sync::Semaphore::new(STREAM_WINDOW),
        });
        if let Some(key) = &key {
            let mut r = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = r.early_cancels.iter().position(|k| k == key) {
                r.early_cancels.remove(i);
                flight.cancel.cancel();
            }
            r.live.insert(key.clone(), flight.clone());
        }
        Registration {
            registry: self.clone(),
            key,
            flight,
        }
    }

    fn cancel(&self, key: (String, String)) {
        let mut r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match r.live.get(&key) {
            Some(f) => f.cancel.cancel(),
            None => {
                if r.early_cancels.len() == EARLY_CANCELS {
                    r.early_cancels.pop_front();
                }
                r.early_cancels.push_back(key);
            }
        }
    }

    fn ack(&self, key: &(String, String), bytes: u64) {
        let r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = r.live.get(key) {
            // Never more credit than one window: a script acknowledging bytes it never
            // received gains nothing.
            let room = STREAM_WINDOW.saturating_sub(f.credit.available_permits());
            f.credit
                .add_permits(usize::try_from(bytes).unwrap_or(usize::MAX).min(room));
        }
    }
}

/// `authFetch`. One IPC call, three operations ([`FetchCall`] in the `Token-Vault-Fetch`
/// header, percent-encoded JSON), all gated by `token-vault:allow-fetch`:
///
/// - `send`: the request body is the call's raw payload (bytes, never base64). The answer is
///   raw bytes: `[kind: u8][n: u32 little-endian][n bytes of JSON head: status, statusText,
///   headers, url][body]`. Kind 0: the body follows, whole (at most `fetchMaxBodyBytes`).
///   Kind 1: nothing follows; the body (over `fetchMaxBodyBytes`) comes over the call's
///   channel as raw messages of up to about 1 MiB, then a JSON message `{"end": true}` or
///   `{"error": {code, message}}`; at most 8 MiB are sent ahead of page script's `ack`s.
/// - `cancel`: drops request `id` (in flight or streaming): its connection is closed.
/// - `ack`: page script consumed `bytes` of request `id`'s stream.
#[cfg(feature = "fetch")]
#[tauri::command]
pub(crate) async fn fetch<R: Runtime>(
    app: AppHandle<R>,
    webview: tauri::Webview<R>,
    request: tauri::ipc::Request<'_>,
) -> Result<tauri::ipc::Response> {
    use crate::error::Error;
    let call = fetch_call(request.headers())?;
    let registry = app.state::<FetchRegistry>().inner().clone();
    let label = webview.label().to_string();
    let (id, provider, account, channel, args) = match call {
        FetchCall::Cancel { id } => {
            registry.cancel((label, id));
            return Ok(tauri::ipc::Response::new(Vec::new()));
        }
        FetchCall::Ack { id, bytes } => {
            registry.ack(&(label, id), bytes);
            return Ok(tauri::ipc::Response::new(Vec::new()));
        }
        FetchCall::Send {
            id,
            provider,
            account,
            channel,
            request,
        } => (id, provider, account, channel, request),
    };
    let body = match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => bytes.clone(),
        tauri::ipc::InvokeBody::Json(serde_json::Value::Null) => Vec::new(),
        tauri::ipc::InvokeBody::Json(_) => {
            return Err(Error::FetchInvalidRequest(
                "the request body must be the call's raw payload (bytes), not JSON".into(),
            ))
        }
    };
    // Only the id for now: a `Channel` made from it tells page script when it is dropped (one
    // script evaluation in the webview), which a body answered whole does not need; page
    // script forgets the channel itself then. The channel is made when a body streams.
    let channel = channel
        .map(|c| {
            c.parse::<tauri::ipc::JavaScriptChannelId>()
                .map_err(|e| Error::FetchInvalidRequest(format!("channel `{c}`: {e}")))
        })
        .transpose()?;
    let request = FetchRequest::from_ipc(args, body)?;
    let registration = registry.register(id.map(|id| (label, id)));
    let cancel = registration.flight.cancel.clone();
    let vault = app.token_vault();
    let work = async {
        let mut started = vault
            .start_fetch(provider.as_deref(), self::account(&account), request)
            .await?;
        let head = serde_json::to_vec(&FetchHead {
            status: started.status,
            status_text: &started.status_text,
            headers: &started.headers,
            url: started.url.as_str(),
        })
        .map_err(|e| Error::Internal(format!("fetch head: {e}")))?;
        let head_len = 5 + head.len();
        let mut out = Vec::with_capacity(
            head_len
                + started
                    .content_length()
                    .map_or(0, |n| n.min(started.max_body as u64) as usize),
        );
        out.push(BODY_FOLLOWS);
        out.extend_from_slice(&(head.len() as u32).to_le_bytes());
        out.extend_from_slice(&head);
        let announced_too_large = started
            .content_length()
            .is_some_and(|n| n > started.max_body as u64);
        if !announced_too_large || channel.is_none() {
            loop {
                match started.chunk().await? {
                    None => return Ok((out, None)),
                    Some(c) if out.len() - head_len + c.len() <= started.max_body => {
                        out.extend_from_slice(&c);
                    }
                    Some(c) => {
                        if channel.is_none() {
                            return Err(Error::FetchResponseTooLarge(started.max_body));
                        }
                        // Over the buffer cap: what was read so far leads the stream.
                        let mut first = out.split_off(head_len);
                        first.extend_from_slice(&c);
                        out[0] = BODY_STREAMED;
                        return Ok((out, Some((started, first))));
                    }
                }
            }
        }
        out[0] = BODY_STREAMED;
        Ok((out, Some((started, Vec::new()))))
    };
    // A cancel that came first wins, before anything is sent.
    let (out, stream) = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(cancelled()),
        r = work => r?,
    };
    if let (Some((started, first)), Some(channel)) = (stream, channel) {
        tauri::async_runtime::spawn(crate::task::boxed(stream_body(
            registration,
            started,
            first,
            channel.channel_on(webview),
        )));
    }
    Ok(tauri::ipc::Response::new(out))
}

#[cfg(feature = "fetch")]
fn cancelled() -> crate::Error {
    crate::Error::Network("the request was cancelled by page script".into())
}

/// The [`FetchCall`] in the `Token-Vault-Fetch` header.
#[cfg(feature = "fetch")]
fn fetch_call(headers: &tauri::http::HeaderMap) -> Result<FetchCall> {
    use crate::error::Error;
    let raw = headers.get(FETCH_HEADER).ok_or_else(|| {
        Error::FetchInvalidRequest(format!(
            "the `{FETCH_HEADER}` IPC header (the request's description) is missing"
        ))
    })?;
    let text = percent_encoding::percent_decode(raw.as_bytes())
        .decode_utf8()
        .map_err(|_| {
            Error::FetchInvalidRequest(format!("the `{FETCH_HEADER}` IPC header is not UTF-8"))
        })?;
    serde_json::from_str(&text)
        .map_err(|e| Error::FetchInvalidRequest(format!("the `{FETCH_HEADER}` IPC header: {e}")))
}

/// Sends `chunk` over `channel` as raw messages, each once the window has room for it.
#[cfg(feature = "fetch")]
async fn send_chunk(
    flight: &InFlight,
    channel: &tauri::ipc::Channel<tauri::ipc::InvokeResponseBody>,
    chunk: Vec<u8>,
) -> Result<()> {
    // Larger pieces than the window would never get credit: split them.
    for piece in chunk.chunks(STREAM_WINDOW) {
        let permit = flight
            .credit
            .acquire_many(piece.len() as u32)
            .await
            .map_err(|_| cancelled())?;
        permit.forget();
        channel
            .send(tauri::ipc::InvokeResponseBody::Raw(piece.to_vec()))
            .map_err(|e| crate::Error::Internal(format!("channel: {e}")))?;
    }
    Ok(())
}

/// Sends a body over `channel`: `first`, then the rest as it arrives, in raw messages within
/// the flow-control window; then `{"end": true}`, or `{"error": {code, message}}` (over
/// `fetchMaxStreamBytes`, a network error). Cancelling the registration drops the response,
/// which closes its connection.
#[cfg(feature = "fetch")]
async fn stream_body(
    registration: Registration,
    mut started: crate::fetch::StartedFetch,
    first: Vec<u8>,
    channel: tauri::ipc::Channel<tauri::ipc::InvokeResponseBody>,
) {
    use tauri::ipc::InvokeResponseBody;
    let flight = registration.flight.clone();
    let send = |chunk: Vec<u8>| send_chunk(&flight, &channel, chunk);
    let pump = async {
        if !first.is_empty() {
            send(first).await?;
        }
        while let Some(chunk) = started.chunks(STREAM_CHUNK).await? {
            send(chunk).await?;
        }
        Ok::<(), crate::Error>(())
    };
    let outcome = tokio::select! {
        biased;
        () = flight.cancel.cancelled() => Err(cancelled()),
        r = pump => r,
    };
    let last = match outcome {
        Ok(()) => serde_json::json!({ "end": true }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    let _ = channel.send(InvokeResponseBody::Json(last.to_string()));
    drop(registration);
}

/// Without the `fetch` feature the command exists (the permission files list it) and answers
/// `unsupported`.
#[cfg(not(feature = "fetch"))]
#[tauri::command]
pub(crate) async fn fetch() -> Result<()> {
    Err(crate::Error::Unsupported(
        "authFetch (this app was built without the plugin's `fetch` feature)".into(),
    ))
}
