// Stand-in for androidx.core.app.ActivityCompat (AndroidX Core); ContextCompat folded in: only the members this check needs.
package androidx.core.app;

import android.app.Activity;
import android.content.Context;

public class ActivityCompat {
    public static int checkSelfPermission(Context context, String permission) { return 0; }
    public static boolean shouldShowRequestPermissionRationale(Activity activity, String permission) { return false; }
}
