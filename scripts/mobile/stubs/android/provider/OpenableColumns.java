// Stand-in for android.provider.OpenableColumns (Android SDK): only the members this check needs.
package android.provider;

public interface OpenableColumns {
    String DISPLAY_NAME = "_display_name";
}
