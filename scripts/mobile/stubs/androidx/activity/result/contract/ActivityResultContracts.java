// Stand-in for androidx.activity.result.contract.ActivityResultContracts (AndroidX Activity): the three contracts used: only the members this check needs.
package androidx.activity.result.contract;

import android.content.Intent;
import androidx.activity.result.ActivityResult;
import androidx.activity.result.IntentSenderRequest;
import java.util.Map;

public final class ActivityResultContracts {
    public static final class StartActivityForResult extends ActivityResultContract<Intent, ActivityResult> {}

    public static final class StartIntentSenderForResult extends ActivityResultContract<IntentSenderRequest, ActivityResult> {}

    public static final class RequestMultiplePermissions extends ActivityResultContract<String[], Map<String, Boolean>> {}
}
