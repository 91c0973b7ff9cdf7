// Stand-in for android.net.Uri (Android SDK): only the members this check needs.
package android.net;

import androidx.annotation.Nullable;

public abstract class Uri {
    public static Uri parse(String uriString) { return null; }
    public abstract @Nullable String getScheme();
    public abstract @Nullable String getAuthority();
    public abstract @Nullable String getHost();
    public abstract int getPort();
    public abstract @Nullable String getPath();
    public abstract @Nullable String getLastPathSegment();
    public abstract String toString();
}
