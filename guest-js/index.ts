// tauri-plugin-token-vault-api: typed bindings for the webview.
//
// Every function calls one command of the `token-vault` plugin. Page script never sees a
// refresh token, and sees an access token only through `getToken`, which the default
// permission set does not allow.
import { Channel, invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'

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
export type ErrorCode =
  | 'invalid_config'
  | 'unknown_provider'
  | 'discovery_failed'
  | 'issuer_mismatch'
  | 'browser_open_failed'
  | 'redirect_listener_failed'
  | 'login_in_progress'
  | 'login_cancelled'
  | 'login_timed_out'
  | 'authorization_denied'
  | 'authorization_failed'
  | 'invalid_authorization_response'
  | 'token_exchange_failed'
  | 'not_signed_in'
  | 'session_expired'
  | 'refresh_failed'
  | 'id_token_invalid'
  | 'network'
  | 'invalid_response'
  | 'fetch_not_allowed'
  | 'fetch_invalid_request'
  | 'fetch_response_too_large'
  | 'store_unavailable'
  | 'store_corrupted'
  | 'store_unsupported_version'
  | 'unsupported'
  | 'internal'

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
export class TokenVaultError extends Error {
  /** The plugin's {@link ErrorCode}, or `not_allowed` / `internal` (see the class docs). */
  readonly code: ErrorCode | 'not_allowed' | (string & {})

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
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenVaultError'
    this.code = code
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
export function isTokenVaultError(e: unknown): e is TokenVaultError {
  return e instanceof TokenVaultError
}

/** Turns whatever `invoke` rejected with into a {@link TokenVaultError}. */
function toTokenVaultError(e: unknown): TokenVaultError {
  if (e instanceof TokenVaultError) {
    return e
  }
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string') {
    const { code, message } = e as { code: string; message?: unknown }
    return new TokenVaultError(code, typeof message === 'string' ? message : code, { cause: e })
  }
  const text = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e)
  const code = text.includes('not allowed') ? 'not_allowed' : 'internal'
  return new TokenVaultError(code, text, { cause: e })
}

