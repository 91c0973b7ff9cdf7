// Unit tests of the webview API, run by `npm test` (node's built-in test runner) against the
// built output: dist-js/index.js (ESM, as bundlers see it) and api-iife.js (as a
// `withGlobalTauri` app sees it). Tauri's IPC is replaced by @tauri-apps/api/mocks.
import { test, describe, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

// @tauri-apps/api reads `window.__TAURI_INTERNALS__` at call time; node's globalThis stands in
// for the webview's window (crypto.getRandomValues, used by the mocks, is a global in node 20).
globalThis.window = globalThis

const { mockIPC, clearMocks } = await import('@tauri-apps/api/mocks')
const { emit } = await import('@tauri-apps/api/event')
const api = await import('../../dist-js/index.js')
const { TokenVaultError, isTokenVaultError } = api

const root = fileURLToPath(new URL('../../', import.meta.url))

afterEach(() => clearMocks())

/** Mocks the IPC with `respond` and records every call as `{ cmd, args }`. */
function record(respond) {
  const calls = []
  mockIPC((cmd, args) => {
    calls.push({ cmd, args })
    return respond(cmd, args)
  })
  return calls
}

const status = {
  provider: 'auth0',
  account: 'default',
  signedIn: true,
  subject: 'alice',
  scopes: ['openid', 'profile'],
  expiresAt: 1767225600000,
  claims: { sub: 'alice', email: 'alice@example.com' }
}

// One row per command: how page script calls it, and what must cross the IPC.
const cases = [
  {
    name: 'login',
    call: () => api.login('auth0'),
    cmd: 'plugin:token-vault|login',
    args: { provider: 'auth0', account: undefined, extraParams: undefined },
    result: status
  },
  {
    name: 'login with options',
    call: () => api.login('auth0', { account: 'work', extraParams: { login_hint: 'bob' } }),
    cmd: 'plugin:token-vault|login',
    args: { provider: 'auth0', account: 'work', extraParams: { login_hint: 'bob' } },
    result: { ...status, account: 'work' }
  },
  {
    name: 'loginWithDeviceCode',
    call: () => api.loginWithDeviceCode('github', { account: 'cli', extraParams: { audience: 'api' } }),
    cmd: 'plugin:token-vault|login_device_code',
    args: { provider: 'github', account: 'cli', extraParams: { audience: 'api' } },
    result: status
  },
  {
    name: 'logout',
    call: () => api.logout('auth0'),
    cmd: 'plugin:token-vault|logout',
    args: { provider: 'auth0', account: undefined },
    result: {
      revoked: false,
      revocationError: { code: 'network', message: 'revocation endpoint unreachable' },
      revocationSkipped: null,
      endSessionAvailable: true,
      storeCleared: false,
      storeError: { code: 'store_unavailable', message: 'Secret Service: locked' }
    }
  },
  {
    name: 'logout with account',
    call: () => api.logout('auth0', { account: 'work' }),
    cmd: 'plugin:token-vault|logout',
    args: { provider: 'auth0', account: 'work' },
    result: {
      revoked: true,
      revocationError: null,
      revocationSkipped: 'the provider has no revocation endpoint',
      endSessionAvailable: false,
      storeCleared: true,
      storeError: null
    }
  },
  {
    name: 'getSession',
    call: () => api.getSession('auth0'),
    cmd: 'plugin:token-vault|session',
    args: { provider: 'auth0', account: undefined },
    result: { ...status, signedIn: false, subject: null, scopes: [], expiresAt: null, claims: null }
  },
  {
    name: 'getSession with account',
    call: () => api.getSession('auth0', { account: 'work' }),
    cmd: 'plugin:token-vault|session',
    args: { provider: 'auth0', account: 'work' },
    result: { ...status, account: 'work' }
  },
  {
    name: 'listSessions',
    call: () => api.listSessions(),
    cmd: 'plugin:token-vault|sessions',
    args: {},
    result: [status, { ...status, provider: 'google', account: 'work' }]
  },
  {
    name: 'refresh',
    call: () => api.refresh('auth0'),
    cmd: 'plugin:token-vault|refresh',
    args: { provider: 'auth0', account: undefined },
    result: { ...status, expiresAt: 1767229200000 }
  },
  {
    name: 'refresh with account',
    call: () => api.refresh('auth0', { account: 'work' }),
    cmd: 'plugin:token-vault|refresh',
    args: { provider: 'auth0', account: 'work' },
    result: status
  },
  {
    name: 'cancelLogin',
    call: () => api.cancelLogin('auth0'),
    cmd: 'plugin:token-vault|cancel_login',
    args: { provider: 'auth0' },
    result: true
  },
  {
    name: 'getToken',
    call: () => api.getToken('auth0'),
    cmd: 'plugin:token-vault|get_token',
    args: { provider: 'auth0', account: undefined, minTtlSecs: undefined, withType: undefined },
    result: 'at-123'
  },
  {
    name: 'getToken with options',
    call: () => api.getToken('auth0', { account: 'work', minTtlSecs: 60 }),
    cmd: 'plugin:token-vault|get_token',
    args: { provider: 'auth0', account: 'work', minTtlSecs: 60, withType: undefined },
    result: 'at-456'
  },
  {
    name: 'getToken with its type',
    call: () => api.getToken('auth0', { withType: true }),
    cmd: 'plugin:token-vault|get_token',
    args: { provider: 'auth0', account: undefined, minTtlSecs: undefined, withType: true },
    result: { accessToken: 'at-789', tokenType: 'DPoP' }
  }
]

for (const c of cases) {
  describe(c.name, () => {
    test('sends the command and arguments, and resolves to the result', async () => {
      const calls = record(() => c.result)
      assert.deepStrictEqual(await c.call(), c.result)
      assert.deepStrictEqual(calls, [{ cmd: c.cmd, args: c.args }])
    })

    test('rejects a { code, message } error as a TokenVaultError with that code', async () => {
      record(() => {
        throw { code: 'store_unavailable', message: 'the keyring is locked' }
      })
      const e = await c.call().then(
        () => assert.fail('resolved'),
        (e) => e
      )
      assert.ok(e instanceof TokenVaultError)
      assert.ok(e instanceof Error)
      assert.ok(isTokenVaultError(e))
      assert.equal(e.name, 'TokenVaultError')
      assert.equal(e.code, 'store_unavailable')
      assert.equal(e.message, 'the keyring is locked')
      assert.deepStrictEqual(e.cause, { code: 'store_unavailable', message: 'the keyring is locked' })
    })

    test('rejects a permission refusal as a TokenVaultError with code not_allowed', async () => {
      const text = `${c.cmd.replace('plugin:', '').replace('|', '.')} not allowed. Permissions associated with this command: token-vault:allow-x`
      record(() => Promise.reject(text))
      await assert.rejects(c.call(), (e) => {
        assert.ok(isTokenVaultError(e))
        assert.equal(e.name, 'TokenVaultError')
        assert.equal(e.code, 'not_allowed')
        assert.equal(e.message, text)
        return true
      })
    })

    test('rejects any other failure as a TokenVaultError with code internal', async () => {
      record(() => Promise.reject('unexpected IPC failure'))
      await assert.rejects(c.call(), { name: 'TokenVaultError', code: 'internal', message: 'unexpected IPC failure' })
    })
  })
}

describe('getToken', () => {
  test('maps the opt-in permission refusal to not_allowed', async () => {
    const text =
      'token-vault.get_token not allowed. Permissions associated with this command: token-vault:allow-get-token'
    record(() => Promise.reject(text))
    await assert.rejects(api.getToken('auth0'), { name: 'TokenVaultError', code: 'not_allowed', message: text })
  })
})

describe('TokenVaultError', () => {
  test('is an Error with name, code and message', () => {
    const e = new TokenVaultError('not_signed_in', 'no session')
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'TokenVaultError')
    assert.equal(e.code, 'not_signed_in')
    assert.equal(e.message, 'no session')
    assert.match(String(e), /^TokenVaultError: no session$/)
  })

  test('isTokenVaultError tells it apart from other errors', () => {
    assert.equal(isTokenVaultError(new TokenVaultError('internal', 'x')), true)
    assert.equal(isTokenVaultError(new Error('x')), false)
    assert.equal(isTokenVaultError({ code: 'internal', message: 'x' }), false)
    assert.equal(isTokenVaultError(undefined), false)
  })

  test('a thrown Error keeps its message', async () => {
    record(() => {
      throw new TypeError('window.__TAURI_INTERNALS__ is undefined')
    })
    await assert.rejects(api.listSessions(), {
      name: 'TokenVaultError',
      code: 'internal',
      message: 'window.__TAURI_INTERNALS__ is undefined'
    })
  })
})

