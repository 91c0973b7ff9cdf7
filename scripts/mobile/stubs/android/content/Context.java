// Stand-in for android.content.Context (Android SDK); ContextWrapper folded in: only the members this check needs.
package android.content;

import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.content.res.AssetManager;
import java.io.File;

public abstract class Context {
    public static final int MODE_PRIVATE = 0;
    public void startActivity(Intent intent) {}
    public Context getApplicationContext() { return this; }
    public SharedPreferences getSharedPreferences(String name, int mode) { return null; }
    public ContentResolver getContentResolver() { return null; }
    public PackageManager getPackageManager() { return null; }
    public String getPackageName() { return null; }
    public AssetManager getAssets() { return null; }
    public ApplicationInfo getApplicationInfo() { return null; }
    public @androidx.annotation.Nullable File getExternalFilesDir(@androidx.annotation.Nullable String type) { return null; }
    public @androidx.annotation.Nullable File getExternalCacheDir() { return null; }
    public File[] getExternalCacheDirs() { return null; }
    public File getDataDir() { return null; }
    public File getCacheDir() { return null; }
    public File getFilesDir() { return null; }
}
