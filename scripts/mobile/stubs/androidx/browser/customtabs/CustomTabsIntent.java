// Stand-in for androidx.browser.customtabs.CustomTabsIntent (AndroidX Browser), with its Builder: only the members this check needs.
package androidx.browser.customtabs;

import android.content.Context;
import android.content.Intent;
import android.net.Uri;

public final class CustomTabsIntent {
    public final Intent intent = new Intent();
    public void launchUrl(Context context, Uri url) {}

    public static final class Builder {
        public Builder() {}
        public CustomTabsIntent build() { return new CustomTabsIntent(); }
    }
}
