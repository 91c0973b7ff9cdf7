// Stand-in for androidx.appcompat.app.AppCompatActivity (AndroidX AppCompat); FragmentActivity folded in: only the members this check needs.
package androidx.appcompat.app;

import androidx.activity.ComponentActivity;

public class AppCompatActivity extends ComponentActivity {}
