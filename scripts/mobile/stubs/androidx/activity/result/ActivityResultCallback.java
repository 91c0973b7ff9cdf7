// Stand-in for androidx.activity.result.ActivityResultCallback (AndroidX Activity): only the members this check needs.
package androidx.activity.result;

public interface ActivityResultCallback<O> {
    void onActivityResult(O result);
}
