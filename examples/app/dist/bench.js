// The real-window benchmark's page side (tests/bench/window.mjs calls it over WebDriver; it
// does nothing by itself). `get`, `round` and `upload` time whole requests, body read to the
// end, in this page:
// authFetch (bytes over the IPC, the token added in Rust), the webview's own fetch with the
// bearer header added by hand, @tauri-apps/plugin-http's fetch with the same header, and
// `legacy`: authFetch as it was before (bodies as base64 in JSON, the example app's
// `legacy_fetch` command, built only with the `bench` feature); and `ipcFloor`, the same number
// of bytes answered from memory by the example's `bench_bytes` command (no network, no token):
// what crossing Tauri's IPC alone costs.
(() => {
  const tv = window.__TAURI_PLUGIN_TOKEN_VAULT__;
  const { invoke } = window.__TAURI__.core;
  let token = null;
  let httpFetch = null;

  // The old webview API's base64 helpers, as they were.
  function bytesToBase64(bytes) {
    const chunk = 3 * 8192;
    const parts = [];
    for (let i = 0; i < bytes.length; i += chunk) {
      const part = bytes.subarray(i, i + chunk);
      let binary = '';
      for (let j = 0; j < part.length; j++) binary += String.fromCharCode(part[j]);
      parts.push(btoa(binary));
    }
    return parts.join('');
  }
  function base64ToBytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  async function legacyFetch(url, init = {}) {
    const headers = Object.entries(init.headers ?? {});
    const body = init.body ? bytesToBase64(init.body) : null;
    const r = await invoke('legacy_fetch', {
      request: { method: init.method ?? 'GET', url, headers, body }
    });
    return new Response(base64ToBytes(r.body), { status: r.status, headers: r.headers });
  }

  const fetchers = {
    ipcFloor: async (url) => new Response(await invoke('bench_bytes', { n: Number(new URL(url).searchParams.get('n')) })),
    authFetch: (url, init) => tv.authFetch(url, { provider: 'demo', ...init }),
    webview: (url, init = {}) =>
      fetch(url, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } }),
    http: (url, init = {}) =>
      httpFetch(url, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } }),
    legacy: legacyFetch
  };

  /** One GET of `url` by `method`, its body read whole; throws unless it is 200 with `size` bytes. */
  async function getWhole(method, url, size) {
    const res = await fetchers[method](url);
    const body = await res.arrayBuffer();
    if (res.status !== 200 || body.byteLength !== size) {
      throw new Error(`${method}: status ${res.status}, ${body.byteLength} of ${size} bytes`);
    }
  }

  window.tokenVaultBench = {
    async prepare() {
      token = await tv.getToken('demo');
      httpFetch = (await import('./bench-http.js')).fetch;
      return { pid: await invoke('bench_pid') };
    },
    /** `runs` timed GETs of `url` (one untimed first), each body read whole: ms each, or an error. */
    async get(method, url, size, runs) {
      const times = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        await getWhole(method, url, size);
        if (i > 0) times.push(performance.now() - t0);
      }
      return times;
    },
    /**
     * One timed sample of each of `methods`, in that order (the caller rotates it, so no
     * method always runs first or after the same one): `reps` GETs of `url` back to back,
     * bodies read whole, ms per GET by method (`performance.now()` is rounded to 1 ms here:
     * several GETs per sample give small bodies a finer figure).
     */
    async round(methods, url, size, reps) {
      const times = {};
      for (const method of methods) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) await getWhole(method, url, size);
        times[method] = (performance.now() - t0) / reps;
      }
      return times;
    },
    /** `runs` timed POSTs of `size` bytes to `url` (one untimed first): ms each. */
    async upload(method, url, size, runs) {
      const body = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536) crypto.getRandomValues(body.subarray(i, i + 65536));
      const times = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        const res = await fetchers[method](url, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body
        });
        const got = await res.json();
        const ms = performance.now() - t0;
        if (res.status !== 200 || got.length !== size) {
          throw new Error(`${method}: status ${res.status}, server got ${got.length} of ${size} bytes`);
        }
        if (i > 0) times.push(ms);
      }
      return times;
    }
  };
})();
