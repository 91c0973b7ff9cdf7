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
/// First byte of a `fetch` answer: the body's first piece follows the head and the piece
/// count; page script pulls the others with `piece` calls, several at a time.
#[cfg(feature = "fetch")]
const BODY_IN_PIECES: u8 = 2;

/// A buffered body over this size crosses the IPC in pieces ([`split`]): the answer leaves
/// with a small first piece, and the others are taken all at once, their transfers
/// overlapping. (WebKitGTK copies a custom-protocol response to the page 8 KiB per main-loop
/// turn, so one large answer is a long sequential loop; concurrent ones interleave. Measured
/// in the example app: 10 MiB in one answer 66–87 ms, in four concurrent ones 52–61 ms; at
/// 1 MiB and below, pieces gained nothing.)
#[cfg(feature = "fetch")]
const PIECES_OVER: u64 = 1 << 20;
/// The first piece (in the `send` answer).
#[cfg(feature = "fetch")]
const FIRST_PIECE: usize = 256 << 10;
/// The other pieces: one per this many bytes of the rest (rounded up)…
#[cfg(feature = "fetch")]
const LATER_PIECE_MIN: u64 = 512 << 10;
/// …and at most this many (page script takes them all at once), of equal size.
#[cfg(feature = "fetch")]
const LATER_PIECES: u64 = 4;

/// How a body of `len` bytes crosses in pieces: piece 0 of [`FIRST_PIECE`] bytes, then
/// `count - 1` pieces of `size` bytes (the last one shorter); `None` for a body that crosses
/// whole (at most [`PIECES_OVER`]).
#[cfg(feature = "fetch")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    count: u32,
    size: usize,
}

#[cfg(feature = "fetch")]
fn split(len: u64) -> Option<Split> {
    if len <= PIECES_OVER {
        return None;
    }
    let rest = len - FIRST_PIECE as u64;
    let later = rest.div_ceil(LATER_PIECE_MIN).min(LATER_PIECES);
    Some(Split {
        count: u32::try_from(later + 1).ok()?,
        size: usize::try_from(rest.div_ceil(later)).ok()?,
    })
}

/// Pieces page script has not pulled are dropped this long after the body was read.
#[cfg(feature = "fetch")]
const PIECES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

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
    /// The body's pieces, when it crosses in pieces.
    pieces: std::sync::OnceLock<std::sync::Arc<Pieces>>,
}

/// A body read into numbered pieces ([`split`]; piece 0 went with the answer), each taken
/// once by a `piece` call.
#[cfg(feature = "fetch")]
struct Pieces {
    count: u32,
    state: std::sync::Mutex<PiecesState>,
    /// Bumped on every change, waking the `piece` calls waiting for theirs.
    changed: tokio::sync::watch::Sender<()>,
}

#[cfg(feature = "fetch")]
struct PiecesState {
    /// Read and not taken yet.
    ready: std::collections::HashMap<u32, Vec<u8>>,
    taken: Vec<bool>,
    left: u32,
    failed: Option<crate::Error>,
}

