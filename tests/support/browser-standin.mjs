#!/usr/bin/env node
// Headless stand-in for the system browser, used as $BROWSER in the sign-in tests.
//
//   browser-standin.mjs <launch URL | authorization URL>
//   browser-standin.mjs --callback <redirect URI> <authorization URL>
//   browser-standin.mjs --device <verification URI (complete)> [--as <name|deny>]
//
// With --device it is the user completing a device authorization (RFC 8628) on another device:
// it opens the verification URI (with the user code), confirms the code on the provider's page
// (oidc-provider's `op.deviceConfirmForm`; `--as deny` presses its Abort), logs in as the name
// (default alice) and consents, and exits 0 on the provider's success (or, denied, interrupted)
// page.
//
// With --callback it stands in for a mobile authentication session (ASWebAuthenticationSession,
// Custom Tabs): when the provider redirects to the redirect URI (same scheme, host and path; a
// custom scheme like com.example.app:/oauth/callback), it writes that URL, with its query, as one
// line to stdout and exits 0 without opening it, as the platform hands it to the app.
//
// The plugin opens the browser on its one-time loopback launch URL (http://127.0.0.1:<port>/<random>),
// which answers 302 to the authorization URL: a plain-http loopback argument is fetched once,
// without following, and its Location (an https URL) is where the run starts. An https argument
// is taken as the authorization URL itself.
// Drives the test IdP's (oidc-provider devInteractions) login and consent forms like a browser:
// cookie jar, manual redirects, form posts. It stops when a redirect (or an auto-posting form)
// targets the app's plain-http loopback receiver on 127.0.0.1 / localhost / [::1]: it sends that
// one request, reads the answer and exits 0 whatever the status.
//
// Behaviour by the `login_hint` parameter of the authorization URL:
//   stall     do nothing more (the launch URL is used already), exit 0 (cancel / timeout tests)
//   deny      open the login page, follow its "[ Cancel ]" link (/interaction/<uid>/abort):
//             the provider redirects to the redirect_uri with error=access_denied
//   other     log in as that name (absent: "alice") with any password, then consent
//
// TLS: the provider's self-signed certificate is accepted for host 127.0.0.1 only.
// Exit codes: 0 loopback answered (or stall), 1 anything unexpected (reason on stderr),
// 3 overall timeout (30 s). Nothing is written to stdout but the --callback redirect.
// If TV_BROWSER_LOG is set, one line per run is appended to it:
//   <ISO time> <outcome> <final loopback status or ->
// where outcome is login | deny | stall | error | timeout. That log never holds URLs, codes or tokens.
// If TV_BROWSER_RECORD is set (test-only: leak tests need the real `state`, `nonce`, code
// challenge and code of a run), JSON lines are appended to it: the URL given, when it is a
// launch URL; the authorization URL (the launch URL's Location verbatim, or the argument); the
// request delivered to the loopback receiver, written before it is sent:
//   {"event":"launch","url":"<launch URL>"}
//   {"event":"authorize","url":"<authorization URL>"}
//   {"event":"deliver","method":"GET|POST","url":"<loopback URL with its query>","body":<form or null>}
// and, once the loopback receiver answered that request, its status, Content-Security-Policy and
// page (the receiver's static page: no secrets):
//   {"event":"callback-response","status":<status>,"csp":"<header or null>","body":"<page>"}

import { appendFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

const OVERALL_TIMEOUT_MS = 30_000;
const MAX_STEPS = 40;
const DEFAULT_LOGIN = 'alice';
const PASSWORD = 'any-password';
const SELF_SIGNED_OK_HOSTS = new Set(['127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

let mode = 'error';
let finished = false;

function record(outcome, status) {
  const file = process.env.TV_BROWSER_LOG;
  if (!file) return;
  try {
    appendFileSync(file, `${new Date().toISOString()} ${outcome} ${status ?? '-'}\n`);
  } catch (err) {
    process.stderr.write(`browser-standin: cannot write TV_BROWSER_LOG: ${err.message}\n`);
  }
}

// Appends one JSON line to TV_BROWSER_RECORD (see the header); synchronous, so the line is on
// disk before the request it describes can reach the app.
function recordValues(entry) {
  const file = process.env.TV_BROWSER_RECORD;
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
  } catch (err) {
    process.stderr.write(`browser-standin: cannot write TV_BROWSER_RECORD: ${err.message}\n`);
  }
}

function finish(code, outcome, status) {
  if (finished) return;
  finished = true;
  record(outcome, status);
  process.exitCode = code;
  // Do not wait for keep-alive sockets or the timer.
  setImmediate(() => process.exit(code));
}

class Unexpected extends Error {}

// Describe a URL without its query (which may carry the authorization code or state).
function describe(url) {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

// ---------------------------------------------------------------------------------------------
// Cookie jar (RFC 6265, reduced to what a single-host test provider needs: host-only cookies,
// Path, Secure, Expires / Max-Age deletion).

const jar = new Map(); // key `${host}\t${path}\t${name}` -> cookie

function defaultPath(url) {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

function storeCookies(url, setCookieHeaders) {
  for (const header of setCookieHeaders ?? []) {
    const [pair, ...attrs] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const cookie = {
      name, value, host: url.host, path: defaultPath(url), secure: false, expires: undefined,
    };
    let maxAge;
    for (const attr of attrs) {
      const i = attr.indexOf('=');
      const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const val = i === -1 ? '' : attr.slice(i + 1).trim();
      if (key === 'path' && val.startsWith('/')) cookie.path = val;
      else if (key === 'secure') cookie.secure = true;
      else if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
      else if (key === 'expires') {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) cookie.expires = t;
      }
    }
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
    const key = `${cookie.host}\t${cookie.path}\t${cookie.name}`;
    if (cookie.expires !== undefined && cookie.expires <= Date.now()) {
      jar.delete(key);
    } else {
      jar.set(key, cookie);
    }
  }
}

function cookieHeader(url) {
  const now = Date.now();
  const matching = [];
  for (const [key, c] of jar) {
    if (c.expires !== undefined && c.expires <= now) {
      jar.delete(key);
      continue;
    }
    if (c.host !== url.host) continue;
    if (c.secure && url.protocol !== 'https:') continue;
    if (!pathMatches(url.pathname, c.path)) continue;
    matching.push(c);
  }
  matching.sort((a, b) => b.path.length - a.path.length);
  return matching.map((c) => `${c.name}=${c.value}`).join('; ');
}

// ---------------------------------------------------------------------------------------------
// HTTP

function send(method, url, body) {
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') throw new Unexpected(`unsupported scheme in ${describe(url)}`);
  const headers = {
    'user-agent': 'tokenvault-browser-standin/1',
    accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  };
  const cookies = cookieHeader(url);
  if (cookies) headers.cookie = cookies;
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(body);
  }
  const options = {
    method,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || (isHttps ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false,
  };
  if (isHttps && SELF_SIGNED_OK_HOSTS.has(url.hostname)) options.rejectUnauthorized = false;

  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Unexpected(`${method} ${describe(url)} failed: ${err.message}`)));
    req.end(body);
  });
}

function isLoopbackReceiver(url) {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

// Uses the plugin's launch URL: one GET, redirects not followed. Returns the authorization URL
// (the Location, verbatim). Messages name the origin only: the launch path is a secret.
async function followLaunch(url) {
  const origin = `${url.protocol}//${url.host}`;
  const res = await send('GET', url, undefined);
  if (res.status !== 302) throw new Unexpected(`launch URL on ${origin} answered ${res.status}, not 302`);
  const location = res.headers.location;
  if (!location) throw new Unexpected(`launch URL on ${origin} answered 302 without Location`);
  let target;
  try {
    target = new URL(location);
  } catch {
    throw new Unexpected(`launch URL on ${origin} redirected to something that is not a URL`);
  }
  if (target.protocol !== 'https:') {
    throw new Unexpected(`launch URL on ${origin} redirected to ${target.protocol}, not https:`);
  }
  return location;
}

// ---------------------------------------------------------------------------------------------
// HTML (just enough for devInteractions' pages)

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (m, e) => {
    const lower = e.toLowerCase();
    if (lower === 'amp') return '&';
    if (lower === 'lt') return '<';
    if (lower === 'gt') return '>';
    if (lower === 'quot') return '"';
    if (lower === 'apos') return "'";
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    return String.fromCodePoint(parseInt(lower.slice(1), 10));
  });
}

function parseAttrs(s) {
  const attrs = {};
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function parseForms(html) {
  const forms = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi;
  let m;
  while ((m = formRe.exec(html)) !== null) {
    const attrs = parseAttrs(m[1]);
    const inputs = [];
    const inputRe = /<input\b([^>]*)>/gi;
    let im;
    while ((im = inputRe.exec(m[2])) !== null) inputs.push(parseAttrs(im[1].replace(/\/\s*$/, '')));
    forms.push({
      id: attrs.id ?? '',
      action: attrs.action ?? '',
      method: (attrs.method ?? 'get').toLowerCase(),
      inputs,
    });
  }
  return forms;
}

function parseLinks(html) {
  const links = [];
  const re = /<a\b([^>]*)>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const { href } = parseAttrs(m[1]);
    if (href) links.push(href);
  }
  return links;
}

