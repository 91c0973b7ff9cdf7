// Stand-in for androidx.activity.result.ActivityResult (AndroidX Activity): only the members this check needs.
package androidx.activity.result;

public final class ActivityResult {}
