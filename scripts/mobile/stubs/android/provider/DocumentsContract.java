// Stand-in for android.provider.DocumentsContract (Android SDK): only the members this check needs.
package android.provider;

import android.content.Context;
import android.net.Uri;

public final class DocumentsContract {
    public static boolean isDocumentUri(Context context, @androidx.annotation.Nullable Uri uri) { return false; }
    public static String getDocumentId(Uri documentUri) { return null; }
}
