// Stand-in for androidx.browser.customtabs.CustomTabsClient (AndroidX Browser): only the members this check needs.
package androidx.browser.customtabs;

import android.content.Context;
import androidx.annotation.Nullable;
import java.util.List;

public class CustomTabsClient {
    public static @Nullable String getPackageName(Context context, @Nullable List<String> packages) { return null; }
}
