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
/**
 * A valid access token for the session, refreshed first when it expires within `minTtlSecs`.
 *
 * **Off by default.** This command needs the opt-in permission `token-vault:allow-get-token`
 * in one of the app's capabilities; without it this rejects with code `not_allowed`. It is not
 * in the default set because a token held by page script is exactly what a cross-site
 * scripting (XSS) bug or a compromised dependency steals, while tokens that stay in Rust can
 * only be used, not taken. Grant it only to windows that need a raw token, and prefer
 * `authFetch` (requests made from Rust with the token attached) when it lands.
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
async function getToken(provider, options) {
    return await call('get_token', {
        provider,
        account: options?.account,
        minTtlSecs: options?.minTtlSecs
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

exports.TokenVaultError = TokenVaultError;
exports.cancelLogin = cancelLogin;
exports.getSession = getSession;
exports.getToken = getToken;
exports.isTokenVaultError = isTokenVaultError;
exports.listSessions = listSessions;
exports.login = login;
exports.logout = logout;
exports.onSessionChanged = onSessionChanged;
exports.refresh = refresh;
