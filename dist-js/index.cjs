'use strict';

var core = require('@tauri-apps/api/core');
var event = require('@tauri-apps/api/event');

// tauri-plugin-token-vault-api: typed bindings for the webview.
//
// Every function calls one command of the `token-vault` plugin. Page script never sees a
// refresh token, and sees an access token only through `getToken`, which the default
// permission set does not allow.
/**
 * The error every function of this module rejects with.
 *
 * `code` is one of {@link ErrorCode} when the plugin itself failed. Two codes come from this
 * module instead: `not_allowed` when Tauri refused the command because the app's capabilities
 * do not grant its permission (for example `getToken` without `token-vault:allow-get-token`),
 * and `internal` for any other rejection that is not the plugin's `{ code, message }`.
 * `message` is the original text; the original rejection is kept as `cause`.
 *
 * @example
 * ```ts
 * import { getSession, TokenVaultError } from 'tauri-plugin-token-vault-api'
 *
 * try {
 *   await getSession('auth0')
 * } catch (e) {
 *   if (e instanceof TokenVaultError && e.code === 'store_unavailable') {
 *     alert('Unlock your keyring to continue: ' + e.message)
 *   }
 * }
 * ```
 */
class TokenVaultError extends Error {
    /**
     * @param code A stable, snake_case error code.
     * @param message Human-readable text.
     * @param options `cause`: the original rejection.
     *
     * @example
     * ```ts
     * throw new TokenVaultError('not_signed_in', 'no session for auth0/default')
     * ```
     */
    constructor(code, message, options) {
        super(message, options);
        this.name = 'TokenVaultError';
        this.code = code;
    }
}
/**
 * Whether `e` is a {@link TokenVaultError}: a type guard for `catch` blocks.
 *
 * @example
 * ```ts
 * import { refresh, isTokenVaultError } from 'tauri-plugin-token-vault-api'
 *
 * try {
 *   await refresh('auth0')
 * } catch (e) {
 *   if (isTokenVaultError(e) && e.code === 'session_expired') {
 *     await login('auth0')
 *   } else {
 *     throw e
 *   }
 * }
 * ```
 */
function isTokenVaultError(e) {
    return e instanceof TokenVaultError;
}
/** Turns whatever `invoke` rejected with into a {@link TokenVaultError}. */
function toTokenVaultError(e) {
    if (e instanceof TokenVaultError) {
        return e;
    }
    if (typeof e === 'object' && e !== null && typeof e.code === 'string') {
        const { code, message } = e;
        return new TokenVaultError(code, typeof message === 'string' ? message : code, { cause: e });
    }
    const text = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
    const code = text.includes('not allowed') ? 'not_allowed' : 'internal';
    return new TokenVaultError(code, text, { cause: e });
}
/** `invoke('plugin:token-vault|<command>', args)`, rejecting with a {@link TokenVaultError}. */
async function call(command, args) {
    try {
        return await core.invoke(`plugin:token-vault|${command}`, args);
    }
    catch (e) {
        throw toTokenVaultError(e);
    }
}
/**
 * Signs in with a configured provider in the system browser (authorization code flow with
 * PKCE and a loopback redirect) and stores the session in the OS credential store.
 *
 * Rejects with `login_cancelled` when {@link cancelLogin} is called, `login_timed_out`,
 * `authorization_denied` when the user declines, `login_in_progress` when one is already
 * running for this provider, among others.
 *
 * @param provider Provider id from the plugin's config.
 * @param options `account` to keep several sessions per provider; `extraParams` for the
 *   authorization request.
 * @returns The new session.
 *
 * @example
 * ```ts
 * import { login } from 'tauri-plugin-token-vault-api'
 *
 * const session = await login('auth0', { extraParams: { prompt: 'login' } })
 * console.log(`signed in as ${session.subject}`)
 * ```
 */
