// Stand-in for androidx.activity.OnBackPressedCallback (AndroidX Activity): only the members this check needs.
package androidx.activity;

public abstract class OnBackPressedCallback {
    public OnBackPressedCallback(boolean enabled) {}
    public abstract void handleOnBackPressed();
    public final boolean isEnabled() { return false; }
    public final void setEnabled(boolean enabled) {}
}