function formFields(form, login) {
  const fields = new URLSearchParams();
  for (const input of form.inputs) {
    if (!input.name || 'disabled' in input) continue;
    const type = (input.type ?? 'text').toLowerCase();
    if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset') continue;
    if ((type === 'checkbox' || type === 'radio') && !('checked' in input)) continue;
    if (type === 'password') fields.append(input.name, PASSWORD);
    else if (input.name === 'login') fields.append(input.name, login);
    else fields.append(input.name, input.value ?? (type === 'checkbox' ? 'on' : ''));
  }
  return fields;
}

function promptOf(form) {
  return form.inputs.find((i) => i.name === 'prompt' && (i.type ?? '').toLowerCase() === 'hidden')?.value;
}

function pageError(html) {
  // oidc-provider's error page lists error / error_description in <pre> or plain text.
  const text = html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ').trim();
  return decodeEntities(text).slice(0, 300);
}

// ---------------------------------------------------------------------------------------------
// Browser loop

async function run(startUrl, login) {
  let request = { method: 'GET', url: startUrl, body: undefined };
  const seen = { login: 0, consent: 0, abort: 0, confirm: 0 };

  for (let step = 0; step < MAX_STEPS; step += 1) {
    const { method, url, body } = request;

    if (callback && isCallback(url)) {
      recordValues({ event: 'deliver', method, url: url.href, body: body ?? null });
      process.stdout.write(`${url.href}\n`);
      return 'callback';
    }
    if (isLoopbackReceiver(url)) {
      recordValues({
        event: 'deliver', method, url: url.href, body: body ?? null,
      });
      const res = await send(method, url, body);
      recordValues({
        event: 'callback-response',
        status: res.status,
        csp: res.headers['content-security-policy'] ?? null,
        body: res.text,
      });
      return res.status;
    }
    if (url.protocol !== 'https:') {
      throw new Unexpected(`refusing to navigate to ${describe(url)}`);
    }

    const res = await send(method, url, body);
    storeCookies(url, res.headers['set-cookie']);

    if ([301, 302, 303, 307, 308].includes(res.status)) {
      if (!res.headers.location) throw new Unexpected(`${res.status} without Location from ${describe(url)}`);
      let next;
      try {
        next = new URL(res.headers.location, url);
      } catch {
        throw new Unexpected(`bad Location from ${describe(url)}`);
      }
      if (next.protocol !== 'https:' && !isLoopbackReceiver(next) && !(callback && isCallback(next))) {
        throw new Unexpected(`redirect to unsupported target ${describe(next)}`);
      }
      const keep = res.status === 307 || res.status === 308;
      request = keep ? { method, url: next, body } : { method: 'GET', url: next, body: undefined };
      continue;
    }

    if (res.status !== 200) {
      throw new Unexpected(`${method} ${describe(url)} answered ${res.status}: ${pageError(res.text)}`);
    }

    const forms = parseForms(res.text);

    // An auto-submitting form aimed at the loopback receiver (response_mode=form_post).
    const toLoopback = forms.find((f) => {
      try { return isLoopbackReceiver(new URL(f.action, url)); } catch { return false; }
    });
    if (toLoopback) {
      const fields = formFields(toLoopback, login).toString();
      const target = new URL(toLoopback.action, url);
      request = toLoopback.method === 'post'
        ? { method: 'POST', url: target, body: fields }
        : { method: 'GET', url: new URL(`${target.origin}${target.pathname}?${fields}`), body: undefined };
      continue;
    }

    if (deviceFlow) {
      if (/<title>Sign-in Success<\/title>/i.test(res.text)) return 'device-success';
      if (/interrupted/i.test(res.text)) return 'device-aborted';
      // An auto-submitting form (oidc-provider's "Submitting Callback" page): submitted, as a
      // browser with scripts on does.
      if (forms.length > 0 && /document\.forms\[0\]\.submit\(\)/.test(res.text)) {
        const f = forms[0];
        const target = new URL(f.action || url.href, url);
        if (target.protocol !== 'https:' || target.host !== url.host) {
          throw new Unexpected(`auto-submitting form posts to an unexpected origin ${target.origin}`);
        }
        const fields = formFields(f, login).toString();
        request = f.method === 'post'
          ? { method: 'POST', url: target, body: fields }
          : { method: 'GET', url: new URL(`${target.origin}${target.pathname}?${fields}`), body: undefined };
        continue;
      }
      // The provider's confirmation of the user code: Continue, or Abort when denying.
      const confirm = forms.find((f) => f.id === 'op.deviceConfirmForm');
      if (confirm) {
        seen.confirm += 1;
        if (seen.confirm > 1) throw new Unexpected('device confirmation shown again');
        const fields = formFields(confirm, login);
        if (mode === 'deny') fields.append('abort', 'yes');
        request = { method: 'POST', url: new URL(confirm.action || url.href, url), body: fields.toString() };
        continue;
      }
    }

    if (mode === 'deny') {
      const abort = parseLinks(res.text)
        .map((href) => { try { return new URL(href, url); } catch { return undefined; } })
        .find((u) => u && u.protocol === 'https:' && u.host === url.host
          && /^\/interaction\/[^/]+\/abort$/.test(u.pathname));
      if (!abort) throw new Unexpected(`no cancel link on ${describe(url)}: ${pageError(res.text)}`);
      seen.abort += 1;
      if (seen.abort > 1) throw new Unexpected('cancel link shown again after aborting');
      request = { method: 'GET', url: abort, body: undefined };
      continue;
    }

    const form = forms.find((f) => ['login', 'consent'].includes(promptOf(f)));
    if (!form) throw new Unexpected(`no login or consent form on ${describe(url)}: ${pageError(res.text)}`);
    const prompt = promptOf(form);
    seen[prompt] += 1;
    if (seen[prompt] > 2) throw new Unexpected(`${prompt} form keeps coming back`);
    const target = new URL(form.action || url.href, url);
    if (target.protocol !== 'https:' || target.host !== url.host) {
      throw new Unexpected(`${prompt} form posts to an unexpected origin ${target.origin}`);
    }
    const fields = formFields(form, login).toString();
    request = form.method === 'post'
      ? { method: 'POST', url: target, body: fields }
      : { method: 'GET', url: new URL(`${target.origin}${target.pathname}?${fields}`), body: undefined };
  }
  throw new Unexpected(`gave up after ${MAX_STEPS} requests`);
}

