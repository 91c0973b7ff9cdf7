package io.github.tokenvault

import android.app.Activity
import android.os.Bundle

/**
 * Receives the redirect to `mobile.redirectUri` (the intent filters are written into the app's
 * manifest at build time) and forwards it to [AuthorizationManagementActivity], which owns the
 * sign-in. Exported, as the browser must be able to start it; it trusts nothing it receives:
 * a redirect only counts for a pending sign-in, and Rust checks its state against the request.
 */
class RedirectReceiverActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        startActivity(AuthorizationManagementActivity.redirectIntent(this, intent.data))
        finish()
    }
}
