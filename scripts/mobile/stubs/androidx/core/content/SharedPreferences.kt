// Stand-in for androidx.core.content.edit (AndroidX Core KTX, SharedPreferences.kt): only the members this check needs.
package androidx.core.content

import android.content.SharedPreferences

inline fun SharedPreferences.edit(commit: Boolean = false, action: SharedPreferences.Editor.() -> Unit) {
    val editor = edit()
    action(editor)
    if (commit) editor.commit() else editor.apply()
}
