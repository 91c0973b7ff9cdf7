// Stand-in for org.json.JSONArray (Android SDK's org.json): only the members this check needs.
package org.json;

import java.util.Collection;

public class JSONArray {
    public JSONArray() {}
    public JSONArray(String json) throws JSONException {}
    public JSONArray(Collection copyFrom) {}
    public JSONArray(Object array) throws JSONException {}
    public int length() { return 0; }
    public Object get(int index) throws JSONException { return null; }
}