async function login(provider, options) {
    return await call('login', {
        provider,
        account: options?.account,
        extraParams: options?.extraParams
    });
}
/**
 * Signs in with the device authorization grant (RFC 8628), for a host without a usable browser:
 * the provider issues a user code, which arrives as the `token-vault://device-code` event
 * ({@link onDeviceCode}) for the app to show; the user enters it on another device (a phone);
 * this resolves once they approved, and the session is stored like any other.
 *
 * Rejects with `authorization_denied` when the user refuses, `login_timed_out` when the codes
 * expire, `login_cancelled` on {@link cancelLogin}, `login_in_progress` while another sign-in of
 * the provider runs, `unsupported` when the provider has no device authorization endpoint.
 *
 * @param provider Provider id from the plugin's config.
 * @param options `account`; `extraParams` for the device authorization request.
 * @returns The new session.
 *
 * @example
 * ```ts
 * import { loginWithDeviceCode, onDeviceCode } from 'tauri-plugin-token-vault-api'
 *
 * const unlisten = await onDeviceCode((c) => showCode(c.userCode, c.verificationUri))
 * try {
 *   const session = await loginWithDeviceCode('github')
 *   console.log(`signed in as ${session.subject}`)
 * } finally {
 *   unlisten()
 * }
 * ```
 */
async function loginWithDeviceCode(provider, options) {
    return await call('login_device_code', {
        provider,
        account: options?.account,
        extraParams: options?.extraParams
    });
}
/**
 * Calls `handler` with each device code a {@link loginWithDeviceCode} sign-in receives (the
 * `token-vault://device-code` event; needs the event permission of `core:default`).
 *
 * @returns A function that stops listening.
 *
 * @example
 * ```ts
 * import { onDeviceCode } from 'tauri-plugin-token-vault-api'
 *
 * const unlisten = await onDeviceCode((c) => console.info(`enter ${c.userCode}`))
 * unlisten()
 * ```
 */
async function onDeviceCode(handler) {
    try {
        return await event.listen('token-vault://device-code', (e) => {
            handler(e.payload);
        });
    }
    catch (e) {
        throw toTokenVaultError(e);
    }
}
/**
 * Signs out: revokes the tokens at the provider when it supports revocation, and removes the
 * session from the OS credential store (even when revocation fails).
 *
 * @param provider Provider id.
 * @param options `account`; `default` when omitted.
 * @returns What revocation did.
 *
 * @example
 * ```ts
 * import { logout } from 'tauri-plugin-token-vault-api'
 *
 * const { revoked } = await logout('auth0')
 * ```
 */
async function logout(provider, options) {
    return await call('logout', { provider, account: options?.account });
}
/**
 * The state of one session, signed in or not. Does not contact the provider.
 *
 * @param provider Provider id.
 * @param options `account`; `default` when omitted.
 *
 * @example
 * ```ts
 * import { getSession, login } from 'tauri-plugin-token-vault-api'
 *
 * const session = await getSession('auth0')
 * if (!session.signedIn) {
 *   await login('auth0')
 * }
 * ```
 */
async function getSession(provider, options) {
    return await call('session', { provider, account: options?.account });
}
/**
 * Every stored session, across providers and accounts.
 *
 * @example
 * ```ts
 * import { listSessions } from 'tauri-plugin-token-vault-api'
 *
 * for (const s of await listSessions()) {
 *   console.log(s.provider, s.account, s.signedIn)
 * }
 * ```
 */
async function listSessions() {
    return await call('sessions', {});
}
/**
 * Refreshes the access token now with the stored refresh token. Concurrent refreshes of the
 * same session are coalesced into one request. Rejects with `session_expired` when the
 * provider refuses the refresh token (the session is then removed).
 *
 * @param provider Provider id.
 * @param options `account`; `default` when omitted.
 * @returns The session after the refresh.
 *
 * @example
 * ```ts
 * import { refresh } from 'tauri-plugin-token-vault-api'
 *
 * const { expiresAt } = await refresh('auth0')
 * ```
 */
