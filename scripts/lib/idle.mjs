// The plugin's idle cost in a running app (scripts/size.sh --idle): threads and resident memory
// of the app's own process (not WebKit's web and network processes), for the bare app and for
// the example app before and after a sign-in against the bundled provider.
//
//   node scripts/lib/idle.mjs <bare app binary> <example app binary>
//
// Needs what scripts/e2e.sh needs (a display, a Secret Service, tauri-driver + WebKitWebDriver):
// scripts/size.sh runs it under scripts/with-keyring.sh and xvfb-run. Each figure is read
// IDLE_SETTLE_MS (default 5000) after the state is reached, with no request in flight.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { sleep, startDriver, startProvider, webDriver } from '../../tests/support/window.mjs';

const [bareApp, exampleApp] = process.argv.slice(2).map((p) => realpathSync(p));
const PORT = Number(process.env.IDLE_DRIVER_PORT ?? 4460);
const SETTLE = Number(process.env.IDLE_SETTLE_MS ?? 5000);
const client = webDriver(PORT);
const { wd } = client;

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

const { child: idp, ready } = await startProvider();
let driver;
try {
  driver = await startDriver(PORT, ready, {}, 'ignore');
  const open = (app) => client.open(app);

  let s = await open(bareApp);
  await sleep(SETTLE);
  const bare = measure(bareApp, 'bare app, window loaded');
  await wd('DELETE', `/session/${s}`);
  await sleep(1000);

  s = await open(exampleApp);
  await client.waitText(s, '#status', 'signed out');
  await sleep(SETTLE);
  const before = measure(exampleApp, 'example app, signed out');
  await client.click(s, '#login');
  await client.waitText(s, '#status', 'signed in as alice');
  await sleep(SETTLE);
  const after = measure(exampleApp, 'example app, after sign-in');
  await client.click(s, '#call-api');
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
