// Stand-in for android.os.Build (Android SDK): VERSION and VERSION_CODES: only the members this check needs.
package android.os;

public class Build {
    public static class VERSION {
        public static final int SDK_INT = 0;
    }

    public static class VERSION_CODES {
        public static final int N = 24;
        public static final int TIRAMISU = 33;
    }
}
