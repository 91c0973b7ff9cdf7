// Stand-in for androidx.annotation.Nullable (AndroidX annotations; Kotlin reads it as a nullable type): only the members this check needs.
package androidx.annotation;

import java.lang.annotation.*;

@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.PARAMETER, ElementType.FIELD, ElementType.LOCAL_VARIABLE})
public @interface Nullable {}
