// The real-window harness shared by the end-to-end test (tests/e2e/app.test.mjs), the
// real-window benchmark (tests/bench/window.mjs) and the idle measurement
// (scripts/lib/idle.mjs): the bundled provider in a child process, tauri-driver (which starts
// WebKitWebDriver, which starts the app: the app inherits the driver's environment, so it signs
// in to that provider through the browser stand-in), and a small WebDriver client.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The key of an element reference in WebDriver answers. */
export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The first line `child` prints on stdout; rejects when it exits first or after 30 s. */
export function waitForLine(child, what) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 30_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/**
 * Starts the bundled provider (tests/idp/server.mjs, state in a new temporary directory) with
 * `env` added to its environment: `{ child, ready }`, `ready` being the JSON line it prints once
 * it listens (`issuer`, `caCert`, ...).
 */
export async function startProvider(env = {}) {
  const state = mkdtempSync(path.join(tmpdir(), 'tv-idp-'));
  const child = spawn('node', [path.join(root, 'tests/idp/server.mjs')], {
    env: { ...process.env, IDP_STATE_DIR: state, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = JSON.parse(await waitForLine(child, 'the provider'));
  return { child, ready };
}

/**
 * Starts tauri-driver on `port` (WebKitWebDriver on `port + 1`) for apps that sign in to the
 * provider `ready` describes (the example app reads `TOKEN_VAULT_*`), with `env` added to what
 * the app gets; resolves to the child once the driver answers.
 */
export async function startDriver(port, ready, env = {}, stdout = 'inherit') {
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
    env: {
      ...process.env,
      TOKEN_VAULT_ISSUER: ready.issuer,
      TOKEN_VAULT_CLIENT_ID: 'tv-native',
      TOKEN_VAULT_CA_CERT: ready.caCert,
      TOKEN_VAULT_SCOPE: 'openid profile email offline_access',
      BROWSER: path.join(root, 'tests/support/browser-standin.mjs'),
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  for (let i = 0; ; i += 1) {
    try {
      await fetch(`http://127.0.0.1:${port}/status`);
      return child;
    } catch {
      if (i >= 100) {
        child.kill();
        throw new Error('tauri-driver is not answering');
      }
      await sleep(200);
    }
  }
}

/** A WebDriver client of the driver on `port`. */
export function webDriver(port) {
  /** One WebDriver call: its `value`, or an error naming the call and the answer. */
  async function wd(method, url, body) {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${url}: ${res.status} ${JSON.stringify(json.value)}`);
    return json.value;
  }
  async function el(session, css) {
    const v = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
    return v[ELEMENT];
  }
  async function text(session, css) {
    return wd('GET', `/session/${session}/element/${await el(session, css)}/text`);
  }
  return {
    wd,
    el,
    text,
    /** Opens `app` (a binary's path) in a new session: the session's id. */
    async open(app) {
      const value = await wd('POST', '/session', {
        capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app } } },
      });
      return value.sessionId;
    },
    async click(session, css) {
      await wd('POST', `/session/${session}/element/${await el(session, css)}/click`, {});
    },
    /**
     * Waits until the text of `css` is `want` (a string) or satisfies it (a predicate), checking
     * every 250 ms for `timeoutMs`: resolves to the text, or rejects naming `what` and the last
     * text seen.
     */
    async waitText(session, css, want, what = css, timeoutMs = 30_000) {
      const ok = typeof want === 'function' ? want : (s) => s === want;
      const end = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < end) {
        try {
          last = await text(session, css);
          if (ok(last)) return last;
        } catch (e) {
          last = String(e);
        }
        await sleep(250);
      }
      throw new Error(`${what}: ${css} is "${last}"`);
    },
  };
}
