// Stand-in for org.json.JSONException (Android SDK's org.json): only the members this check needs.
package org.json;

public class JSONException extends Exception {
    public JSONException(String s) {}
}
