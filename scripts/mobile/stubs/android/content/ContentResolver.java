// Stand-in for android.content.ContentResolver (Android SDK): only the members this check needs.
package android.content;

import android.database.Cursor;
import android.net.Uri;
import java.io.InputStream;

public abstract class ContentResolver {
    public final @androidx.annotation.Nullable Cursor query(Uri uri, String[] projection, String selection, String[] selectionArgs, String sortOrder) { return null; }
    public final @androidx.annotation.Nullable InputStream openInputStream(Uri uri) { return null; }
}
