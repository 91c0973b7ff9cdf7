#!/usr/bin/env node
// The webview API (dist-js/index.js) run in node with Tauri's IPC mocked, so that a Rust test
// (tests/ipc.rs) can send the exact `fetch` arguments page script produces through the real
// Rust command, and hand the Rust command's answer back to page script's `authFetch`.
//
//   node authfetch-bridge.mjs encode <url> <n>
//     prints the `request` argument that `authFetch(url, { method: 'POST', body })` sends for a
//     body of `n` bytes where byte i is (i * 31 + 7) % 256 (the Rust test builds the same bytes).
//   node authfetch-bridge.mjs decode < result.json
//     reads the Rust command's result (JSON), lets `authFetch` turn it into a `Response`, and
//     prints `{ "status": …, "length": …, "sha256": "<hex>" }` of the body page script reads.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

// @tauri-apps/api reads `window.__TAURI_INTERNALS__` at call time; node's globalThis stands in.
globalThis.window = globalThis
const { mockIPC } = await import('@tauri-apps/api/mocks')
const api = await import('../../dist-js/index.js')

const [mode, url, n] = process.argv.slice(2)
if (mode === 'encode') {
  const bytes = new Uint8Array(Number(n))
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256
  let sent = null
  mockIPC((cmd, args) => {
    if (cmd !== 'plugin:token-vault|fetch') throw new Error(`unexpected command ${cmd}`)
    sent = args.request
    return { status: 204, statusText: '', headers: [], body: '', url }
  })
  await api.authFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes
  })
  process.stdout.write(JSON.stringify(sent))
} else if (mode === 'decode') {
  const result = JSON.parse(readFileSync(0, 'utf8'))
  mockIPC(() => result)
  const res = await api.authFetch(result.url)
  const body = new Uint8Array(await res.arrayBuffer())
  const sha256 = createHash('sha256').update(body).digest('hex')
  process.stdout.write(JSON.stringify({ status: res.status, length: body.length, sha256 }))
} else {
  console.error('usage: authfetch-bridge.mjs encode <url> <n> | decode < result.json')
  process.exit(2)
}
