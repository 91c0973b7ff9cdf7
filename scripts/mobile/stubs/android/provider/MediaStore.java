// Stand-in for android.provider.MediaStore (Android SDK): the Images/Video/Audio content URIs: only the members this check needs.
package android.provider;

import android.net.Uri;

public final class MediaStore {
    public static final class Images {
        public static final class Media {
            public static final Uri EXTERNAL_CONTENT_URI = null;
        }
    }

    public static final class Video {
        public static final class Media {
            public static final Uri EXTERNAL_CONTENT_URI = null;
        }
    }

    public static final class Audio {
        public static final class Media {
            public static final Uri EXTERNAL_CONTENT_URI = null;
        }
    }
}
