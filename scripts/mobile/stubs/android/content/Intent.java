// Stand-in for android.content.Intent (Android SDK): only the members this check needs.
package android.content;

import android.net.Uri;
import android.os.Bundle;

public class Intent {
    public static final String ACTION_VIEW = "android.intent.action.VIEW";
    public static final String CATEGORY_BROWSABLE = "android.intent.category.BROWSABLE";
    public static final int FLAG_ACTIVITY_CLEAR_TOP = 0x04000000;
    public static final int FLAG_ACTIVITY_SINGLE_TOP = 0x20000000;
    public Intent() {}
    public Intent(String action, Uri uri) {}
    public Intent(Context packageContext, Class<?> cls) {}
    public @androidx.annotation.Nullable Uri getData() { return null; }
    public Intent setData(@androidx.annotation.Nullable Uri data) { return this; }
    public @androidx.annotation.Nullable Bundle getExtras() { return null; }
    public Intent putExtra(String name, long value) { return this; }
    public Intent addCategory(String category) { return this; }
    public Intent addFlags(int flags) { return this; }
    public Intent setPackage(@androidx.annotation.Nullable String packageName) { return this; }
}
