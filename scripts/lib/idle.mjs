// The plugin's idle cost in a running app (scripts/size.sh --idle): threads and resident memory
// of the app's own process (not WebKit's web and network processes), for the bare app and for
// the example app before and after a sign-in against the bundled provider.
//
//   node scripts/lib/idle.mjs <bare app binary> <example app binary>
//
// Needs what scripts/e2e.sh needs (a display, a Secret Service, tauri-driver + WebKitWebDriver):
// scripts/size.sh runs it under scripts/with-keyring.sh and xvfb-run. Each figure is read
// IDLE_SETTLE_MS (default 5000) after the state is reached, with no request in flight.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [bareApp, exampleApp] = process.argv.slice(2).map((p) => realpathSync(p));
const PORT = Number(process.env.IDLE_DRIVER_PORT ?? 4460);
const SETTLE = Number(process.env.IDLE_SETTLE_MS ?? 5000);
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function wd(method, url, body) {
  const res = await fetch(`http://127.0.0.1:${PORT}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${url}: ${res.status} ${JSON.stringify(json.value)}`);
  return json.value;
}

async function waitText(session, css, want) {
  const end = Date.now() + 30_000;
  let last = '';
  while (Date.now() < end) {
    try {
      const e = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
      last = await wd('GET', `/session/${session}/element/${e[ELEMENT]}/text`);
      if (last === want) return;
    } catch (e) {
      last = String(e);
    }
    await sleep(250);
  }
  throw new Error(`${css} is "${last}", not "${want}"`);
}

async function click(session, css) {
  const e = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
  await wd('POST', `/session/${session}/element/${e[ELEMENT]}/click`, {});
}

// The one running process whose executable is `exe`.
function pidOf(exe) {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
    try { return readlinkSync(`/proc/${p}/exe`) === exe; } catch { return false; }
  })());
  if (pids.length !== 1) throw new Error(`${pids.length} processes run ${exe}`);
  return pids[0];
}

function measure(exe, label) {
  const pid = pidOf(exe);
  const tasks = readdirSync(`/proc/${pid}/task`);
  const names = {};
  for (const t of tasks) {
    const n = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    names[n] = (names[n] ?? 0) + 1;
  }
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))[1]);
  const row = { label, threads: tasks.length, rssKiB: kb('VmRSS'), anonKiB: kb('RssAnon'), names };
  const list = Object.entries(names).sort().map(([n, c]) => (c > 1 ? `${n}×${c}` : n)).join(', ');
  console.log(`idle: ${label}: threads ${row.threads}, VmRSS ${(row.rssKiB / 1024).toFixed(1)} MiB (RssAnon ${(row.anonKiB / 1024).toFixed(1)} MiB)`);
  console.log(`idle:   thread names: ${list}`);
  return row;
}

const state = mkdtempSync(path.join(tmpdir(), 'tv-idle-idp-'));
const idp = spawn('node', [path.join(root, 'tests/idp/server.mjs')], {
  env: { ...process.env, IDP_STATE_DIR: state },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let driver;
try {
  const ready = JSON.parse(await new Promise((resolve, reject) => {
    let buf = '';
    idp.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    idp.on('exit', (c) => reject(new Error(`the provider exited with ${c}`)));
  }));
  driver = spawn('tauri-driver', ['--port', String(PORT), '--native-port', String(PORT + 1)], {
    env: {
      ...process.env,
      TOKEN_VAULT_ISSUER: ready.issuer,
      TOKEN_VAULT_CLIENT_ID: 'tv-native',
      TOKEN_VAULT_CA_CERT: ready.caCert,
      TOKEN_VAULT_SCOPE: 'openid profile email offline_access',
      BROWSER: path.join(root, 'tests/support/browser-standin.mjs'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i += 1) {
    try { await fetch(`http://127.0.0.1:${PORT}/status`); break; } catch { /* not yet */ }
    if (i > 100) throw new Error('tauri-driver is not answering');
    await sleep(200);
  }
  const open = async (app) => (await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app } } },
  })).sessionId;

  let s = await open(bareApp);
  await sleep(SETTLE);
  const bare = measure(bareApp, 'bare app, window loaded');
  await wd('DELETE', `/session/${s}`);
  await sleep(1000);

  s = await open(exampleApp);
  await waitText(s, '#status', 'signed out');
  await sleep(SETTLE);
  const before = measure(exampleApp, 'example app, signed out');
  await click(s, '#login');
  await waitText(s, '#status', 'signed in as alice');
  await sleep(SETTLE);
  const after = measure(exampleApp, 'example app, after sign-in');
  await click(s, '#call-api');
  await sleep(SETTLE);
  const fetched = measure(exampleApp, 'example app, after one authFetch');
  await wd('DELETE', `/session/${s}`);

  const d = (a, b) => `${b.threads - a.threads >= 0 ? '+' : ''}${b.threads - a.threads} threads, ${((b.rssKiB - a.rssKiB) / 1024).toFixed(1)} MiB RSS`;
  console.log(`idle: plugin loaded (example signed out vs bare): ${d(bare, before)}`);
  console.log(`idle: sign-in (after vs before): ${d(before, after)}`);
  console.log(`idle: after sign-in and one authFetch vs bare: ${d(bare, fetched)}`);
} finally {
  driver?.kill();
  idp.kill();
}
