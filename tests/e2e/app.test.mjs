// End-to-end: the example app in a real window (under Xvfb), driven over WebDriver
// (tauri-driver + WebKitWebDriver), signing in against the bundled provider's real login form
// (completed by the headless browser stand-in as $BROWSER), calling the protected API through
// authFetch (bodies answered whole and streamed, every byte checked), surviving a restart
// (session restored from the Secret Service), logging out, and signing in on another device
// (RFC 8628: the code and its QR code shown, the stand-in approving on "a phone").
//
// Run by scripts/e2e.sh (which sets up Xvfb, a private keyring, tauri-driver). Needs:
//   E2E_APP        absolute path of the built example app binary
//   E2E_OUT        directory for screenshots
// Uses node's test runner: node --test tests/e2e/
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { root, startDriver, startProvider, webDriver } from '../support/window.mjs';

const app = process.env.E2E_APP;
const out = process.env.E2E_OUT ?? path.join(root, 'target/e2e');
const DRIVER_PORT = Number(process.env.E2E_DRIVER_PORT ?? 4444);
mkdirSync(out, { recursive: true });

const driverClient = webDriver(DRIVER_PORT);
const { wd } = driverClient;
let idp;
let driver;
let issuer;
let session;

const newSession = () => driverClient.open(app);
const text = (css) => driverClient.text(session, css);
const click = (css) => driverClient.click(session, css);
const waitText = (css, predicate, what, timeoutMs) =>
  driverClient.waitText(session, css, predicate, what, timeoutMs);

async function screenshot(name) {
  // Give the window a frame to paint what the DOM already shows.
  await new Promise((r) => setTimeout(r, 500));
  const png = await wd('GET', `/session/${session}/screenshot`);
  const file = path.join(out, name);
  writeFileSync(file, Buffer.from(png, 'base64'));
  return file;
}

async function onFailure(t, fn) {
  try {
    await fn();
  } catch (e) {
    if (session) {
      try {
        const file = await screenshot(`failure-${t.name.replace(/\W+/g, '-')}.png`);
        e.message += `\n(screenshot: ${file})`;
      } catch { /* the window may be gone */ }
    }
    throw e;
  }
}

before(async () => {
  assert.ok(app, 'E2E_APP must name the example app binary');
  let ready;
  ({ child: idp, ready } = await startProvider({ IDP_DEVICE: '1' }));
  issuer = ready.issuer;
  // tauri-driver → WebKitWebDriver → the app: the app inherits the driver's environment.
  driver = await startDriver(DRIVER_PORT, ready);
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill();
  idp?.kill();
});