async function refresh(provider, options) {
    return await call('refresh', { provider, account: options?.account });
}
/**
 * Cancels a running sign-in for `provider`: its {@link login} rejects with `login_cancelled`.
 *
 * @param provider Provider id.
 * @returns Whether a sign-in was running.
 *
 * @example
 * ```ts
 * import { cancelLogin } from 'tauri-plugin-token-vault-api'
 *
 * cancelButton.onclick = () => cancelLogin('auth0')
 * ```
 */
async function cancelLogin(provider) {
    return await call('cancel_login', { provider });
}
async function getToken(provider, options) {
    return await call('get_token', {
        provider,
        account: options?.account,
        minTtlSecs: options?.minTtlSecs,
        withType: options?.withType
    });
}
/**
 * Calls `handler` on every session change (sign-in, restore at start-up, sign-out, expiry,
 * ...) of any provider and account.
 *
 * Needs `core:event:allow-listen` (part of `core:default`); without it this rejects with a
 * {@link TokenVaultError} of code `not_allowed`.
 *
 * @param handler Receives each {@link SessionChangedEvent}.
 * @returns A function that stops listening.
 *
 * @example
 * ```ts
 * import { onSessionChanged } from 'tauri-plugin-token-vault-api'
 *
 * const unlisten = await onSessionChanged((e) => {
 *   console.log(`${e.provider}/${e.account}: ${e.state} (${e.reason})`)
 * })
 * // later, e.g. when the component unmounts:
 * unlisten()
 * ```
 */
async function onSessionChanged(handler) {
    try {
        return await event.listen('token-vault://session-changed', (e) => {
            handler(e.payload);
        });
    }
    catch (e) {
        throw toTokenVaultError(e);
    }
}
/** The IPC header holding a `fetch` call's description. */
const FETCH_HEADER = 'Token-Vault-Fetch';
/** First byte of a `send` answer whose body comes over the channel (0: it follows the head). */
const BODY_STREAMED = 1;
/** A streamed body is acknowledged to Rust in steps of at least this many bytes. */
const ACK_STEP = 1 << 20;
/** Statuses whose response has no body (Fetch standard: "null body status"). */
const NULL_BODY_STATUSES = [101, 204, 205, 304];
/** Calls the `fetch` command with `op` in its header and `body` as raw payload. */
async function fetchCall(op, body = new Uint8Array(0)) {
    return await core.invoke('plugin:token-vault|fetch', body, {
        headers: { [FETCH_HEADER]: encodeURIComponent(JSON.stringify(op)) }
    });
}
/** A raw IPC answer as bytes (an `ArrayBuffer`; a number array through the IPC fallback). */
function answerBytes(r) {
    if (r instanceof ArrayBuffer) {
        return new Uint8Array(r);
    }
    if (ArrayBuffer.isView(r)) {
        return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
    }
    if (Array.isArray(r)) {
        return Uint8Array.from(r);
    }
    throw new TokenVaultError('internal', 'the fetch command answered something other than bytes');
}
/**
 * Unregisters `channel`'s callback in page script. The plugin only makes the Rust end of a
 * `send` call's channel when the body streams (that end, once dropped, would tell page script to
 * unregister it, at the cost of one script evaluation per call); for a body answered whole, or
 * a call that failed, page script does it here.
 */
