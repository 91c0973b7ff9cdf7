// Stand-in for android.os.Bundle (Android SDK): only the members this check needs.
package android.os;

public final class Bundle {
    public long getLong(String key, long defaultValue) { return defaultValue; }
    public boolean getBoolean(String key, boolean defaultValue) { return defaultValue; }
    public void putLong(@androidx.annotation.Nullable String key, long value) {}
    public void putBoolean(@androidx.annotation.Nullable String key, boolean value) {}
}
