// Stand-in for android.content.pm.PackageManager (Android SDK), with PackageInfoFlags: only the members this check needs.
package android.content.pm;

public abstract class PackageManager {
    public static final int PERMISSION_GRANTED = 0;
    public static final int GET_PERMISSIONS = 0x00001000;
    /** Deprecated in API 33 for the PackageInfoFlags overload. */
    @Deprecated
    public abstract PackageInfo getPackageInfo(String packageName, int flags) throws NameNotFoundException;
    public PackageInfo getPackageInfo(String packageName, PackageInfoFlags flags) throws NameNotFoundException { return null; }

    public static final class PackageInfoFlags {
        public static PackageInfoFlags of(long value) { return null; }
    }

    public static class NameNotFoundException extends Exception {}
}
