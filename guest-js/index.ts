// tauri-plugin-token-vault-api — typed bindings for the webview.
// Placeholder until the plugin-surface work lands: it covers the commands that exist today.
import { invoke } from '@tauri-apps/api/core'

/** A signed-in session as page script sees it. Never contains a token. */
export interface SessionInfo {
  provider: string
  subject: string | null
  claims: Record<string, unknown> | null
  scopes: string[]
  /** Access-token expiry, milliseconds since the Unix epoch. */
  expiresAt: number | null
}

/** Errors are rejected as `{ code, message }` with a stable snake_case `code`. */
export interface TokenVaultError {
  code: string
  message: string
}

/**
 * Signs in with a configured provider in the system browser.
 * @example
 * const session = await login('auth0')
 * console.log(session.subject)
 */
export async function login(
  provider: string,
  extraParams?: Record<string, string>
): Promise<SessionInfo> {
  return await invoke('plugin:token-vault|login', { provider, extraParams })
}

/**
 * Cancels a running sign-in; resolves to whether one was running.
 * @example
 * await cancelLogin('auth0')
 */
export async function cancelLogin(provider: string): Promise<boolean> {
  return await invoke('plugin:token-vault|cancel_login', { provider })
}
