// Stand-in for android.content.SharedPreferences (Android SDK), with its Editor: only the members this check needs.
package android.content;

public interface SharedPreferences {
    @androidx.annotation.Nullable String getString(String key, @androidx.annotation.Nullable String defValue);
    Editor edit();

    interface Editor {
        Editor putString(String key, @androidx.annotation.Nullable String value);
        Editor remove(String key);
        boolean commit();
        void apply();
    }
}
