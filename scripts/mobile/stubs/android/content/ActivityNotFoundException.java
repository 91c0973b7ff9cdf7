// Stand-in for android.content.ActivityNotFoundException (Android SDK): only the members this check needs.
package android.content;

public class ActivityNotFoundException extends RuntimeException {
    public ActivityNotFoundException() {}
}
