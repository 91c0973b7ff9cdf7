// Stand-in for android.content.res.AssetManager (Android SDK): only the members this check needs.
package android.content.res;

import java.io.IOException;
import java.io.InputStream;

public final class AssetManager {
    public InputStream open(String fileName) throws IOException { return null; }
}
