// Stand-in for org.json.JSONObject (Android SDK's org.json): only the members this check needs.
package org.json;

import java.util.Iterator;

public class JSONObject {
    public JSONObject() {}
    public JSONObject(String json) throws JSONException {}
    public JSONObject(JSONObject copyFrom, String[] names) throws JSONException {}
    public Object get(String name) throws JSONException { return null; }
    public String getString(String name) throws JSONException { return null; }
    public int getInt(String name) throws JSONException { return 0; }
    public boolean getBoolean(String name) throws JSONException { return false; }
    public boolean isNull(String name) { return false; }
    public Iterator<String> keys() { return null; }
    public JSONObject put(String name, boolean value) throws JSONException { return this; }
    public JSONObject put(String name, int value) throws JSONException { return this; }
    public JSONObject put(String name, long value) throws JSONException { return this; }
    public JSONObject put(String name, double value) throws JSONException { return this; }
    public JSONObject put(String name, Object value) throws JSONException { return this; }
}