#[cfg(feature = "fetch")]
impl Pieces {
    fn new(count: u32) -> Self {
        Pieces {
            count,
            state: std::sync::Mutex::new(PiecesState {
                ready: Default::default(),
                taken: vec![false; count as usize],
                left: count.saturating_sub(1),
                failed: None,
            }),
            changed: tokio::sync::watch::Sender::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PiecesState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put(&self, index: u32, bytes: Vec<u8>) {
        self.lock().ready.insert(index, bytes);
        self.changed.send_replace(());
    }

    fn fail(&self, error: crate::Error) {
        self.lock().failed = Some(error);
        self.changed.send_replace(());
    }

    /// Piece `index` (1 ..= count - 1), once read; the reading's error if it failed first.
    async fn take(
        &self,
        index: u32,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<Vec<u8>> {
        use crate::error::Error;
        if index == 0 || index >= self.count {
            return Err(Error::FetchInvalidRequest(format!(
                "piece {index} does not exist: this body has pieces 1 to {}",
                self.count - 1
            )));
        }
        let mut changes = self.changed.subscribe();
        loop {
            {
                let mut s = self.lock();
                if s.taken[index as usize] {
                    return Err(Error::FetchInvalidRequest(format!(
                        "piece {index} was already taken"
                    )));
                }
                if let Some(bytes) = s.ready.remove(&index) {
                    s.taken[index as usize] = true;
                    s.left -= 1;
                    drop(s);
                    self.changed.send_replace(());
                    return Ok(bytes);
                }
                if let Some(e) = &s.failed {
                    return Err(e.clone());
                }
            }
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(cancelled()),
                _ = changes.changed() => {}
            }
        }
    }

    /// Resolves once every piece has been taken.
    async fn all_taken(&self) {
        let mut changes = self.changed.subscribe();
        while self.lock().left > 0 {
            if changes.changed().await.is_err() {
                return;
            }
        }
    }
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
            pieces: std::sync::OnceLock::new(),
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

    fn get(&self, key: &(String, String)) -> Option<std::sync::Arc<InFlight>> {
        let r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        r.live.get(key).cloned()
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

/// `authFetch`. One IPC call, four operations ([`FetchCall`] in the `Token-Vault-Fetch`
/// header, percent-encoded JSON), all gated by `token-vault:allow-fetch`:
///
/// - `send`: the request body is the call's raw payload (bytes, never base64). The answer is
///   raw bytes: `[kind: u8][n: u32 little-endian][n bytes of JSON head: status, statusText,
///   headers, url]`, then by kind:
///   - 0: `[body]`, whole (at most `fetchMaxBodyBytes`);
///   - 2: `[count: u32 little-endian][piece 0]`: a body with a `Content-Length` over
///     [`PIECES_OVER`] and at most `fetchMaxBodyBytes` (and a request `id`), in `count`
///     pieces ([`split`]), answered as soon as piece 0 is read while the rest is read on;
///     page script takes pieces 1 to `count - 1` with `piece` calls;
///   - 1: nothing: the body (over `fetchMaxBodyBytes`) comes over the call's channel as raw
///     messages of up to about 1 MiB, then a JSON message `{"end": true}` or
///     `{"error": {code, message}}`; at most 8 MiB are sent ahead of page script's `ack`s.
/// - `piece`: piece `index` of request `id`'s body, raw, once read (each piece once); the
///   reading's error if it failed. Pieces not taken are dropped a minute after the body was
///   read.
/// - `cancel`: drops request `id` (in flight, streaming or in pieces): its connection is
///   closed.
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
        FetchCall::Piece { id, index } => {
            let flight = registry.get(&(label, id.clone()));
            let Some((pieces, flight)) =
                flight.and_then(|f| f.pieces.get().cloned().map(|p| (p, f)))
            else {
                return Err(Error::FetchInvalidRequest(format!(
                    "request `{id}` has no body waiting in pieces (finished, cancelled or expired)"
                )));
            };
            return Ok(tauri::ipc::Response::new(
                pieces.take(index, &flight.cancel).await?,
            ));
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
    let channel = channel
        .map(|c| {
            c.parse::<tauri::ipc::JavaScriptChannelId>()
                .map(|c| c.channel_on::<R, tauri::ipc::InvokeResponseBody>(webview.clone()))
                .map_err(|e| Error::FetchInvalidRequest(format!("channel `{c}`: {e}")))
        })
        .transpose()?;
    let request = FetchRequest::from_ipc(args, body)?;
    let has_id = id.is_some();
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
        let announced = started.content_length();
        let max_body = started.max_body;
        let pieces = match announced {
            Some(n) if has_id && n <= max_body as u64 => split(n),
            _ => None,
        };
        let mut out = Vec::with_capacity(
            9 + head.len()
                + match pieces {
                    Some(_) => FIRST_PIECE,
                    None => announced.map_or(0, |n| n.min(max_body as u64) as usize),
                },
        );
        out.push(if pieces.is_some() {
            BODY_IN_PIECES
        } else {
            BODY_FOLLOWS
        });
        out.extend_from_slice(&(head.len() as u32).to_le_bytes());
        out.extend_from_slice(&head);
        if let Some(split) = pieces {
            out.extend_from_slice(&split.count.to_le_bytes());
        }
        let head_len = out.len();
        let announced_too_large = announced.is_some_and(|n| n > max_body as u64);
        if !announced_too_large || channel.is_none() {
            loop {
                match started.chunk().await? {
                    None => return Ok((out, Tail::None)),
                    Some(c)
                        if pieces.is_some() && out.len() - head_len + c.len() >= FIRST_PIECE =>
                    {
                        // Piece 0 is complete: answer now; the rest is read meanwhile.
                        let take = FIRST_PIECE - (out.len() - head_len);
                        out.extend_from_slice(&c[..take]);
                        let rest = c[take..].to_vec();
                        if let Some(split) = pieces {
                            return Ok((out, Tail::Pieces(started, rest, split)));
                        }
                    }
                    Some(c) if out.len() - head_len + c.len() <= max_body => {
                        out.extend_from_slice(&c);
                    }
                    Some(c) => {
                        if channel.is_none() {
                            return Err(Error::FetchResponseTooLarge(max_body));
                        }
                        // Over the buffer cap: what was read so far leads the stream.
                        let mut first = out.split_off(head_len);
                        first.extend_from_slice(&c);
                        out[0] = BODY_STREAMED;
                        return Ok((out, Tail::Streamed(started, first)));
                    }
                }
            }
        }
        out[0] = BODY_STREAMED;
        Ok((out, Tail::Streamed(started, Vec::new())))
    };
    // A cancel that came first wins, before anything is sent.
    let (out, tail) = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(cancelled()),
        r = work => r?,
    };
    match (tail, channel) {
        (Tail::Streamed(started, first), Some(channel)) => {
            tauri::async_runtime::spawn(stream_body(registration, started, first, channel));
        }
        (Tail::Pieces(started, rest, split), _) => {
            let pieces = std::sync::Arc::new(Pieces::new(split.count));
            // Installed before the answer leaves, so no `piece` call can come first.
            let _ = registration.flight.pieces.set(pieces.clone());
            tauri::async_runtime::spawn(read_pieces(registration, started, rest, split, pieces));
        }
        _ => {}
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

/// What follows a `send` answer.
#[cfg(feature = "fetch")]
enum Tail {
    /// Nothing: the body was in the answer.
    None,
    /// The body streams over the channel, starting with these bytes.
    Streamed(crate::fetch::StartedFetch, Vec<u8>),
    /// The body is read on into pieces (these bytes start piece 1).
    Pieces(crate::fetch::StartedFetch, Vec<u8>, Split),
}

/// Reads the rest of a body into `pieces` (`carry` starts piece 1), then keeps them until
/// page script has taken them all, cancels, or [`PIECES_TTL`] passes. A failure (network,
/// a body shorter than announced) is what the waiting and later `piece` calls get.
#[cfg(feature = "fetch")]
async fn read_pieces(
    registration: Registration,
    mut started: crate::fetch::StartedFetch,
    carry: Vec<u8>,
    split: Split,
    pieces: std::sync::Arc<Pieces>,
) {
    let flight = registration.flight.clone();
    let total = started.content_length().unwrap_or_default();
    let size = split.size;
    let read = async {
        let mut index = 1;
        let mut consumed = FIRST_PIECE as u64;
        let capacity = |consumed: u64| total.saturating_sub(consumed).min(size as u64) as usize;
        let mut piece = Vec::with_capacity(capacity(consumed));
        let mut next = Some(carry);
        while let Some(c) = next {
            let mut c = &c[..];
            while !c.is_empty() {
                let take = (size - piece.len()).min(c.len());
                piece.extend_from_slice(&c[..take]);
                c = &c[take..];
                if piece.len() == size {
                    consumed += size as u64;
                    let full =
                        std::mem::replace(&mut piece, Vec::with_capacity(capacity(consumed)));
                    pieces.put(index, full);
                    index += 1;
                }
            }
            next = started.chunk().await?;
        }
        if !piece.is_empty() {
            pieces.put(index, piece);
            index += 1;
        }
        if index != pieces.count {
            return Err(crate::Error::Network(
                "the response body ended before its announced Content-Length".into(),
            ));
        }
        Ok(())
    };
    let outcome = tokio::select! {
        biased;
        () = flight.cancel.cancelled() => Err(cancelled()),
        r = read => r,
    };
    if let Err(e) = outcome {
        pieces.fail(e);
    }
    let kept = tokio::select! {
        biased;
        () = flight.cancel.cancelled() => true,
        () = pieces.all_taken() => true,
        () = tokio::time::sleep(PIECES_TTL) => false,
    };
    if !kept {
        // Wakes any `piece` call still waiting.
        flight.cancel.cancel();
    }
    drop(registration);
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

#[cfg(all(test, feature = "fetch"))]
mod tests {
    use super::*;

    #[test]
    fn bodies_over_one_mib_split_into_a_small_first_piece_and_at_most_four_others() {
        let mib = 1u64 << 20;
        let k = 1u64 << 10;
        // (length, count, size of the later pieces)
        let cases = [
            (mib + 1, 3, 393_217),
            (2 * mib, 5, 458_752),
            (3 * 512 * k + 256 * k, 4, 524_288),
            (10 * mib, 5, 2_555_904),
            (1 << 30, 5, 268_369_920),
        ];
        for (len, count, size) in cases {
            let s = split(len).unwrap();
            assert_eq!((s.count, s.size), (count, size), "{len}");
            // The pieces cover the body exactly: the last one is the rest, 1 ..= size bytes.
            let later = len - FIRST_PIECE as u64;
            let last = later - (s.count as u64 - 2) * s.size as u64;
            assert!(
                last >= 1 && last <= s.size as u64,
                "{len}: last piece {last}"
            );
        }
        assert_eq!(split(0), None);
        assert_eq!(split(mib), None, "1 MiB and less cross whole");
    }
}