// The --callback redirect URI (an app's authentication session), or undefined.
let callback;

function isCallback(url) {
  return url.protocol === callback.protocol && url.host === callback.host
    && url.pathname === callback.pathname;
}

// --device: the run completes a device authorization instead of reaching a redirect.
let deviceFlow = false;

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--device') {
    deviceFlow = true;
    const verification = new URL(args[1]);
    if (verification.protocol !== 'https:') throw new Unexpected('refusing a non-https verification URI');
    const as = args[2] === '--as' ? args[3] : undefined;
    mode = as === 'deny' ? 'deny' : 'login';
    recordValues({ event: 'device', url: args[1] });
    const outcome = await run(verification, as && as !== 'deny' ? as : DEFAULT_LOGIN);
    finish(0, mode, outcome);
    return;
  }
  if (args[0] === '--callback') {
    try {
      callback = new URL(args[1]);
    } catch {
      throw new Unexpected('--callback needs a redirect URI');
    }
    args.splice(0, 2);
  }
  const given = args[0];
  if (!given) throw new Unexpected('usage: browser-standin.mjs [--callback <redirect URI>] <launch URL | authorization URL>');
  let givenUrl;
  try {
    givenUrl = new URL(given);
  } catch {
    throw new Unexpected('argument is not a URL');
  }
  let authorization = given;
  if (isLoopbackReceiver(givenUrl)) {
    recordValues({ event: 'launch', url: given });
    authorization = await followLaunch(givenUrl);
  } else if (givenUrl.protocol !== 'https:') {
    throw new Unexpected(`refusing to open ${givenUrl.protocol} URL`);
  }
  const startUrl = new URL(authorization);
  recordValues({ event: 'authorize', url: authorization });
  const hint = startUrl.searchParams.get('login_hint');
  if (hint === 'stall') {
    mode = 'stall';
    finish(0, 'stall');
    return;
  }
  mode = hint === 'deny' ? 'deny' : 'login';
  const status = await run(startUrl, hint || DEFAULT_LOGIN);
  finish(0, mode, status);
}

// Not unref'd: it keeps the process alive until finish() exits it.
setTimeout(() => {
  process.stderr.write(`browser-standin: timed out after ${OVERALL_TIMEOUT_MS / 1000} s\n`);
  finish(3, 'timeout');
}, OVERALL_TIMEOUT_MS);

main().catch((err) => {
  const message = err instanceof Unexpected ? err.message : (err?.stack || String(err));
  process.stderr.write(`browser-standin: ${message}\n`);
  finish(1, 'error');
});
