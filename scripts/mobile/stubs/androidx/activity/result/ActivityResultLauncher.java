// Stand-in for androidx.activity.result.ActivityResultLauncher (AndroidX Activity): only the members this check needs.
package androidx.activity.result;

public abstract class ActivityResultLauncher<I> {
    public void launch(I input) {}
}
