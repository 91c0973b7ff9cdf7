// The real-window benchmark (scripts/bench.sh; not a test): the example app built with
// `--features bench`, in a real window under Xvfb, driven over WebDriver (tauri-driver +
// WebKitWebDriver), signed in to the bundled provider, against a plain-http server on
// 127.0.0.1 started here. For each GET size: authFetch, the webview's own fetch with the bearer
// header added by hand, @tauri-apps/plugin-http's fetch with the same header, and authFetch as
// it was before bytes crossed the IPC (`legacy`: base64 in JSON), and the IPC alone (`ipcFloor`:
// the same bytes answered from memory by a bench-only command); then a 10 MiB upload (authFetch,
// webview, http plugin, legacy). Each GET size first runs a block per method (one untimed
// request, then BENCH_RSS_RUNS timed) for the app process's peak RSS growth over its RSS before
// the block (sampled every 5 ms from /proc);
// the GET times are medians of BENCH_RUNS interleaved rounds after that (one sample per method
// per round, the order rotated each round, a sample being REPS GETs back to back), so a drift of
// the machine or the webview over the run is shared by all methods instead of landing on
// whichever block ran then; the ratio to the webview is also given as the median of the rounds'
// own ratios (each round's samples ran side by side). Upload times are
// medians of BENCH_RUNS runs in one block per method.
//
// Needs: E2E_APP (the example app built with --features bench), tauri-driver on PATH.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { startDriver, startProvider, webDriver } from '../support/window.mjs';

const app = process.env.E2E_APP;
const DRIVER_PORT = Number(process.env.BENCH_DRIVER_PORT ?? 4445);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const RSS_RUNS = Number(process.env.BENCH_RSS_RUNS ?? 3);
const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [['1KB', KiB], ['1MB', MiB], ['10MB', 10 * MiB], ['50MB', 50 * MiB]];
// GETs per timed sample in the interleaved rounds, by size: the page's clock has 1 ms steps.
const REPS = { '1KB': 20, '1MB': 5, '10MB': 1, '50MB': 1 };
const METHODS = ['authFetch', 'webview', 'http', 'legacy', 'ipcFloor'];

