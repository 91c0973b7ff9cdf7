// Stand-in for android.content.res.Configuration (Android SDK): only the members this check needs.
package android.content.res;

public final class Configuration {}