describe('onDeviceCode', () => {
  test('delivers each device code to the handler until unlisten', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true })
    const seen = []
    const unlisten = await api.onDeviceCode((c) => seen.push(c))
    const code = {
      provider: 'github',
      account: 'default',
      userCode: 'WDJB-MJHT',
      verificationUri: 'https://github.com/login/device',
      verificationUriComplete: null,
      expiresInSecs: 899
    }
    await emit('token-vault://device-code', code)
    await emit('token-vault://session-changed', { provider: 'github' })
    assert.deepStrictEqual(seen, [code])
    await unlisten()
    await emit('token-vault://device-code', code)
    assert.equal(seen.length, 1, 'no delivery after unlisten')
  })

  test('a refused listen becomes a TokenVaultError with code not_allowed', async () => {
    record(() => Promise.reject('event.listen not allowed'))
    await assert.rejects(api.onDeviceCode(() => {}), { name: 'TokenVaultError', code: 'not_allowed' })
  })
})

describe('onSessionChanged', () => {
  test('delivers each payload to the handler and returns an unlisten function', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true })
    const seen = []
    const unlisten = await api.onSessionChanged((e) => seen.push(e))
    assert.equal(typeof unlisten, 'function')

    const signedIn = {
      provider: 'auth0',
      account: 'default',
      state: 'signedIn',
      reason: 'login',
      subject: 'alice',
      claims: { sub: 'alice' }
    }
    const signedOut = { provider: 'auth0', account: 'default', state: 'signedOut', reason: 'session_expired' }
    await emit('token-vault://session-changed', signedIn)
    await emit('some-other-event', { provider: 'x' })
    await emit('token-vault://session-changed', signedOut)
    assert.deepStrictEqual(seen, [signedIn, signedOut])

    await unlisten()
    await emit('token-vault://session-changed', signedIn)
    assert.equal(seen.length, 2, 'no delivery after unlisten')
  })

  test('listens to token-vault://session-changed', async () => {
    const calls = record((cmd) => (cmd === 'plugin:event|listen' ? 7 : undefined))
    const unlisten = await api.onSessionChanged(() => {})
    assert.equal(calls.length, 1)
    assert.equal(calls[0].cmd, 'plugin:event|listen')
    assert.equal(calls[0].args.event, 'token-vault://session-changed')
    await unlisten()
    assert.deepStrictEqual(calls[1], {
      cmd: 'plugin:event|unlisten',
      args: { event: 'token-vault://session-changed', eventId: 7 }
    })
  })

  test('a refused listen becomes a TokenVaultError with code not_allowed', async () => {
    record(() => Promise.reject('event.listen not allowed'))
    await assert.rejects(api.onSessionChanged(() => {}), { name: 'TokenVaultError', code: 'not_allowed' })
  })
})

