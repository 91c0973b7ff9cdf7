// Stand-in for androidx.activity.result.IntentSenderRequest (AndroidX Activity): only the members this check needs.
package androidx.activity.result;

public final class IntentSenderRequest {}