test('sign in through the real login form, call the API, see the signed-in window', async (t) => {
  session = await newSession();
  await onFailure(t, async () => {
    await waitText('#status', (s) => s === 'signed out', 'fresh app is signed out');
    await click('#login');
    await waitText('#status', (s) => s === 'signed in as alice', 'after login');
    const expiry = await waitText('#expiry', (s) => /expires in \d+ s/.test(s), 'expiry countdown');
    assert.match(expiry, /expires in \d+ s/);
    assert.match(await text('#claims'), /"name": "Test User alice"/);
    await click('#call-api');
    const result = await waitText('#api-result', (s) => s.startsWith('200'), 'API result');
    assert.match(result, /"sub":"alice"/);

    // Bodies in the real window: 1 MiB answered whole and 12 MiB streamed (over the default
    // fetchMaxBodyBytes, 10 MiB), every byte checked; neither leaves its channel's callback
    // registered in page script (whole: page script unregisters it; streamed: the Rust end,
    // made for the stream, ends it when dropped).
    const bodies = await wd('POST', `/session/${session}/execute/async`, {
      script: `const [base, done] = arguments;
        (async () => {
          const tv = window.__TAURI_PLUGIN_TOKEN_VAULT__;
          const callbacks = window.__TAURI_INTERNALS__.callbacks;
          const before = callbacks.size;
          const get = async (n) => {
            const res = await tv.authFetch(base + '/__test/bytes?n=' + n, { provider: 'demo' });
            const b = new Uint8Array(await res.arrayBuffer());
            let firstBad = -1;
            for (let i = 0; i < b.length; i++) if (b[i] !== (7 * i) % 251) { firstBad = i; break; }
            return { status: res.status, length: b.length, firstBad };
          };
          const whole = await get(1 << 20);
          const afterWhole = callbacks.size;
          const streamed = await get(12 << 20);
          // The Rust end's drop reaches page script as a script evaluation, after the body.
          for (let i = 0; i < 100 && callbacks.size > before; i++) await new Promise((r) => setTimeout(r, 50));
          return { before, whole, afterWhole, streamed, after: callbacks.size };
        })().then(done, (e) => done({ error: String(e && e.message || e) }));`,
      args: [new URL(issuer).origin],
    });
    assert.equal(bodies.error, undefined, `authFetch of large bodies: ${bodies.error}`);
    assert.deepEqual(bodies.whole, { status: 200, length: 1 << 20, firstBad: -1 }, 'whole body intact');
    assert.deepEqual(bodies.streamed, { status: 200, length: 12 << 20, firstBad: -1 }, 'streamed body intact');
    assert.equal(bodies.afterWhole, bodies.before, 'no callback left after a whole body');
    assert.equal(bodies.after, bodies.before, 'no callback left after a streamed body');

    const file = await screenshot('signed-in.png');
    console.log(`screenshot of the signed-in window: ${file}`);
  });
  await wd('DELETE', `/session/${session}`);
  session = undefined;
});

test('after a restart the session is restored from the Secret Service; logout signs out', async (t) => {
  session = await newSession();
  await onFailure(t, async () => {
    await waitText('#status', (s) => s === 'signed in as alice', 'restored after restart');
    await click('#refresh');
    await waitText('#expiry', (s) => /expires in \d+ s/.test(s), 'refreshed token expiry');
    await click('#logout');
    await waitText('#status', (s) => s === 'signed out', 'after logout');
    await screenshot('signed-out.png');
  });
  await wd('DELETE', `/session/${session}`);
  session = undefined;
});

test('sign in on another device: the window shows the code and a QR code, then the session', async (t) => {
  session = await newSession();
  await onFailure(t, async () => {
    await waitText('#status', (s) => s === 'signed out', 'signed out before');
    await click('#login-device');
    const code = await waitText('#device-code', (s) => /^[A-Z0-9-]{4,}$/.test(s), 'user code shown');
    const uri = await text('#device-uri');
    assert.equal(new URL(uri).origin, new URL(issuer).origin, 'the provider\'s verification URI');
    // The QR code: an SVG of dark modules (a 29×29 version-3 code has well over 100).
    const qr = await wd('POST', `/session/${session}/execute/sync`, {
      script: 'const s = document.querySelector("#device-qr svg"); return s ? s.outerHTML : null;',
      args: [],
    });
    assert.ok(qr && qr.startsWith('<svg'), `a QR code is drawn: ${qr?.slice(0, 80)}`);
    assert.ok(!qr.includes(code), 'the SVG carries no text of the URI');
    await screenshot('device-code.png');
    // "A phone": the stand-in opens the complete verification URI and approves as bob.
    const complete = `${uri}?user_code=${encodeURIComponent(code)}`;
    const standin = spawn('node', [path.join(root, 'tests/support/browser-standin.mjs'), '--device', complete, '--as', 'bob'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exit = await new Promise((resolve) => standin.on('exit', resolve));
    assert.equal(exit, 0, 'the stand-in approved the device');
    await waitText('#status', (s) => s === 'signed in as bob', 'after approval on the other device');
    assert.equal(await wd('POST', `/session/${session}/execute/sync`, {
      script: 'return document.querySelector("#device").hidden;', args: [],
    }), true, 'the code is hidden again');
    await click('#logout');
    await waitText('#status', (s) => s === 'signed out', 'after logout');
  });
  await wd('DELETE', `/session/${session}`);
  session = undefined;
});
