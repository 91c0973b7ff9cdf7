package io.github.tokenvault

/** The stable error codes `src/mobile.rs` maps back to the crate's errors. */
internal object ErrorCodes {
    /** The user closed the tab (or left it) before the redirect came back. */
    const val LOGIN_CANCELLED = "login_cancelled"

    /** Another sign-in is already presented; one at a time. */
    const val LOGIN_IN_PROGRESS = "login_in_progress"

    /** Nothing could show the sign-in page. */
    const val BROWSER_OPEN_FAILED = "browser_open_failed"
}
