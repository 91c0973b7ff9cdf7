import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "io.github.tokenvault"
    compileSdk = 36

    defaultConfig {
        // Tauri's own Android library supports API 21; the app decides its own minimum.
        minSdk = 21
        // Merged into the app's R8 configuration (see the file for why it is nearly empty).
        consumerProguardFiles("proguard-rules.pro")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }
}

kotlin {
    compilerOptions {
        jvmTarget = JvmTarget.JVM_1_8
    }
}

dependencies {
    // Custom Tabs: the sign-in page in the user's browser (its cookies and password manager)
    // over the app, as RFC 8252 asks of native apps; never a WebView.
    implementation("androidx.browser:browser:1.8.0")
    implementation(project(":tauri-android"))
}
