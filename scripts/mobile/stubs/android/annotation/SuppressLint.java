// Stand-in for android.annotation.SuppressLint (Android SDK): only the members this check needs.
package android.annotation;

public @interface SuppressLint {
    String[] value();
}