describe('authFetch', () => {
  const FETCH = 'plugin:token-vault|fetch'
  const utf8 = (text) => new TextEncoder().encode(text)
  const same = (a, b) => Buffer.from(a).equals(Buffer.from(b))

  /** `n` random bytes (getRandomValues fills at most 65 536 at a time). */
  function randomBytes(n) {
    const bytes = new Uint8Array(n)
    for (let i = 0; i < n; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536))
    }
    return bytes
  }

  /** A command result: 200 OK with `body` (a string or bytes), unless overridden. */
  function reply(overrides = {}, body = '') {
    return {
      status: 200,
      statusText: 'OK',
      headers: [],
      body: typeof body === 'string' ? utf8(body) : body,
      url: 'https://api.example.com/',
      ...overrides
    }
  }

  /**
   * The `send` answer of the Rust command: `[kind][u32 LE head length][JSON head][body]`;
   * kind 1 (`streamed: true`) has no body: it comes over the call's channel.
   */
  function frame({ body, streamed, ...head }) {
    const json = utf8(JSON.stringify(head))
    const rest = streamed ? new Uint8Array(0) : body
    const out = new Uint8Array(5 + json.length + rest.length)
    out[0] = streamed ? 1 : 0
    new DataView(out.buffer).setUint32(1, json.length, true)
    out.set(json, 5)
    out.set(rest, 5 + json.length)
    return out.buffer
  }

  /**
   * Replaces the IPC as the `fetch` command sees it: each call's description (the
   * percent-encoded JSON of the `Token-Vault-Fetch` header) and its raw payload. `send` calls
   * are recorded as `{ cmd, args: { provider, account, request: { ..., body } } }` (body: the
   * payload's bytes, null when empty; the call's `id` and `channel` go to `calls.meta`) and
   * answered with `frame(respond(cmd, args, meta))`; `cancel` and `ack` calls go to
   * `calls.controls`.
   */
  function record(respond) {
    const calls = []
    // Not enumerable, so `calls` still compares equal to a plain array of calls.
    Object.defineProperty(calls, 'controls', { value: [] })
    Object.defineProperty(calls, 'meta', { value: [] })
    mockIPC(() => assert.fail('the IPC mock is replaced'))
    window.__TAURI_INTERNALS__.invoke = async (cmd, payload, options) => {
      assert.equal(cmd, FETCH)
      const call = JSON.parse(decodeURIComponent(options.headers['Token-Vault-Fetch']))
      if (call.op !== 'send') {
        calls.controls.push(call)
        return new ArrayBuffer(0)
      }
      assert.ok(payload instanceof Uint8Array, 'the body is the raw payload')
      const { request, ...rest } = call
      const args = { provider: call.provider, account: call.account, request: { ...request, body: payload.length ? new Uint8Array(payload) : null } }
      const meta = { id: rest.id, channel: rest.channel }
      calls.push({ cmd, args })
      calls.meta.push(meta)
      return frame(await respond(cmd, args, meta))
    }
    return calls
  }

  /** Delivers `message` (an ArrayBuffer chunk, `{ end: true }` or `{ error }`) on `channel`. */
  const indexes = new Map()
  function push(channel, message) {
    const id = Number(channel.slice('__CHANNEL__:'.length))
    const index = indexes.get(id) ?? 0
    indexes.set(id, index + 1)
    window.__TAURI_INTERNALS__.runCallback(id, { message, index })
  }

  /** Resolves after pending callbacks ran. */
  const tick = () => new Promise((r) => setTimeout(r, 0))

  /** Calls `call` and returns what it rejected with (fails when it resolves). */
  async function rejection(call) {
    return await call().then(
      () => assert.fail('resolved'),
      (e) => e
    )
  }

  test('a GET sends no body, header pairs, the normalised URL (no fragment) and method', async () => {
    const calls = record(() => reply())
    await api.authFetch('HTTPS://API.Example.com:443/a/../me?x=1#frag', {
      method: 'get',
      headers: { 'X-Trace': 'abc', Accept: 'application/json' }
    })
    assert.deepStrictEqual(calls, [
      {
        cmd: FETCH,
        args: {
          provider: undefined,
          account: undefined,
          request: {
            method: 'GET',
            url: 'https://api.example.com/me?x=1',
            headers: [
              ['accept', 'application/json'],
              ['x-trace', 'abc']
            ],
            body: null,
            timeoutMs: null
          }
        }
      }
    ])
  })

  test('with no init: GET, no headers; a URL object is accepted', async () => {
    const calls = record(() => reply())
    await api.authFetch(new URL('https://api.example.com/me'))
    assert.deepStrictEqual(calls, [
      {
        cmd: FETCH,
        args: {
          provider: undefined,
          account: undefined,
          request: { method: 'GET', url: 'https://api.example.com/me', headers: [], body: null, timeoutMs: null }
        }
      }
    ])
  })

  test('provider, account and timeoutMs are sent, and are not passed to Request', async () => {
    const calls = record(() => reply())
    await api.authFetch('https://api.example.com/me', { provider: 'auth0', account: 'work', timeoutMs: 1500 })
    assert.deepStrictEqual(calls[0].args, {
      provider: 'auth0',
      account: 'work',
      request: { method: 'GET', url: 'https://api.example.com/me', headers: [], body: null, timeoutMs: 1500 }
    })
  })

  test('a POST with a JSON string body sends its content-type and the UTF-8 bytes as the raw payload', async () => {
    const calls = record(() => reply({ status: 201, statusText: 'Created' }))
    const json = JSON.stringify({ text: 'héllo ✓', n: 1 })
    await api.authFetch('https://api.example.com/notes', {
      provider: 'auth0',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json
    })
    assert.equal(calls.length, 1)
    const { cmd, args } = calls[0]
    assert.equal(cmd, FETCH)
    assert.equal(args.provider, 'auth0')
    assert.equal(args.account, undefined)
    assert.equal(args.request.method, 'POST')
    assert.equal(args.request.url, 'https://api.example.com/notes')
    assert.deepStrictEqual(args.request.headers, [['content-type', 'application/json']])
    assert.ok(args.request.body instanceof Uint8Array)
    assert.ok(same(args.request.body, utf8(json)))
    assert.equal(args.request.timeoutMs, null)
  })

  test('string and URLSearchParams bodies get the content-type Request gives them', async () => {
    const calls = record(() => reply())
    await api.authFetch('https://api.example.com/a', { method: 'POST', body: 'plain' })
    await api.authFetch('https://api.example.com/b', {
      method: 'PUT',
      body: new URLSearchParams({ q: 'a b', n: '1' })
    })
    assert.deepStrictEqual(calls[0].args.request.headers, [['content-type', 'text/plain;charset=UTF-8']])
    assert.ok(same(calls[0].args.request.body, utf8('plain')))
    assert.deepStrictEqual(calls[1].args.request.headers, [
      ['content-type', 'application/x-www-form-urlencoded;charset=UTF-8']
    ])
    assert.equal(calls[1].args.request.method, 'PUT')
    assert.ok(same(calls[1].args.request.body, utf8('q=a+b&n=1')))
  })

  // What this proves: page script hands the body bytes to the IPC unchanged (no base64, no
  // text decoding). That the Rust command sends the same bytes to a real server, and that page
  // script reads the echo back exactly, is tests/ipc.rs (through
  // tests/support/authfetch-bridge.mjs).
  test('binary bodies (Uint8Array, ArrayBuffer, DataView, Blob, invalid UTF-8) are the raw payload', async () => {
    const bytes = randomBytes(300_000)
    const invalid = new Uint8Array([0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0xed, 0xa0, 0x80])
    const calls = record(() => reply())
    const bodies = [
      bytes,
      bytes.buffer,
      new DataView(bytes.buffer, 10, 1000),
      new Blob([invalid, bytes.subarray(0, 5)]),
      invalid
    ]
    const want = [bytes, bytes, bytes.subarray(10, 1010), new Uint8Array([...invalid, ...bytes.subarray(0, 5)]), invalid]
    for (const body of bodies) {
      await api.authFetch('https://api.example.com/upload', { method: 'POST', body })
    }
    assert.equal(calls.length, want.length)
    calls.forEach((c, i) => assert.ok(same(c.args.request.body, want[i]), `body ${i}`))
  })

  test('a FormData body is sent with its multipart content-type and boundary', async () => {
    const calls = record(() => reply())
    const form = new FormData()
    form.append('name', 'alice')
    form.append('file', new Blob([new Uint8Array([0xff, 0x00, 0x80])]), 'a.bin')
    await api.authFetch('https://api.example.com/form', { method: 'POST', body: form })
    const [[name, type]] = calls[0].args.request.headers
    assert.equal(name, 'content-type')
    const boundary = type.match(/^multipart\/form-data; ?boundary=(.+)$/)[1]
    const body = Buffer.from(calls[0].args.request.body)
    assert.ok(body.includes(`--${boundary}`), 'the body uses the announced boundary')
    assert.ok(body.includes(Buffer.from([0xff, 0x00, 0x80])), 'file bytes unchanged')
    assert.ok(body.includes('alice'))
  })

  test('an empty body is sent as null, and a GET or HEAD sends none', async () => {
    const calls = record(() => reply())
    await api.authFetch('https://api.example.com/a', { method: 'POST', body: '' })
    await api.authFetch('https://api.example.com/a', { method: 'DELETE' })
    await api.authFetch('https://api.example.com/a', { method: 'HEAD' })
    assert.deepStrictEqual(
      calls.map((c) => [c.args.request.method, c.args.request.body]),
      [
        ['POST', null],
        ['DELETE', null],
        ['HEAD', null]
      ]
    )
  })

  test('a Request input: its method, headers and body are sent; init overrides them', async () => {
    const calls = record(() => reply())
    const req = new Request('https://api.example.com/x', {
      method: 'PUT',
      headers: { 'x-a': '1' },
      body: 'abc'
    })
    await api.authFetch(req, { provider: 'p' })
    assert.deepStrictEqual(calls[0].args, {
      provider: 'p',
      account: undefined,
      request: {
        method: 'PUT',
        url: 'https://api.example.com/x',
        headers: [
          ['content-type', 'text/plain;charset=UTF-8'],
          ['x-a', '1']
        ],
        body: utf8('abc'),
        timeoutMs: null
      }
    })
    await api.authFetch(new Request('https://api.example.com/y', { method: 'POST', body: 'q' }), {
      method: 'PATCH',
      body: 'r'
    })
    assert.equal(calls[1].args.request.method, 'PATCH')
    assert.ok(same(calls[1].args.request.body, utf8('r')))
  })

  test('an Authorization header is passed on for the plugin to refuse', async () => {
    const calls = record(() => {
      throw { code: 'fetch_invalid_request', message: 'the Authorization header is set by the plugin' }
    })
    const e = await rejection(() =>
      api.authFetch('https://api.example.com/me', { headers: { Authorization: 'Bearer stolen' } })
    )
    assert.deepStrictEqual(calls[0].args.request.headers, [['authorization', 'Bearer stolen']])
    assert.ok(e instanceof TokenVaultError)
    assert.equal(e.code, 'fetch_invalid_request')
  })

  test('resolves to a Response with status, statusText, headers, url and the decoded body', async () => {
    const payload = { sub: 'alice', name: 'Alice ✓' }
    record(() =>
      reply(
        {
          status: 201,
          statusText: 'Created',
          headers: [
            ['content-type', 'application/json'],
            ['x-multi', 'a'],
            ['x-multi', 'b']
          ],
          url: 'https://api.example.com/me?x=1'
        },
        JSON.stringify(payload)
      )
    )
    const res = await api.authFetch('https://api.example.com/me?x=1')
    assert.ok(res instanceof Response)
    assert.equal(res.status, 201)
    assert.equal(res.statusText, 'Created')
    assert.equal(res.ok, true)
    assert.equal(res.headers.get('content-type'), 'application/json')
    assert.equal(res.headers.get('x-multi'), 'a, b')
    assert.equal(res.url, 'https://api.example.com/me?x=1')
    assert.deepStrictEqual(await res.json(), payload)
    assert.equal(res.bodyUsed, true)
  })

  test('the Response url is read-only', async () => {
    record(() => reply({ url: 'https://api.example.com/final' }))
    const res = await api.authFetch('https://api.example.com/final')
    assert.throws(() => {
      res.url = 'https://evil.example/'
    }, TypeError)
    assert.equal(res.url, 'https://api.example.com/final')
  })

  test('arrayBuffer() gives the decoded bytes', async () => {
    const bytes = randomBytes(70_000)
    record(() => reply({ headers: [['content-type', 'application/octet-stream']] }, bytes))
    const res = await api.authFetch('https://api.example.com/blob')
    const got = new Uint8Array(await res.arrayBuffer())
    assert.ok(same(got, bytes))
  })

  test('an error status resolves like fetch, with ok false', async () => {
    record(() => reply({ status: 404, statusText: 'Not Found' }, 'no such note'))
    const res = await api.authFetch('https://api.example.com/notes/9')
    assert.equal(res.ok, false)
    assert.equal(res.status, 404)
    assert.equal(await res.text(), 'no such note')
  })

  test('204, 205 and 304 give a null body', async () => {
    for (const [status, statusText] of [
      [204, 'No Content'],
      [205, 'Reset Content'],
      [304, 'Not Modified']
    ]) {
      record(() => reply({ status, statusText }))
      const res = await api.authFetch('https://api.example.com/x', { method: 'DELETE' })
      assert.equal(res.status, status)
      assert.equal(res.body, null, `${status}`)
      assert.equal(await res.text(), '')
    }
  })

  test('a redirect is returned, not followed', async () => {
    const calls = record(() =>
      reply({
        status: 302,
        statusText: 'Found',
        headers: [['location', 'https://elsewhere.example/next']],
        url: 'https://api.example.com/old'
      })
    )
    const res = await api.authFetch('https://api.example.com/old')
    assert.equal(calls.length, 1)
    assert.equal(res.status, 302)
    assert.equal(res.headers.get('location'), 'https://elsewhere.example/next')
    assert.equal(res.url, 'https://api.example.com/old')
    assert.equal(res.redirected, false)
  })

  test('a fetch_not_allowed rejection becomes a TokenVaultError with that code', async () => {
    const error = { code: 'fetch_not_allowed', message: 'https://evil.example/ is not on the provider\'s fetchAllowlist' }
    record(() => {
      throw error
    })
    const e = await rejection(() => api.authFetch('https://evil.example/'))
    assert.ok(e instanceof TokenVaultError)
    assert.ok(isTokenVaultError(e))
    assert.equal(e.code, 'fetch_not_allowed')
    assert.equal(e.message, error.message)
    assert.deepStrictEqual(e.cause, error)
  })

  test('fetch_response_too_large and a permission refusal become TokenVaultErrors', async () => {
    record(() => Promise.reject({ code: 'fetch_response_too_large', message: 'fetch response larger than 10 bytes' }))
    await assert.rejects(api.authFetch('https://api.example.com/big'), {
      name: 'TokenVaultError',
      code: 'fetch_response_too_large'
    })
    const text = 'token-vault.fetch not allowed. Permissions associated with this command: token-vault:allow-fetch'
    record(() => Promise.reject(text))
    await assert.rejects(api.authFetch('https://api.example.com/me'), {
      name: 'TokenVaultError',
      code: 'not_allowed',
      message: text
    })
  })

  test('an already-aborted signal rejects with AbortError and sends nothing', async () => {
    const calls = record(() => reply())
    const e = await rejection(() =>
      api.authFetch('https://api.example.com/me', { signal: AbortSignal.abort() })
    )
    assert.ok(e instanceof DOMException)
    assert.equal(e.name, 'AbortError')
    assert.deepStrictEqual(calls, [])
  })

  test('an aborted signal rejects with its own reason; so does one on a Request input', async () => {
    const calls = record(() => reply())
    const reason = new Error('user left the page')
    await assert.rejects(
      api.authFetch('https://api.example.com/me', { method: 'POST', body: 'x', signal: AbortSignal.abort(reason) }),
      (e) => e === reason
    )
    const controller = new AbortController()
    const req = new Request('https://api.example.com/me', { signal: controller.signal })
    controller.abort()
    await assert.rejects(api.authFetch(req), { name: 'AbortError' })
    assert.deepStrictEqual(calls, [])
  })

  test('a signal that is not aborted does not prevent the request', async () => {
    const calls = record(() => reply({}, 'ok'))
    const res = await api.authFetch('https://api.example.com/me', { signal: new AbortController().signal })
    assert.equal(await res.text(), 'ok')
    assert.equal(calls.length, 1)
  })

  test('a bad URL rejects with a TypeError and sends nothing', async () => {
    const calls = record(() => reply())
    for (const url of ['not a url', 'https://', '/relative/path']) {
      const e = await rejection(() => api.authFetch(url))
      assert.ok(e instanceof TypeError, url)
      assert.ok(!isTokenVaultError(e), url)
    }
    assert.deepStrictEqual(calls, [])
  })

  test('a body on a GET, or a bad timeoutMs, rejects with a TypeError and sends nothing', async () => {
    const calls = record(() => reply())
    await assert.rejects(api.authFetch('https://api.example.com/', { method: 'GET', body: 'x' }), TypeError)
    for (const timeoutMs of [1.5, -1, NaN, '100']) {
      await assert.rejects(api.authFetch('https://api.example.com/', { timeoutMs }), TypeError, String(timeoutMs))
    }
    assert.deepStrictEqual(calls, [])
    await api.authFetch('https://api.example.com/', { timeoutMs: 0 })
    assert.equal(calls[0].args.request.timeoutMs, 0)
  })

  test('a status the Fetch API cannot represent rejects with invalid_response', async () => {
    for (const status of [101, 600]) {
      record(() => reply({ status, statusText: '' }))
      const e = await rejection(() => api.authFetch('https://api.example.com/'))
      assert.ok(isTokenVaultError(e), `${status}`)
      assert.equal(e.code, 'invalid_response')
      assert.ok(e.cause instanceof RangeError)
    }
  })

  test('each call has its own request id and a channel for a body that streams', async () => {
    const calls = record(() => reply())
    await api.authFetch('https://api.example.com/a')
    await api.authFetch('https://api.example.com/b')
    const [m1, m2] = calls.meta
    assert.match(m1.id, /^[0-9a-f]{32}$/)
    assert.notEqual(m1.id, m2.id)
    assert.match(m1.channel, /^__CHANNEL__:\d+$/)
    assert.notEqual(m1.channel, m2.channel)
  })

  test('the channel of a body answered whole, or of a call that failed, is unregistered in page script', async () => {
    // Rust makes its end of the channel only when a body streams, so nothing from Rust would
    // unregister the callback of the others: page script does.
    const registered = (meta) =>
      window.__TAURI_INTERNALS__.callbacks.has(Number(meta.channel.slice('__CHANNEL__:'.length)))
    let fail = false
    const calls = record(() => {
      if (fail) {
        throw { code: 'network', message: 'connection refused' }
      }
      return reply({}, 'whole')
    })
    await api.authFetch('https://api.example.com/whole')
    assert.equal(registered(calls.meta[0]), false, 'whole body: unregistered')
    fail = true
    await assert.rejects(api.authFetch('https://api.example.com/down'), { code: 'network' })
    assert.equal(registered(calls.meta[1]), false, 'failed call: unregistered')
  })

  test('the channel of a streamed body stays registered until its end message', async () => {
    let channel
    record((cmd, args, meta) => {
      channel = meta.channel
      return reply({ streamed: true })
    })
    const registered = () =>
      window.__TAURI_INTERNALS__.callbacks.has(Number(channel.slice('__CHANNEL__:'.length)))
    const res = await api.authFetch('https://api.example.com/big')
    assert.equal(registered(), true, 'streaming: registered')
    push(channel, randomBytes(3).buffer)
    push(channel, { end: true })
    assert.equal((await res.arrayBuffer()).byteLength, 3)
    assert.equal(registered(), true, 'the end message only: Rust\'s channel has not ended yet')
    window.__TAURI_INTERNALS__.runCallback(Number(channel.slice('__CHANNEL__:'.length)), { end: true, index: 2 })
    assert.equal(registered(), false, 'unregistered by the end of Rust\'s channel')
  })

  test('a streamed body (kind 1) is the channel\'s raw chunks in order, acked as read', async () => {
    const parts = [randomBytes(700_000), new Uint8Array([0xff, 0xfe, 0x00]), randomBytes(1_500_000)]
    const calls = record((cmd, args, meta) => {
      // Rust sends the chunks after its answer; here some arrive before, some after.
      push(meta.channel, parts[0].slice().buffer)
      setTimeout(() => {
        push(meta.channel, parts[1].slice().buffer)
        push(meta.channel, parts[2].slice().buffer)
        push(meta.channel, { end: true })
      }, 5)
      return reply({ streamed: true, headers: [['content-type', 'application/octet-stream']] })
    })
    const res = await api.authFetch('https://api.example.com/big')
    assert.ok(res.body instanceof ReadableStream)
    const got = new Uint8Array(await res.arrayBuffer())
    assert.ok(same(got, Buffer.concat(parts)), 'all bytes, in order')
    const acked = calls.controls.filter((c) => c.op === 'ack')
    assert.ok(acked.length >= 1, 'acks sent')
    assert.ok(acked.every((c) => c.id === calls.meta[0].id))
    assert.ok(acked.reduce((n, c) => n + c.bytes, 0) <= got.length)
    assert.deepStrictEqual(calls.controls.filter((c) => c.op === 'cancel'), [])
  })

  test('a stream error from Rust (over fetchMaxStreamBytes) errors the body with a TokenVaultError', async () => {
    record((cmd, args, meta) => {
      setTimeout(() => {
        push(meta.channel, randomBytes(10).buffer)
        push(meta.channel, { error: { code: 'fetch_response_too_large', message: 'fetch response larger than 20 bytes' } })
      }, 0)
      return reply({ streamed: true })
    })
    const res = await api.authFetch('https://api.example.com/huge')
    const e = await rejection(() => res.arrayBuffer())
    assert.ok(isTokenVaultError(e))
    assert.equal(e.code, 'fetch_response_too_large')
  })

  test('aborting while the request is in flight cancels it in Rust and rejects with the reason', async () => {
    let release
    const calls = record(() => new Promise((r) => (release = r)))
    const controller = new AbortController()
    const pending = api.authFetch('https://api.example.com/slow', { signal: controller.signal })
    await tick()
    assert.equal(calls.length, 1)
    controller.abort()
    await assert.rejects(pending, { name: 'AbortError' })
    assert.deepStrictEqual(calls.controls, [{ op: 'cancel', id: calls.meta[0].id }])
    release(reply())
  })

  test('aborting mid-stream cancels it in Rust and errors the body; cancelling the body does too', async () => {
    let channel
    const calls = record((cmd, args, meta) => {
      if (!channel) {
        channel = meta.channel
        setTimeout(() => push(channel, randomBytes(1000).buffer), 0)
      }
      return reply({ streamed: true })
    })
    const controller = new AbortController()
    const res = await api.authFetch('https://api.example.com/big', { signal: controller.signal })
    const reader = res.body.getReader()
    assert.equal((await reader.read()).value.length, 1000)
    const reason = new Error('stop')
    controller.abort(reason)
    await assert.rejects(reader.read(), (e) => e === reason)
    assert.deepStrictEqual(calls.controls.filter((c) => c.op === 'cancel'), [{ op: 'cancel', id: calls.meta[0].id }])
    // Chunks arriving after the cancel are dropped without error.
    push(channel, randomBytes(10).buffer)

    const res2 = await api.authFetch('https://api.example.com/big2')
    await res2.body.cancel()
    assert.deepStrictEqual(calls.controls.filter((c) => c.op === 'cancel').at(-1), { op: 'cancel', id: calls.meta[1].id })
  })

  test('aborting after a whole (buffered) response sends no cancel', async () => {
    const calls = record(() => reply({}, 'done'))
    const controller = new AbortController()
    const res = await api.authFetch('https://api.example.com/x', { signal: controller.signal })
    controller.abort()
    assert.equal(await res.text(), 'done')
    assert.deepStrictEqual(calls.controls, [])
  })
})

