// swift-tools-version:5.3
// The plugin's iOS half as a Swift package. tauri-plugin's build script links it when the app is
// built for iOS (on a Mac): the product is named after the crate, and the Tauri package is the
// copy of tauri's `mobile/ios-api` that the build script puts into `../.tauri/tauri-api`.

import PackageDescription

let package = Package(
  name: "tauri-plugin-token-vault",
  platforms: [
    // prefersEphemeralWebBrowserSession and presentationContextProvider need iOS 13; Tauri's
    // build defaults to the same deployment target.
    .iOS(.v13)
  ],
  products: [
    .library(
      name: "tauri-plugin-token-vault",
      type: .static,
      targets: ["tauri-plugin-token-vault"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-token-vault",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
