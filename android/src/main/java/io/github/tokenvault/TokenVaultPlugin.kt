package io.github.tokenvault

import android.app.Activity
import android.net.Uri
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.Plugin

/** The arguments of `authorize`, as `src/mobile.rs` sends them (camelCase). */
@InvokeArg
class AuthorizeArgs {
    /** The authorization URL; carries state and the PKCE challenge, so it is never logged. */
    var url: String? = null

    /** The configured `mobile.redirectUri`: what counts as the redirect when it comes back. */
    var redirectUri: String? = null

    /** iOS only (`prefersEphemeralWebBrowserSession`); a Custom Tab always shares the browser's cookies. */
    var ephemeral: Boolean = false
}

/**
 * The Android half of the sign-in: opens the authorization URL in a Custom Tab and answers the
 * redirect URL. The OAuth protocol (state, PKCE, code exchange) stays in Rust; this class only
 * presents the page and reports how it ended.
 *
 * Rejections carry one of the crate's stable codes ([ErrorCodes]) and a message that never
 * contains a URL (the authorization URL carries state, the redirect carries the code).
 */
@TauriPlugin
class TokenVaultPlugin(private val activity: Activity) : Plugin(activity) {
    /**
     * Resolves `{"url": <the redirect URL with its query>}` once the provider redirects to
     * `redirectUri`; rejects `login_cancelled` when the user closes the tab, `login_in_progress`
     * while another sign-in is on screen, `browser_open_failed` when nothing can show the page.
     */
    @Command
    fun authorize(invoke: Invoke) {
        val args = invoke.parseArgs(AuthorizeArgs::class.java)
        val url = args.url?.let { Uri.parse(it) }
        val redirect = args.redirectUri?.let { Uri.parse(it) }
        // Only an https page is opened: anything else is a bug on the Rust side, and a custom
        // scheme or intent: URL here could start another app instead of a browser.
        if (url == null || url.scheme != "https" || url.host.isNullOrEmpty()) {
            invoke.reject("the authorization URL is not an https URL", ErrorCodes.BROWSER_OPEN_FAILED)
            return
        }
        if (redirect == null || redirect.scheme.isNullOrEmpty()) {
            invoke.reject("the redirect URI has no scheme", ErrorCodes.BROWSER_OPEN_FAILED)
            return
        }
        val session = AuthorizationSession.begin(invoke, url, redirect)
        if (session == null) {
            invoke.reject("a sign-in is already in progress", ErrorCodes.LOGIN_IN_PROGRESS)
            return
        }
        try {
            activity.startActivity(AuthorizationManagementActivity.startIntent(activity, session))
        } catch (e: RuntimeException) {
            // ActivityNotFoundException (the activity is missing from the merged manifest) or
            // a SecurityException; the exception's text is not passed on, only its kind.
            AuthorizationSession.fail(session, "the sign-in activity could not start (${e.javaClass.simpleName})")
        }
    }

    /**
     * Dismisses the sign-in on screen, if there is one: the Rust side gave up on it
     * (`cancelLogin`, its timeout, a dropped call; `CANCEL_COMMAND` in src/mobile.rs). Its
     * `authorize` call is answered `login_cancelled`, and the management activity is brought
     * back (CLEAR_TOP closes the Custom Tab above it), finding its session over, it finishes.
     * Always resolves.
     */
    @Command
    fun cancel(invoke: Invoke) {
        if (AuthorizationSession.cancelCurrent()) {
            try {
                activity.startActivity(AuthorizationManagementActivity.redirectIntent(activity, null))
            } catch (e: RuntimeException) {
                // The tab stays until the user closes it; the sign-in is over either way.
            }
        }
        invoke.resolve()
    }
}
