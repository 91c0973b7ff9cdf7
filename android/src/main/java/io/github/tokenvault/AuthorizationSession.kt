package io.github.tokenvault

import android.net.Uri
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject

/**
 * The one sign-in in flight, process-wide: the plugin starts it, the management activity (a
 * separate object the system creates) ends it. Each session has its own id, and every call
 * names the session it means, so a late callback of an earlier activity (its onDestroy after a
 * new sign-in has begun) cannot end the new one. The first ending wins; later ones are ignored.
 */
internal object AuthorizationSession {
    private class Pending(val id: Long, val invoke: Invoke, val url: Uri, val redirect: Uri)

    private val lock = Any()
    private var pending: Pending? = null
    private var lastId = 0L

    /** Starts a session; its id, or null while another one is pending. */
    fun begin(invoke: Invoke, url: Uri, redirect: Uri): Long? = synchronized(lock) {
        if (pending != null) return null
        lastId += 1
        pending = Pending(lastId, invoke, url, redirect)
        lastId
    }

    /** The authorization URL of session [id] while it is pending. */
    fun authorizationUrl(id: Long): Uri? = synchronized(lock) {
        pending?.takeIf { it.id == id }?.url
    }

    /**
     * Ends session [id] with what came back: the redirect when [data] is the configured redirect
     * URI (same scheme, host and path; the query is what Rust judges), cancelled otherwise.
     */
    fun finish(id: Long, data: Uri?) {
        val session = take(id) ?: return
        if (data != null && isRedirect(data, session.redirect)) {
            val result = JSObject()
            result.put("url", data.toString())
            session.invoke.resolve(result)
        } else {
            session.invoke.reject("the sign-in was closed before it finished", ErrorCodes.LOGIN_CANCELLED)
        }
    }

    /**
     * Ends the pending session, whichever it is, as cancelled by the app (the Rust side gave up
     * on it); false when none is pending.
     */
    fun cancelCurrent(): Boolean {
        val session = synchronized(lock) { pending.also { pending = null } } ?: return false
        session.invoke.reject("the app cancelled the sign-in", ErrorCodes.LOGIN_CANCELLED)
        return true
    }

    /** Ends session [id] as `browser_open_failed` with [message] (which never holds a URL). */
    fun fail(id: Long, message: String) {
        take(id)?.invoke?.reject(message, ErrorCodes.BROWSER_OPEN_FAILED)
    }

    private fun take(id: Long): Pending? = synchronized(lock) {
        val session = pending?.takeIf { it.id == id }
        if (session != null) pending = null
        session
    }

    /** Scheme compared case-insensitively, as URI schemes are; host absent and empty alike. */
    private fun isRedirect(data: Uri, redirect: Uri): Boolean =
        data.scheme.equals(redirect.scheme, ignoreCase = true) &&
            data.host.orEmpty().equals(redirect.host.orEmpty(), ignoreCase = true) &&
            data.port == redirect.port &&
            data.path.orEmpty() == redirect.path.orEmpty()
}
