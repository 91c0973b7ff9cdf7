// Entry of the real-window benchmark's bundle of @tauri-apps/plugin-http (the npm package
// pinned by package-lock.json), built by scripts/bench.sh into examples/app/dist/bench-http.js
// (not committed) for the example app's page, which has no bundler.
export { fetch } from '@tauri-apps/plugin-http'
