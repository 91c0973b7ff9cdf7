// scripts/bench.sh: bundles @tauri-apps/plugin-http for the example app's bench mode.
import { nodeResolve } from '@rollup/plugin-node-resolve'

export default {
  input: 'tests/bench/http-plugin-entry.mjs',
  output: { file: 'examples/app/dist/bench-http.js', format: 'es' },
  plugins: [nodeResolve()]
}
