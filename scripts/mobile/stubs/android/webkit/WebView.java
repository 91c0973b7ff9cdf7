// Stand-in for android.webkit.WebView (Android SDK): only the members this check needs.
package android.webkit;

public class WebView {
    public boolean canGoBack() { return false; }
    public void goBack() {}
}
