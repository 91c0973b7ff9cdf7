// Stand-in for android.database.Cursor (Android SDK): only the members this check needs.
package android.database;

import java.io.Closeable;

public interface Cursor extends Closeable {
    boolean moveToFirst();
    int getColumnIndex(String columnName);
    int getColumnIndexOrThrow(String columnName);
    String getString(int columnIndex);
    void close();
}
