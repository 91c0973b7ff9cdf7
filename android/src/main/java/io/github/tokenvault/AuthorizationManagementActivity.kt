package io.github.tokenvault

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import androidx.browser.customtabs.CustomTabsClient
import androidx.browser.customtabs.CustomTabsIntent

/**
 * An invisible activity that owns one sign-in: it opens the authorization page in a Custom Tab
 * on top of itself and finds out how the tab ended the next time it comes to the foreground.
 *
 * - First resume: open the page (Custom Tab, or the default browser when no browser supports
 *   Custom Tabs).
 * - The redirect arrives: [RedirectReceiverActivity] starts this activity again with
 *   CLEAR_TOP | SINGLE_TOP, which closes the tab above it and hands the redirect to
 *   [onNewIntent]; the following resume resolves the sign-in with it.
 * - Resumed without a redirect: the user closed the tab (back, the close button) ⇒ cancelled.
 *
 * A Custom Tab offers no callback for "closed", hence this activity: its own lifecycle is the
 * signal (the pattern of the AppAuth libraries).
 */
class AuthorizationManagementActivity : Activity() {
    private var session = NO_SESSION
    private var browserOpened = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // Recreated (a configuration change while the tab was up): carry on where it was.
        val state = savedInstanceState ?: intent.extras
        session = state?.getLong(EXTRA_SESSION, NO_SESSION) ?: NO_SESSION
        browserOpened = savedInstanceState?.getBoolean(STATE_BROWSER_OPENED, false) ?: false
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        // The redirect from RedirectReceiverActivity; read in onResume, which follows.
        setIntent(intent)
    }

    override fun onResume() {
        super.onResume()
        if (!browserOpened) {
            // No pending session for this instance: started by a stray redirect or recreated
            // after its sign-in ended. Nothing to show.
            val url = AuthorizationSession.authorizationUrl(session)
            if (url == null) {
                finish()
                return
            }
            // Set first: the next resume means the user is back from the page.
            browserOpened = true
            if (!openBrowser(url)) {
                AuthorizationSession.fail(session, "no browser could open the sign-in page")
                finish()
            }
            return
        }
        AuthorizationSession.finish(session, intent.data)
        finish()
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        outState.putLong(EXTRA_SESSION, session)
        outState.putBoolean(STATE_BROWSER_OPENED, browserOpened)
    }

    override fun onDestroy() {
        // Gone for good before the tab came back, e.g. the launcher icon brought the app's
        // singleTask main activity forward and cleared the task above it: the sign-in is over.
        // After a normal ending the session is already finished and this does nothing.
        if (isFinishing) {
            AuthorizationSession.finish(session, null)
        }
        super.onDestroy()
    }

    /** Opens [url] in a Custom Tab, or the default browser; false when nothing could. */
    private fun openBrowser(url: Uri): Boolean {
        // The default browser when it supports Custom Tabs, else another browser that does.
        val customTabs = CustomTabsClient.getPackageName(this, null)
        return try {
            if (customTabs != null) {
                val tab = CustomTabsIntent.Builder().build()
                tab.intent.setPackage(customTabs)
                tab.launchUrl(this, url)
            } else {
                startActivity(Intent(Intent.ACTION_VIEW, url).addCategory(Intent.CATEGORY_BROWSABLE))
            }
            true
        } catch (e: ActivityNotFoundException) {
            false
        }
    }

    companion object {
        private const val EXTRA_SESSION = "io.github.tokenvault.SESSION"
        private const val STATE_BROWSER_OPENED = "io.github.tokenvault.BROWSER_OPENED"
        private const val NO_SESSION = 0L

        /** Starts the sign-in [session]; its authorization URL stays in [AuthorizationSession]. */
        internal fun startIntent(context: Context, session: Long): Intent =
            Intent(context, AuthorizationManagementActivity::class.java)
                .putExtra(EXTRA_SESSION, session)

        /**
         * Hands [redirect] to the running instance: CLEAR_TOP closes the Custom Tab above it,
         * SINGLE_TOP delivers the intent to that instance (onNewIntent) instead of a new one.
         */
        internal fun redirectIntent(context: Context, redirect: Uri?): Intent =
            Intent(context, AuthorizationManagementActivity::class.java)
                .setData(redirect)
                .addFlags(Intent.FLAG_ACTIVITY_CLEAR_TOP or Intent.FLAG_ACTIVITY_SINGLE_TOP)
    }
}
