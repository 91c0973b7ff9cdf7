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
    name: 'logout',
    call: () => api.logout('auth0'),
    cmd: 'plugin:token-vault|logout',
    args: { provider: 'auth0', account: undefined },
    result: {
      revoked: false,
      revocationError: { code: 'network', message: 'revocation endpoint unreachable' },
      endSessionAvailable: true
    }
  },
  {
    name: 'logout with account',
    call: () => api.logout('auth0', { account: 'work' }),
    cmd: 'plugin:token-vault|logout',
    args: { provider: 'auth0', account: 'work' },
    result: { revoked: true, revocationError: null, endSessionAvailable: false }
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
    args: { provider: 'auth0', account: undefined, minTtlSecs: undefined },
    result: 'at-123'
  },
  {
    name: 'getToken with options',
    call: () => api.getToken('auth0', { account: 'work', minTtlSecs: 60 }),
    cmd: 'plugin:token-vault|get_token',
    args: { provider: 'auth0', account: 'work', minTtlSecs: 60 },
    result: 'at-456'
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

describe('api-iife.js', () => {
  const source = readFileSync(`${root}api-iife.js`, 'utf8')

  /** Runs the script in a fresh context whose `window` has only a fake Tauri IPC. */
  function load(respond, extra = {}) {
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
    const context = vm.createContext({ window })
    vm.runInContext(source, context, { filename: 'api-iife.js' })
    return { window, calls }
  }

  test('defines window.__TAURI_PLUGIN_TOKEN_VAULT__ and routes login through __TAURI_INTERNALS__', async () => {
    const { window, calls } = load(() => status)
    const plugin = window.__TAURI_PLUGIN_TOKEN_VAULT__
    assert.equal(typeof plugin, 'object')
    for (const name of [
      'login',
      'logout',
      'getSession',
      'listSessions',
      'refresh',
      'cancelLogin',
      'getToken',
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

  test('also sets window.__TAURI__.tokenVault when the global API is present', () => {
    const { window } = load(() => null, { __TAURI__: {} })
    assert.equal(window.__TAURI__.tokenVault, window.__TAURI_PLUGIN_TOKEN_VAULT__)
  })
})
