// Stand-in for android.os.Environment (Android SDK): only the members this check needs.
package android.os;

import java.io.File;

public class Environment {
    public static final String DIRECTORY_MUSIC = "Music";
    public static final String DIRECTORY_DOCUMENTS = "Documents";
    public static final String DIRECTORY_DOWNLOADS = "Download";
    public static final String DIRECTORY_PICTURES = "Pictures";
    public static final String DIRECTORY_DCIM = "DCIM";
    public static final String DIRECTORY_MOVIES = "Movies";
    /** Deprecated in API 29 (scoped storage). */
    @Deprecated
    public static File getExternalStorageDirectory() { return null; }
}
