// Stand-in for androidx.lifecycle.LifecycleOwner (AndroidX Lifecycle): only the members this check needs.
package androidx.lifecycle;

public interface LifecycleOwner {}