// The bench server: GET /bytes?n=N (N bytes, Content-Length), POST /upload (answers the
// length it read); CORS for the webview's own fetch (it adds an Authorization header).
const blobs = new Map();
const server = http.createServer((req, res) => {
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-allow-methods': 'GET, POST',
    'access-control-max-age': '600',
  };
  const url = new URL(req.url, 'http://x');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors).end();
  } else if (url.pathname === '/bytes') {
    const n = Number(url.searchParams.get('n'));
    if (!blobs.has(n)) blobs.set(n, Buffer.alloc(n, 0xa5));
    res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': n });
    res.end(blobs.get(n));
  } else if (url.pathname === '/upload') {
    let length = 0;
    req.on('data', (c) => { length += c.length; });
    req.on('end', () => {
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ length }));
    });
  } else {
    res.writeHead(404, cors).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const client = webDriver(DRIVER_PORT);
const { wd } = client;
const { child: idp, ready } = await startProvider();
let driver;
let session;
try {
  driver = await startDriver(DRIVER_PORT, ready, { TOKEN_VAULT_BENCH_ORIGIN: origin });
  session = await client.open(app);
  await wd('POST', `/session/${session}/timeouts`, { script: 900_000 });
  // Page-side calls: `tokenVaultBench.<fn>(...args)`, resolved or rejected.
  const page = async (fn, ...args) => {
    const r = await wd('POST', `/session/${session}/execute/async`, {
      script: `const done = arguments[arguments.length - 1];
        window.tokenVaultBench.${fn}(...Array.from(arguments).slice(0, -1))
          .then((value) => done({ value }), (e) => done({ error: String(e && e.message || e) }));`,
      args,
    });
    if (r.error) throw new Error(`${fn}(${args.join(', ')}): ${r.error}`);
    return r.value;
  };

  await client.waitText(session, '#status', 'signed out', 'the app', 50_000);
  await client.click(session, '#login');
  await client.waitText(session, '#status', 'signed in as alice', 'the sign-in', 50_000);
  const { pid } = await page('prepare');

  const rss = () => {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return Number(m[1]) * KiB;
  };
  // One block: its times and the app's peak RSS growth while it ran.
  const block = async (fn, ...args) => {
    const before = rss();
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 5);
    try {
      const times = await page(fn, ...args);
      peak = Math.max(peak, rss());
      return { times, growth: peak - before };
    } finally {
      clearInterval(timer);
    }
  };
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const ms = (x) => (x.error ? 'failed' : median(x.times).toFixed(2));
  // The median over rounds of `method`'s time over the webview's in the same round.
  const ratio = (r, method) =>
    r[method].error || r.webview.error
      ? 'failed'
      : `${median(r[method].times.map((t, i) => t / r.webview.times[i])).toFixed(2)}x`;
  const mb = (bytes) => (bytes / MiB).toFixed(1);
  const results = {};
  for (const [label, size] of SIZES) {
    results[label] = {};
    const url = `${origin}/bytes?n=${size}`;
    for (const method of METHODS) {
      try {
        results[label][method] = await block('get', method, url, size, RSS_RUNS);
        results[label][method].times = [];
      } catch (e) {
        results[label][method] = { error: e.message };
      }
    }
    const working = METHODS.filter((m) => !results[label][m].error);
    for (let round = 0; round < RUNS; round += 1) {
      const k = round % working.length;
      const order = [...working.slice(k), ...working.slice(0, k)];
      const times = await page('round', order, url, size, REPS[label]);
      for (const m of working) results[label][m].times.push(times[m]);
    }
    const r = results[label];
    console.log(`authFetch ${label}: ${ms(r.authFetch)} ms; webview fetch: ${ms(r.webview)} ms; http plugin fetch: ${ms(r.http)} ms`);
  }
  const up = {};
  for (const method of ['authFetch', 'webview', 'http', 'legacy']) {
    try {
      up[method] = await block('upload', method, `${origin}/upload`, 10 * MiB, RUNS);
    } catch (e) {
      up[method] = { error: e.message };
    }
  }
  console.log(`upload 10MB: authFetch ${ms(up.authFetch)} ms; webview fetch: ${ms(up.webview)} ms`);

  // The details: before/after and memory.
  console.log('\nmedian ms (runs of each) and the app process\'s peak RSS growth in MiB:');
  for (const [label] of SIZES) {
    const r = results[label];
    const cells = METHODS.map((m) => `${m} ${ms(r[m])} ms / +${r[m].error ? '-' : mb(r[m].growth)} MiB${r[m].error ? ` (${r[m].error})` : ''}`);
    console.log(`  GET ${label}: ${cells.join('; ')}`);
    const ratios = METHODS.filter((m) => m !== 'webview').map((m) => `${m} ${ratio(r, m)}`);
    console.log(`    per-round ratio to the webview's fetch (median): ${ratios.join('; ')}`);
  }
  const cells = ['authFetch', 'webview', 'http', 'legacy'].map((m) => `${m} ${ms(up[m])} ms / +${up[m].error ? '-' : mb(up[m].growth)} MiB${up[m].error ? ` (${up[m].error})` : ''}`);
  console.log(`  POST 10MB: ${cells.join('; ')}`);
  console.log(`  GET: medians of ${RUNS} interleaved rounds (order rotated; GETs per sample: ${SIZES.map(([l]) => `${l} ${REPS[l]}`).join(', ')}), RSS from a block of ${RSS_RUNS} runs per method after one untimed; POST: ${RUNS} runs per cell after one untimed; legacy = authFetch before bytes crossed the IPC (base64 in JSON); ipcFloor = the same bytes answered from memory (no network, no token)`);
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill();
  idp.kill();
  server.close();
}
