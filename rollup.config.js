// Builds the webview API (guest-js/index.ts):
// - dist-js/index.js (ESM), dist-js/index.cjs (CJS) and dist-js/index.d.ts for bundlers, with
//   @tauri-apps/api left external;
// - api-iife.js for apps with `withGlobalTauri`: one minified script with the parts of
//   @tauri-apps/api it uses bundled in. Those parts reach Tauri only through
//   `window.__TAURI_INTERNALS__` at call time, so the script works wherever Tauri's IPC is
//   injected. It sets `window.__TAURI_PLUGIN_TOKEN_VAULT__` (and `window.__TAURI__.tokenVault`
//   when the global API is present).
// Output is deterministic (no timestamps, no source maps): scripts/check-js.sh rebuilds and
// fails when the committed output differs.
import { readFileSync } from 'node:fs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const input = 'guest-js/index.ts'
const globalName = '__TAURI_PLUGIN_TOKEN_VAULT__'

/** Any warning (a type error included) fails the build. */
function onwarn(warning) {
  throw Object.assign(new Error(warning.message), warning)
}

export default [
  {
    input,
    output: [
      { file: pkg.exports.import, format: 'es' },
      { file: pkg.exports.require, format: 'cjs' }
    ],
    plugins: [
      typescript({
        declaration: true,
        declarationDir: 'dist-js',
        noEmitOnError: true
      })
    ],
    external: [/^@tauri-apps\/api(\/|$)/, ...Object.keys(pkg.dependencies ?? {})],
    onwarn
  },
  {
    input,
    output: {
      file: 'api-iife.js',
      format: 'iife',
      name: globalName,
      footer:
        `window.${globalName}=${globalName};` +
        `if(typeof window.__TAURI__==='object'&&window.__TAURI__!==null)` +
        `window.__TAURI__.tokenVault=${globalName};`
    },
    plugins: [typescript({ noEmitOnError: true }), nodeResolve(), terser()],
    onwarn
  }
]
