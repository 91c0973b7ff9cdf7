// Stand-in for androidx.activity.OnBackPressedDispatcher (AndroidX Activity): only the members this check needs.
package androidx.activity;

import androidx.lifecycle.LifecycleOwner;

public final class OnBackPressedDispatcher {
    public void addCallback(LifecycleOwner owner, OnBackPressedCallback onBackPressedCallback) {}
}
