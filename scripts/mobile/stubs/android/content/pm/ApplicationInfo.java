// Stand-in for android.content.pm.ApplicationInfo (Android SDK): only the members this check needs.
package android.content.pm;

public class ApplicationInfo {
    public String dataDir;
}
