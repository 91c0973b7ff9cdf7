#!/usr/bin/env node
// The webview API (dist-js/index.js) run in node with Tauri's IPC mocked, so that a Rust test
// (tests/ipc.rs) can send the exact `fetch` arguments page script produces through the real
// Rust command, and hand the Rust command's answer back to page script's `authFetch`.
//
//   node authfetch-bridge.mjs encode <url> <n>
//     prints what `authFetch(url, { method: 'POST', body })` hands the IPC for a body of `n`
//     bytes where byte i is (i * 31 + 7) % 256 (the Rust test builds the same bytes):
//     `{ "header": <the Token-Vault-Fetch header>, "payload": <the raw payload, hex> }` (hex only
//     to carry the bytes to the test through stdout).
//   node authfetch-bridge.mjs decode < answer.bin
//     reads the Rust command's raw answer, lets `authFetch` turn it into a `Response`, and
//     prints `{ "status": …, "length": …, "sha256": "<hex>" }` of the body page script reads.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

// @tauri-apps/api reads `window.__TAURI_INTERNALS__` at call time; node's globalThis stands in.
globalThis.window = globalThis
const { mockIPC } = await import('@tauri-apps/api/mocks')
const api = await import('../../dist-js/index.js')

const [mode, url, n] = process.argv.slice(2)
/** Replaces the IPC with `respond(headers, payload)`. */
function mockFetch(respond) {
  mockIPC(() => {
    throw new Error('replaced')
  })
  window.__TAURI_INTERNALS__.invoke = async (cmd, payload, options) => {
    if (cmd !== 'plugin:token-vault|fetch') throw new Error(`unexpected command ${cmd}`)
    return respond(options?.headers ?? {}, payload)
  }
}

if (mode === 'encode') {
  const bytes = new Uint8Array(Number(n))
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256
  let sent = null
  mockFetch((headers, payload) => {
    sent = { header: headers['Token-Vault-Fetch'], payload: Buffer.from(payload).toString('hex') }
    const head = Buffer.from(JSON.stringify({ status: 204, statusText: '', headers: [], url }))
    const answer = Buffer.alloc(5 + head.length)
    answer.writeUInt32LE(head.length, 1)
    head.copy(answer, 5)
    return answer.buffer.slice(answer.byteOffset, answer.byteOffset + answer.length)
  })
  await api.authFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes
  })
  process.stdout.write(JSON.stringify(sent))
} else if (mode === 'decode') {
  const answer = readFileSync(0)
  mockFetch(() => answer.buffer.slice(answer.byteOffset, answer.byteOffset + answer.length))
  const res = await api.authFetch('https://bridge.invalid/')
  const body = new Uint8Array(await res.arrayBuffer())
  const sha256 = createHash('sha256').update(body).digest('hex')
  process.stdout.write(JSON.stringify({ status: res.status, length: body.length, sha256 }))
} else {
  console.error('usage: authfetch-bridge.mjs encode <url> <n> | decode < answer.bin')
  process.exit(2)
}