function forget(channel) {
    const internals = window.__TAURI_INTERNALS__;
    internals?.unregisterCallback?.(channel.id);
}
/** A fresh request id (unguessable by other scripts, unique per webview). */
function requestId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
/** The abort reason of `signal` (an `AbortError` `DOMException` unless one was given). */
function abortReason(signal) {
    return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
/** Rejects with the signal's reason (an `AbortError` `DOMException`) when it is aborted. */
function throwIfAborted(signal) {
    if (signal?.aborted) {
        throw abortReason(signal);
    }
}
/**
 * `fetch` with the session's access token attached, the request being made by the plugin in
 * Rust: the token is added there (`Authorization: Bearer ...`) and is never visible to page
 * script, so switching from `fetch` is one word and no XSS bug can read the token.
 *
 * Takes the same arguments as `fetch` (plus {@link AuthFetchInit}'s `provider`, `account` and
 * `timeoutMs`) and resolves to a standard `Response` whose `url` is the URL that answered.
 *
 * - **Allow-list.** The token is only sent to URLs on the provider's `fetchAllowlist` (origins
 *   or URL prefixes in the plugin's provider config), over https (plain http to loopback hosts
 *   only). Any other URL rejects with `fetch_not_allowed` and nothing is sent; an empty
 *   allow-list turns `authFetch` off.
 * - **401.** When the API answers 401, the plugin refreshes the session once (shared with any
 *   concurrent refresh) and retries the request once; the second answer is returned as is.
 * - **Redirects** are returned, not followed (so the token never travels to another origin):
 *   a 3xx resolves with its status and `Location` header.
 * - **Headers.** Do not set `Authorization` (rejects with `fetch_invalid_request`). Cookies of
 *   the webview are not sent.
 * - **Abort.** A `signal` that is already aborted rejects with its reason (an `AbortError`)
 *   before anything is sent; aborting later cancels the request in Rust (its connection is
 *   closed), rejecting `authFetch` or erroring the body stream with the signal's reason.
 * - **Errors** are {@link TokenVaultError}s: `fetch_not_allowed`, `fetch_invalid_request`,
 *   `fetch_response_too_large` (a streamed body over the provider's `fetchMaxStreamBytes`:
 *   the body stream errors with it), `network`,
 *   `not_signed_in`, `session_expired`, ..., and `not_allowed` when the app's capabilities do
 *   not grant the command. An invalid URL or init rejects with a `TypeError`, like `fetch`.
 *   An HTTP error status (404, 500, ...) resolves like `fetch` does; check `res.ok`.
 *
 * - **Bodies** cross the IPC as raw bytes (any `BodyInit`: string, `Blob`, `ArrayBuffer`,
 *   typed array, `FormData`, `URLSearchParams`; exactly as `fetch` encodes them). A response
 *   body up to the provider's `fetchMaxBodyBytes` (default 10 MiB) arrives whole; a larger
 *   one streams: `res.body` is a `ReadableStream` fed as page script reads it (memory stays
 *   bounded), up to `fetchMaxStreamBytes` (default 1 GiB).
 *
 * @param input A URL, or a `Request`.
 * @param init `fetch` options, plus `provider`, `account` and `timeoutMs`.
 * @returns The response.
 *
 * @example
 * ```ts
 * import { authFetch } from 'tauri-plugin-token-vault-api'
 *
 * const res = await authFetch('https://api.example.com/me')
 * const me = await res.json()
 *
 * await authFetch('https://api.example.com/notes', {
 *   provider: 'auth0',
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ text: 'hello' })
 * })
 *
 * // A large download, streamed and cancellable.
 * const abort = new AbortController()
 * const big = await authFetch('https://api.example.com/export.zip', { signal: abort.signal })
 * for await (const chunk of big.body!) {
 *   console.log(`${chunk.length} bytes`) // abort.abort() stops the download in Rust
 * }
 * ```
 */
async function authFetch(input, init) {
    const { provider, account, timeoutMs, ...rest } = init ?? {};
    // Normalises the URL, method, headers (content-type of string, URLSearchParams, FormData
    // and Blob bodies) and body exactly as `fetch` would; a TypeError propagates as is.
    const req = new Request(input, rest);
    if (timeoutMs != null && !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0)) {
        throw new TypeError(`timeoutMs must be a non-negative integer, got ${timeoutMs}`);
    }
    throwIfAborted(rest.signal);
    throwIfAborted(req.signal);
    const body = req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(await req.arrayBuffer()) : undefined;
    const headers = [];
    req.headers.forEach((value, name) => {
        headers.push([name, value]);
    });
    // The fragment is not part of an HTTP request, and fetch's Response.url has none either.
    const hash = req.url.indexOf('#');
    const request = {
        method: req.method,
        url: hash < 0 ? req.url : req.url.slice(0, hash),
        headers,
        timeoutMs: timeoutMs ?? null
    };
    const signal = rest.signal ?? req.signal;
    throwIfAborted(signal);
    const id = requestId();
    const cancel = () => {
        fetchCall({ op: 'cancel', id }).catch(() => { });
    };
    // A body over fetchMaxBodyBytes streams over this channel (raw chunks, then the end or an
    // error), `ack`ed as it is read so Rust never runs more than a window ahead.
    let controller;
    let unacked = 0;
    let finished = false;
    const ack = () => {
        if (unacked > 0 && !finished) {
            const bytes = unacked;
            unacked = 0;
            fetchCall({ op: 'ack', id, bytes }).catch(() => { });
        }
    };
    const finish = () => {
        finished = true;
        signal?.removeEventListener('abort', onAbort);
    };
    const stream = new ReadableStream({
        start(c) {
            controller = c;
        },
        pull() {
            ack();
        },
        cancel() {
            if (!finished) {
                finish();
                cancel();
            }
        }
    }, new ByteLengthQueuingStrategy({ highWaterMark: ACK_STEP }));
    const channel = new core.Channel((m) => {
        if (finished) {
            return;
        }
        if (m instanceof ArrayBuffer) {
            controller.enqueue(new Uint8Array(m));
            unacked += m.byteLength;
            if (unacked >= ACK_STEP && (controller.desiredSize ?? 0) > 0) {
                ack();
            }
        }
        else if ('end' in m) {
            finish();
            controller.close();
        }
        else {
            finish();
            controller.error(toTokenVaultError(m.error));
        }
    });
    let rejectAbort = () => { };
    const aborted = new Promise((_, reject) => {
        rejectAbort = reject;
    });
    function onAbort() {
        const reason = abortReason(signal);
        if (!finished) {
            finish();
            cancel();
            controller.error(reason);
        }
        rejectAbort(reason);
    }
    signal?.addEventListener('abort', onAbort);
    let answer;
    try {
        const sent = fetchCall({ op: 'send', id, provider, account, channel: channel.toJSON(), request }, body);
        answer = answerBytes(await Promise.race([sent, aborted]));
    }
    catch (e) {
        finish();
        forget(channel);
        if (signal?.aborted) {
            throw abortReason(signal);
        }
        throw toTokenVaultError(e);
    }
    const headLength = new DataView(answer.buffer, answer.byteOffset + 1, 4).getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(answer.subarray(5, 5 + headLength)));
    const streamed = answer[0] === BODY_STREAMED;
    if (!streamed) {
        finish();
        forget(channel);
    }
    let res;
    try {
        const nullBody = NULL_BODY_STATUSES.includes(head.status);
        res = new Response(nullBody ? null : streamed ? stream : answer.subarray(5 + headLength), {
            status: head.status,
            statusText: head.statusText,
            headers: head.headers
        });
    }
    catch (e) {
        if (streamed) {
            finish();
            cancel();
        }
        // A status outside 200-599, or a reason phrase or header the Fetch API cannot represent.
        const text = e instanceof Error ? e.message : String(e);
        throw new TokenVaultError('invalid_response', `response cannot be represented: ${text}`, {
            cause: e
        });
    }
    Object.defineProperty(res, 'url', { value: head.url, enumerable: true });
    return res;
}

exports.TokenVaultError = TokenVaultError;
exports.authFetch = authFetch;
exports.cancelLogin = cancelLogin;
exports.getSession = getSession;
exports.getToken = getToken;
exports.isTokenVaultError = isTokenVaultError;
exports.listSessions = listSessions;
exports.login = login;
exports.loginWithDeviceCode = loginWithDeviceCode;
exports.logout = logout;
exports.onDeviceCode = onDeviceCode;
exports.onSessionChanged = onSessionChanged;
exports.refresh = refresh;
