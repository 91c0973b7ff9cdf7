// Stand-in for androidx.activity.result.contract.ActivityResultContract (AndroidX Activity): only the members this check needs.
package androidx.activity.result.contract;

public abstract class ActivityResultContract<I, O> {}
