// Stand-in for android.content.pm.PackageInfo (Android SDK): only the members this check needs.
package android.content.pm;

public class PackageInfo {
    public String[] requestedPermissions;
}