/** `invoke('plugin:token-vault|<command>', args)`, rejecting with a {@link TokenVaultError}. */
async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(`plugin:token-vault|${command}`, args)
  } catch (e) {
    throw toTokenVaultError(e)
  }
}

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
  provider: string
  /** Account name (`default` unless one was given). */
  account: string
  /** Whether a session exists (its access token may still need a refresh). */
  signedIn: boolean
  /** The ID token's `sub`, when known. */
  subject: string | null
  /** Granted scopes. */
  scopes: string[]
  /** Access-token expiry in milliseconds since the Unix epoch, when one is held in memory. */
  expiresAt: number | null
  /** The latest validated ID token claims held in memory. */
  claims: Record<string, unknown> | null
  /**
   * For a session whose tokens are bound to a DPoP key (RFC 9449, provider setting `dpop`),
   * the key's thumbprint (the `cnf.jkt` of its tokens); `null` for bearer tokens. Call APIs
   * with {@link authFetch}: it signs the proof each request needs, and the key never leaves
   * Rust. A token from {@link getToken} alone is refused by a server that checks the binding.
   */
  dpopJkt: string | null
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
  revoked: boolean
  /** Why revocation failed, if it did. */
  revocationError: { code: string; message: string } | null
  /**
   * Why no revocation was attempted, when none was: the provider offers none (no revocation
   * endpoint, `revocationStyle: "none"`). Not an error.
   */
  revocationSkipped: string | null
  /** Whether the provider has an RP-initiated logout (end-session) endpoint. */
  endSessionAvailable: boolean
  /**
   * Whether the credential store no longer holds the session. When `false` the session
   * still ended in this app, and calling {@link logout} again retries the store.
   */
  storeCleared: boolean
  /** Why the store could not be cleared, if it could not. */
  storeError: { code: string; message: string } | null
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
export type SessionChangeReason =
  | 'login'
  | 'restored'
  | 'logout'
  | 'session_expired'
  | 'store_corrupted'
  | 'signed_out_elsewhere'
  | 'configuration_changed'

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
  provider: string
  /** Account name. */
  account: string
  /** The new state. */
  state: 'signedIn' | 'signedOut'
  /** Why the session changed. */
  reason: SessionChangeReason
  /** The subject, when signed in. */
  subject?: string
  /** The ID token claims, when known. */
  claims?: Record<string, unknown>
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
  account?: string
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
  extraParams?: Record<string, string>
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
  accessToken: string
  /** `"DPoP"` when bound to the session's DPoP key (use {@link authFetch}), else `"Bearer"`. */
  tokenType: 'Bearer' | 'DPoP'
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
  minTtlSecs?: number
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
export async function login(provider: string, options?: LoginOptions): Promise<SessionStatus> {
  return await call<SessionStatus>('login', {
    provider,
    account: options?.account,
    extraParams: options?.extraParams
  })
}

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
  provider: string
  /** The account being signed in. */
  account: string
  /** The code the user enters at `verificationUri`. */
  userCode: string
  /** Where the user enters the code. */
  verificationUri: string
  /** The verification URI with the code in it, when the provider gives one. */
  verificationUriComplete?: string | null
  /** Seconds until the codes expire (the sign-in then rejects with `login_timed_out`). */
  expiresInSecs: number
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
export async function loginWithDeviceCode(
  provider: string,
  options?: LoginOptions
): Promise<SessionStatus> {
  return await call<SessionStatus>('login_device_code', {
    provider,
    account: options?.account,
    extraParams: options?.extraParams
  })
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
export async function onDeviceCode(handler: (code: DeviceCode) => void): Promise<UnlistenFn> {
  try {
    return await listen<DeviceCode>('token-vault://device-code', (e) => {
      handler(e.payload)
    })
  } catch (e) {
    throw toTokenVaultError(e)
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
export async function logout(provider: string, options?: AccountOptions): Promise<LogoutResult> {
  return await call<LogoutResult>('logout', { provider, account: options?.account })
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
export async function getSession(
  provider: string,
  options?: AccountOptions
): Promise<SessionStatus> {
  return await call<SessionStatus>('session', { provider, account: options?.account })
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
export async function listSessions(): Promise<SessionStatus[]> {
  return await call<SessionStatus[]>('sessions', {})
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
export async function refresh(provider: string, options?: AccountOptions): Promise<SessionStatus> {
  return await call<SessionStatus>('refresh', { provider, account: options?.account })
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
export async function cancelLogin(provider: string): Promise<boolean> {
  return await call<boolean>('cancel_login', { provider })
}

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
export async function getToken(provider: string, options?: GetTokenOptions & { withType?: false }): Promise<string>
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
export async function getToken(provider: string, options: GetTokenOptions & { withType: true }): Promise<TokenWithType>
export async function getToken(
  provider: string,
  options?: GetTokenOptions & { withType?: boolean }
): Promise<string | TokenWithType> {
  return await call<string | TokenWithType>('get_token', {
    provider,
    account: options?.account,
    minTtlSecs: options?.minTtlSecs,
    withType: options?.withType
  })
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
export async function onSessionChanged(
  handler: (event: SessionChangedEvent) => void
): Promise<UnlistenFn> {
  try {
    return await listen<SessionChangedEvent>('token-vault://session-changed', (e) => {
      handler(e.payload)
    })
  } catch (e) {
    throw toTokenVaultError(e)
  }
}

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
  provider?: string
  /** Account name; `default` when omitted. */
  account?: string
  /**
   * Timeout of the whole request in milliseconds (a non-negative integer, else `authFetch`
   * throws a `TypeError`); the provider's `httpTimeoutSecs` when omitted.
   */
  timeoutMs?: number
}

/** The request part of a `send` call of the `fetch` command (its body is the raw payload). */
interface FetchArgs {
  method: string
  url: string
  headers: [string, string][]
  timeoutMs: number | null
}

/**
 * One call of the `fetch` command, sent as percent-encoded JSON in the {@link FETCH_HEADER}
 * IPC header: `send` a request (body: the call's raw payload), `cancel` one, or `ack` bytes
 * of a streamed body that page script has taken (flow control).
 */
type FetchCall =
  | {
      op: 'send'
      id: string
      provider?: string
      account?: string
      channel: string
      request: FetchArgs
    }
  | { op: 'cancel'; id: string }
  | { op: 'ack'; id: string; bytes: number }

/** The JSON head of a `send` answer. */
interface FetchHead {
  status: number
  statusText: string
  headers: [string, string][]
  url: string
}

/** What the stream of a large body gets besides raw chunks: its end or its error. */
type StreamControl = { end: true } | { error: { code: string; message: string } }

/** The IPC header holding a `fetch` call's description. */
const FETCH_HEADER = 'Token-Vault-Fetch'

/** First byte of a `send` answer whose body comes over the channel (0: it follows the head). */
const BODY_STREAMED = 1

/** A streamed body is acknowledged to Rust in steps of at least this many bytes. */
const ACK_STEP = 1 << 20

/** Statuses whose response has no body (Fetch standard: "null body status"). */
const NULL_BODY_STATUSES = [101, 204, 205, 304]

/** Calls the `fetch` command with `op` in its header and `body` as raw payload. */
async function fetchCall(op: FetchCall, body: Uint8Array = new Uint8Array(0)): Promise<unknown> {
  return await invoke<unknown>('plugin:token-vault|fetch', body, {
    headers: { [FETCH_HEADER]: encodeURIComponent(JSON.stringify(op)) }
  })
}

/** A raw IPC answer as bytes (an `ArrayBuffer`; a number array through the IPC fallback). */
function answerBytes(r: unknown): Uint8Array<ArrayBuffer> {
  if (r instanceof ArrayBuffer) {
    return new Uint8Array(r)
  }
  if (ArrayBuffer.isView(r)) {
    return new Uint8Array(r.buffer as ArrayBuffer, r.byteOffset, r.byteLength)
  }
  if (Array.isArray(r)) {
    return Uint8Array.from(r as number[])
  }
  throw new TokenVaultError('internal', 'the fetch command answered something other than bytes')
}

/**
 * Unregisters `channel`'s callback in page script. The plugin only makes the Rust end of a
 * `send` call's channel when the body streams (that end, once dropped, would tell page script to
 * unregister it, at the cost of one script evaluation per call); for a body answered whole, or
 * a call that failed, page script does it here.
 */
function forget(channel: { id: number }): void {
  const internals = (
    window as unknown as {
      __TAURI_INTERNALS__?: { unregisterCallback?: (id: number) => void }
    }
  ).__TAURI_INTERNALS__
  internals?.unregisterCallback?.(channel.id)
}

/** A fresh request id (unguessable by other scripts, unique per webview). */
function requestId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** The abort reason of `signal` (an `AbortError` `DOMException` unless one was given). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

/** Rejects with the signal's reason (an `AbortError` `DOMException`) when it is aborted. */
function throwIfAborted(signal: AbortSignal | null | undefined): void {
  if (signal?.aborted) {
    throw abortReason(signal)
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
export async function authFetch(input: RequestInfo | URL, init?: AuthFetchInit): Promise<Response> {
  const { provider, account, timeoutMs, ...rest } = init ?? {}
  // Normalises the URL, method, headers (content-type of string, URLSearchParams, FormData
  // and Blob bodies) and body exactly as `fetch` would; a TypeError propagates as is.
  const req = new Request(input, rest)
  if (timeoutMs != null && !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0)) {
    throw new TypeError(`timeoutMs must be a non-negative integer, got ${timeoutMs}`)
  }
  throwIfAborted(rest.signal)
  throwIfAborted(req.signal)

  const body =
    req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(await req.arrayBuffer()) : undefined
  const headers: [string, string][] = []
  req.headers.forEach((value, name) => {
    headers.push([name, value])
  })
  // The fragment is not part of an HTTP request, and fetch's Response.url has none either.
  const hash = req.url.indexOf('#')
  const request: FetchArgs = {
    method: req.method,
    url: hash < 0 ? req.url : req.url.slice(0, hash),
    headers,
    timeoutMs: timeoutMs ?? null
  }
  const signal = rest.signal ?? req.signal
  throwIfAborted(signal)
  const id = requestId()
  const cancel = (): void => {
    fetchCall({ op: 'cancel', id }).catch(() => {})
  }

  // A body over fetchMaxBodyBytes streams over this channel (raw chunks, then the end or an
  // error), `ack`ed as it is read so Rust never runs more than a window ahead.
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let unacked = 0
  let finished = false
  const ack = (): void => {
    if (unacked > 0 && !finished) {
      const bytes = unacked
      unacked = 0
      fetchCall({ op: 'ack', id, bytes }).catch(() => {})
    }
  }
  const finish = (): void => {
    finished = true
    signal?.removeEventListener('abort', onAbort)
  }
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        ack()
      },
      cancel() {
        if (!finished) {
          finish()
          cancel()
        }
      }
    },
    new ByteLengthQueuingStrategy({ highWaterMark: ACK_STEP })
  )
  const channel = new Channel<ArrayBuffer | StreamControl>((m) => {
    if (finished) {
      return
    }
    if (m instanceof ArrayBuffer) {
      controller.enqueue(new Uint8Array(m))
      unacked += m.byteLength
      if (unacked >= ACK_STEP && (controller.desiredSize ?? 0) > 0) {
        ack()
      }
    } else if ('end' in m) {
      finish()
      controller.close()
    } else {
      finish()
      controller.error(toTokenVaultError(m.error))
    }
  })

  let rejectAbort: (reason: unknown) => void = () => {}
  const aborted = new Promise<never>((_, reject) => {
    rejectAbort = reject
  })
  function onAbort(): void {
    const reason = abortReason(signal!)
    if (!finished) {
      finish()
      cancel()
      controller.error(reason)
    }
    rejectAbort(reason)
  }
  signal?.addEventListener('abort', onAbort)

  let answer: Uint8Array<ArrayBuffer>
  try {
    const sent = fetchCall(
      { op: 'send', id, provider, account, channel: channel.toJSON(), request },
      body
    )
    answer = answerBytes(await Promise.race([sent, aborted]))
  } catch (e) {
    finish()
    forget(channel)
    if (signal?.aborted) {
      throw abortReason(signal)
    }
    throw toTokenVaultError(e)
  }
  const headLength = new DataView(answer.buffer, answer.byteOffset + 1, 4).getUint32(0, true)
  const head = JSON.parse(
    new TextDecoder().decode(answer.subarray(5, 5 + headLength))
  ) as FetchHead
  const streamed = answer[0] === BODY_STREAMED
  if (!streamed) {
    finish()
    forget(channel)
  }
  let res: Response
  try {
    const nullBody = NULL_BODY_STATUSES.includes(head.status)
    res = new Response(nullBody ? null : streamed ? stream : answer.subarray(5 + headLength), {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers
    })
  } catch (e) {
    if (streamed) {
      finish()
      cancel()
    }
    // A status outside 200-599, or a reason phrase or header the Fetch API cannot represent.
    const text = e instanceof Error ? e.message : String(e)
    throw new TokenVaultError('invalid_response', `response cannot be represented: ${text}`, {
      cause: e
    })
  }
  Object.defineProperty(res, 'url', { value: head.url, enumerable: true })
  return res
}
