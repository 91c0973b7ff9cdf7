// Stand-in for android.content.ContentUris (Android SDK): only the members this check needs.
package android.content;

import android.net.Uri;

public class ContentUris {
    public static Uri withAppendedId(Uri contentUri, long id) { return null; }
}
