// Stand-in for android.app.Activity (Android SDK), with the lifecycle callbacks used: only the members this check needs.
package android.app;

import android.content.Context;
import android.content.Intent;
import android.os.Bundle;

public class Activity extends Context {
    public Intent getIntent() { return null; }
    public void setIntent(Intent newIntent) {}
    public void finish() {}
    public void finishAffinity() {}
    public boolean isFinishing() { return false; }
    /** Deprecated in API 33 (OnBackInvokedCallback / OnBackPressedDispatcher). */
    @Deprecated
    public void onBackPressed() {}
    protected void onCreate(@androidx.annotation.Nullable Bundle savedInstanceState) {}
    protected void onNewIntent(Intent intent) {}
    protected void onResume() {}
    protected void onSaveInstanceState(Bundle outState) {}
    protected void onDestroy() {}
}
