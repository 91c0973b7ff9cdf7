import { type UnlistenFn } from '@tauri-apps/api/event';
/**
 * Stable, snake_case identifier of an error raised by the plugin. Match on it rather than on
 * the message, which is for people.
 *
 * @example
 * ```ts
 * import { login, isTokenVaultError, type ErrorCode } from 'tauri-plugin-token-vault-api'
 *
 * const retryable: ErrorCode[] = ['network', 'discovery_failed', 'login_timed_out']
 * try {
 *   await login('auth0')
 * } catch (e) {
 *   if (isTokenVaultError(e) && retryable.includes(e.code as ErrorCode)) {
 *     showRetryButton()
 *   }
 * }
 * ```
 */
export type ErrorCode = 'invalid_config' | 'unknown_provider' | 'discovery_failed' | 'issuer_mismatch' | 'browser_open_failed' | 'redirect_listener_failed' | 'login_in_progress' | 'login_cancelled' | 'login_timed_out' | 'authorization_denied' | 'authorization_failed' | 'invalid_authorization_response' | 'token_exchange_failed' | 'not_signed_in' | 'session_expired' | 'refresh_failed' | 'id_token_invalid' | 'network' | 'invalid_response' | 'fetch_not_allowed' | 'fetch_invalid_request' | 'fetch_response_too_large' | 'store_unavailable' | 'store_corrupted' | 'store_unsupported_version' | 'unsupported' | 'internal';
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
export declare class TokenVaultError extends Error {
    /** The plugin's {@link ErrorCode}, or `not_allowed` / `internal` (see the class docs). */
    readonly code: ErrorCode | 'not_allowed' | (string & {});
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
    constructor(code: string, message: string, options?: {
        cause?: unknown;
    });
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
export declare function isTokenVaultError(e: unknown): e is TokenVaultError;
/**
 * A session as page script sees it. It never contains a token.
 *
 * @example
 * ```ts
 * import { getSession, type SessionStatus } from 'tauri-plugin-token-vault-api'
 *
 * const s: SessionStatus = await getSession('auth0')
 * if (s.signedIn) {
 *   console.log(`${s.subject} until ${s.expiresAt ? new Date(s.expiresAt) : 'unknown'}`)
 * }
 * ```
 */
export interface SessionStatus {
    /** Provider id, as configured in the plugin's config. */
    provider: string;
    /** Account name (`default` unless one was given). */
    account: string;
    /** Whether a session exists (its access token may still need a refresh). */
    signedIn: boolean;
    /** The ID token's `sub`, when known. */
    subject: string | null;
    /** Granted scopes. */
    scopes: string[];
    /** Access-token expiry in milliseconds since the Unix epoch, when one is held in memory. */
    expiresAt: number | null;
    /** The latest validated ID token claims held in memory. */
    claims: Record<string, unknown> | null;
    /**
     * For a session whose tokens are bound to a DPoP key (RFC 9449, provider setting `dpop`),
     * the key's thumbprint (the `cnf.jkt` of its tokens); `null` for bearer tokens. Call APIs
     * with {@link authFetch}: it signs the proof each request needs, and the key never leaves
     * Rust. A token from {@link getToken} alone is refused by a server that checks the binding.
     */
    dpopJkt: string | null;
}
/**
 * What {@link logout} did. The local session is gone whatever these say.
 *
 * @example
 * ```ts
 * import { logout, type LogoutResult } from 'tauri-plugin-token-vault-api'
 *
 * const r: LogoutResult = await logout('auth0')
 * if (!r.revoked && r.revocationError) {
 *   console.warn('provider did not confirm revocation:', r.revocationError.code)
 * }
 * if (r.revocationSkipped) {
 *   console.info('the provider offers no revocation:', r.revocationSkipped)
 * }
 * if (!r.storeCleared) {
 *   console.warn('the credential store kept the session:', r.storeError?.code)
 * }
 * ```
 */
export interface LogoutResult {
    /** Whether the provider confirmed the revocation of the refresh (or access) token. */
    revoked: boolean;
    /** Why revocation failed, if it did. */
    revocationError: {
        code: string;
        message: string;
    } | null;
    /**
     * Why no revocation was attempted, when none was: the provider offers none (no revocation
     * endpoint, `revocationStyle: "none"`). Not an error.
     */
    revocationSkipped: string | null;
    /** Whether the provider has an RP-initiated logout (end-session) endpoint. */
    endSessionAvailable: boolean;
    /**
     * Whether the credential store no longer holds the session. When `false` the session
     * still ended in this app, and calling {@link logout} again retries the store.
     */
    storeCleared: boolean;
    /** Why the store could not be cleared, if it could not. */
    storeError: {
        code: string;
        message: string;
    } | null;
}
/**
 * Why a session changed, as carried by {@link SessionChangedEvent.reason}.
 *
 * - `login`: a sign-in completed.
 * - `restored`: a stored session was found at start-up.
 * - `logout`: {@link logout} was called.
 * - `session_expired`: the provider refused the refresh token.
 * - `store_corrupted`: the stored record could not be read and was discarded.
 * - `signed_out_elsewhere`: another process removed the session.
 * - `configuration_changed`: the provider's configuration no longer matches the session.
 *
 * @example
 * ```ts
 * import type { SessionChangeReason } from 'tauri-plugin-token-vault-api'
 *
 * const involuntary: SessionChangeReason[] = ['session_expired', 'store_corrupted', 'signed_out_elsewhere']
 * ```
 */
export type SessionChangeReason = 'login' | 'restored' | 'logout' | 'session_expired' | 'store_corrupted' | 'signed_out_elsewhere' | 'configuration_changed';
/**
 * Payload of the `token-vault://session-changed` event, delivered by
 * {@link onSessionChanged}. It never contains a token.
 *
 * @example
 * ```ts
 * import { onSessionChanged, type SessionChangedEvent } from 'tauri-plugin-token-vault-api'
 *
 * await onSessionChanged((e: SessionChangedEvent) => {
 *   if (e.state === 'signedOut' && e.reason === 'session_expired') {
 *     showSignInAgain(e.provider, e.account)
 *   }
 * })
 * ```
 */
export interface SessionChangedEvent {
    /** Provider id. */
    provider: string;
    /** Account name. */
    account: string;
    /** The new state. */
    state: 'signedIn' | 'signedOut';
    /** Why the session changed. */
    reason: SessionChangeReason;
    /** The subject, when signed in. */
    subject?: string;
    /** The ID token claims, when known. */
    claims?: Record<string, unknown>;
}
/**
 * Picks one of several sessions kept for the same provider.
 *
 * @example
 * ```ts
 * import { getSession, type AccountOptions } from 'tauri-plugin-token-vault-api'
 *
 * const work: AccountOptions = { account: 'work' }
 * await getSession('google', work)
 * ```
 */
export interface AccountOptions {
    /** Account name; `default` when omitted. */
    account?: string;
}
/**
 * Options of {@link login}.
 *
 * @example
 * ```ts
 * import { login, type LoginOptions } from 'tauri-plugin-token-vault-api'
 *
 * const options: LoginOptions = { account: 'work', extraParams: { login_hint: 'me@example.com' } }
 * await login('google', options)
 * ```
 */
export interface LoginOptions extends AccountOptions {
    /**
     * Extra query parameters for the authorization request (e.g. `login_hint`, `prompt`),
     * overriding the provider's configured ones. A parameter the plugin sets itself
     * (`client_id`, `redirect_uri`, `state`, `nonce`, `code_challenge`, ...) is refused with
     * `invalid_config`.
     */
    extraParams?: Record<string, string>;
}
/**
 * An access token with its type ({@link getToken} with `withType: true`).
 *
 * @example
 * ```ts
 * import { getToken, type TokenWithType } from 'tauri-plugin-token-vault-api'
 *
 * const t: TokenWithType = await getToken('auth0', { withType: true })
 * console.log(t.tokenType) // "Bearer" or "DPoP"
 * ```
 */
export interface TokenWithType {
    /** The access token. */
    accessToken: string;
    /** `"DPoP"` when bound to the session's DPoP key (use {@link authFetch}), else `"Bearer"`. */
    tokenType: 'Bearer' | 'DPoP';
}
/**
 * Options of {@link getToken}.
 *
 * @example
 * ```ts
 * import { getToken, type GetTokenOptions } from 'tauri-plugin-token-vault-api'
 *
 * const options: GetTokenOptions = { minTtlSecs: 120 }
 * const token = await getToken('auth0', options)
 * ```
 */
export interface GetTokenOptions extends AccountOptions {
    /** Refresh first unless the access token is valid for at least this many seconds. */
    minTtlSecs?: number;
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
export declare function login(provider: string, options?: LoginOptions): Promise<SessionStatus>;
/**
 * What the user needs to approve a device-code sign-in ({@link loginWithDeviceCode}) on another
 * device: the `token-vault://device-code` event. Show `userCode` and `verificationUri` (or a QR
 * code of `verificationUriComplete`). Never log it: the user code approves this sign-in for
 * whoever enters it.
 *
 * @example
 * ```ts
 * import { onDeviceCode, type DeviceCode } from 'tauri-plugin-token-vault-api'
 *
 * await onDeviceCode((code: DeviceCode) => {
 *   document.querySelector('#code')!.textContent = `${code.verificationUri}: ${code.userCode}`
 * })
 * ```
 */
export interface DeviceCode {
    /** Provider id. */
    provider: string;
    /** The account being signed in. */
    account: string;
    /** The code the user enters at `verificationUri`. */
    userCode: string;
    /** Where the user enters the code. */
    verificationUri: string;
    /** The verification URI with the code in it, when the provider gives one. */
    verificationUriComplete?: string | null;
    /** Seconds until the codes expire (the sign-in then rejects with `login_timed_out`). */
    expiresInSecs: number;
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
export declare function loginWithDeviceCode(provider: string, options?: LoginOptions): Promise<SessionStatus>;
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
export declare function onDeviceCode(handler: (code: DeviceCode) => void): Promise<UnlistenFn>;
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
export declare function logout(provider: string, options?: AccountOptions): Promise<LogoutResult>;
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
export declare function getSession(provider: string, options?: AccountOptions): Promise<SessionStatus>;
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
export declare function listSessions(): Promise<SessionStatus[]>;
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
export declare function refresh(provider: string, options?: AccountOptions): Promise<SessionStatus>;
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
export declare function cancelLogin(provider: string): Promise<boolean>;
/**
 * A valid access token for the session, refreshed first when it expires within `minTtlSecs`.
 *
 * **Off by default.** This command needs the opt-in permission `token-vault:allow-get-token`
 * in one of the app's capabilities; without it this rejects with code `not_allowed`. It is not
 * in the default set because a token held by page script is exactly what a cross-site
 * scripting (XSS) bug or a compromised dependency steals, while tokens that stay in Rust can
 * only be used, not taken. Grant it only to windows that need a raw token, and prefer
 * {@link authFetch} (requests made from Rust with the token attached).
 *
 * @param provider Provider id.
 * @param options `account`; `minTtlSecs`, the minimum remaining lifetime.
 * @returns The access token.
 *
 * @example
 * ```ts
 * // capabilities/default.json: "permissions": ["token-vault:default", "token-vault:allow-get-token"]
 * import { getToken } from 'tauri-plugin-token-vault-api'
 *
 * const token = await getToken('auth0', { minTtlSecs: 60 })
 * await fetch('https://api.example.com/me', { headers: { Authorization: `Bearer ${token}` } })
 * ```
 */
export declare function getToken(provider: string, options?: GetTokenOptions & {
    withType?: false;
}): Promise<string>;
/**
 * {@link getToken} with the token's type: `"DPoP"` for a session whose tokens are bound to a
 * DPoP key (provider setting `dpop`). Such a token is refused by any server that checks the
 * binding unless it comes with a proof signed by the key, which only {@link authFetch} can
 * make (the key never leaves Rust); `"Bearer"` otherwise.
 *
 * @example
 * ```ts
 * import { authFetch, getToken } from 'tauri-plugin-token-vault-api'
 *
 * const { accessToken, tokenType } = await getToken('okta', { withType: true })
 * const res = tokenType === 'DPoP'
 *   ? await authFetch('https://api.example.com/me', { provider: 'okta' })
 *   : await fetch('https://api.example.com/me', { headers: { Authorization: `Bearer ${accessToken}` } })
 * ```
 */
export declare function getToken(provider: string, options: GetTokenOptions & {
    withType: true;
}): Promise<TokenWithType>;
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
export declare function onSessionChanged(handler: (event: SessionChangedEvent) => void): Promise<UnlistenFn>;
/**
 * Options of {@link authFetch}: the standard `fetch` options plus which session's token to
 * attach and a timeout.
 *
 * Of the standard options, `method`, `headers`, `body` and `signal` (aborting cancels the
 * request in Rust, in flight or while its body streams) are used; `mode`, `credentials`,
 * `cache`, `redirect`, `referrer`, `integrity`, `keepalive` and `priority` have no effect,
 * because the request is made by the plugin in Rust, not by the webview (no cookies are sent,
 * redirects are never followed).
 *
 * @example
 * ```ts
 * import { authFetch, type AuthFetchInit } from 'tauri-plugin-token-vault-api'
 *
 * const init: AuthFetchInit = { provider: 'google', account: 'work', timeoutMs: 10_000 }
 * const res = await authFetch('https://www.googleapis.com/oauth2/v3/userinfo', init)
 * ```
 */
export interface AuthFetchInit extends RequestInit {
    /**
     * Provider id whose access token is attached. May be omitted when exactly one provider is
     * configured; with several, omitting it rejects with `fetch_invalid_request`.
     */
    provider?: string;
    /** Account name; `default` when omitted. */
    account?: string;
    /**
     * Timeout of the whole request in milliseconds (a non-negative integer, else `authFetch`
     * throws a `TypeError`); the provider's `httpTimeoutSecs` when omitted.
     */
    timeoutMs?: number;
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
export declare function authFetch(input: RequestInfo | URL, init?: AuthFetchInit): Promise<Response>;
