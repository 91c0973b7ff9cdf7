// Stand-in for android.text.TextUtils (Android SDK): only the members this check needs.
package android.text;

public class TextUtils {
    public static String join(CharSequence delimiter, Object[] tokens) { return null; }
}