describe('api-iife.js', () => {
  const source = readFileSync(`${root}api-iife.js`, 'utf8')

  /** Runs the script in a fresh context whose `window` has only a fake Tauri IPC. */
  function load(respond, extra = {}, globals = {}) {
    const calls = []
    const window = {
      __TAURI_INTERNALS__: {
        invoke: async (cmd, args) => {
          calls.push({ cmd, args })
          return respond(cmd, args)
        },
        transformCallback: () => 1
      },
      ...extra
    }
    const context = vm.createContext({ window, ...globals })
    vm.runInContext(source, context, { filename: 'api-iife.js' })
    return { window, calls }
  }

  test('defines window.__TAURI_PLUGIN_TOKEN_VAULT__ and routes login through __TAURI_INTERNALS__', async () => {
    const { window, calls } = load(() => status)
    const plugin = window.__TAURI_PLUGIN_TOKEN_VAULT__
    assert.equal(typeof plugin, 'object')
    for (const name of [
      'login',
      'loginWithDeviceCode',
      'onDeviceCode',
      'logout',
      'getSession',
      'listSessions',
      'refresh',
      'cancelLogin',
      'getToken',
      'authFetch',
      'onSessionChanged',
      'isTokenVaultError',
      'TokenVaultError'
    ]) {
      assert.equal(typeof plugin[name], 'function', name)
    }
    assert.deepStrictEqual(await plugin.login('p'), status)
    assert.equal(calls.length, 1)
    assert.equal(calls[0].cmd, 'plugin:token-vault|login')
    assert.equal(calls[0].args.provider, 'p')
    assert.equal(calls[0].args.account, undefined)
  })

  test('reads __TAURI_INTERNALS__ at call time, not at load time', async () => {
    const { window } = load(() => null)
    const seen = []
    window.__TAURI_INTERNALS__ = { invoke: async (cmd) => (seen.push(cmd), false) }
    assert.equal(await window.__TAURI_PLUGIN_TOKEN_VAULT__.cancelLogin('p'), false)
    assert.deepStrictEqual(seen, ['plugin:token-vault|cancel_login'])
  })

  test('rejects with its TokenVaultError', async () => {
    const { window } = load(() => Promise.reject({ code: 'login_cancelled', message: 'cancelled' }))
    const plugin = window.__TAURI_PLUGIN_TOKEN_VAULT__
    const e = await plugin.login('p').then(
      () => assert.fail('resolved'),
      (e) => e
    )
    assert.ok(e instanceof plugin.TokenVaultError)
    assert.equal(e.code, 'login_cancelled')
    assert.equal(e.message, 'cancelled')
  })

  test('authFetch works through the script with the webview globals', async () => {
    const head = new TextEncoder().encode(
      JSON.stringify({ status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], url: 'https://api.example.com/me' })
    )
    const body = new TextEncoder().encode('{"ok":true}')
    const answer = new Uint8Array(5 + head.length + body.length)
    new DataView(answer.buffer).setUint32(1, head.length, true)
    answer.set(head, 5)
    answer.set(body, 5 + head.length)
    const { window, calls } = load(
      () => answer.buffer,
      {},
      // The script reads these as globals, as a webview provides them.
      {
        Request,
        Response,
        Headers,
        DOMException,
        ReadableStream,
        ByteLengthQueuingStrategy,
        TextDecoder,
        DataView,
        crypto,
        Uint8Array,
        ArrayBuffer
      }
    )
    const res = await window.__TAURI_PLUGIN_TOKEN_VAULT__.authFetch('https://api.example.com/me', {
      method: 'POST',
      body: 'hi'
    })
    assert.deepStrictEqual(await res.json(), { ok: true })
    assert.equal(res.url, 'https://api.example.com/me')
    assert.equal(calls.length, 1)
    assert.equal(calls[0].cmd, 'plugin:token-vault|fetch')
    assert.deepStrictEqual([...calls[0].args], [...new TextEncoder().encode('hi')])
  })

  test('also sets window.__TAURI__.tokenVault when the global API is present', () => {
    const { window } = load(() => null, { __TAURI__: {} })
    assert.equal(window.__TAURI__.tokenVault, window.__TAURI_PLUGIN_TOKEN_VAULT__)
  })
})
