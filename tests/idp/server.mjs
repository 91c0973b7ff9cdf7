// Test-only OpenID provider for the plugin's integration tests.
//
// A real panva `oidc-provider` (pinned in package.json / package-lock.json), served over HTTPS
// with a self-signed certificate generated per run, on 127.0.0.1 only.
//
// Environment:
//   IDP_STATE_DIR     (required) existing directory; cert.pem, key.pem and signing-keys.json go here
//   IDP_PORT          port to bind on 127.0.0.1 (default 0 = ephemeral)
//   IDP_ISSUER        the issuer URL (default https://127.0.0.1:<bound port>): set it to the
//                     origin of a proxy in front of this server (tests/support/fault_proxy.rs)
//                     and the discovery document, every endpoint URL and the ID tokens' `iss`
//                     name the proxy; this server still listens on 127.0.0.1:IDP_PORT only.
//                     An issuer with a path (https://127.0.0.1:PORT/<tenant>/v2.0, as Entra's)
//                     serves every route both under that path and at the root: a request
//                     under the path has it stripped before oidc-provider routes it, and
//                     req.originalUrl keeps the full URL so the endpoint URLs oidc-provider
//                     names (discovery, redirects) stay under the path the request used
//   IDP_TENANT_ID     when set, ID tokens (and userinfo) carry a `tid` claim with this value
//                     (Entra's tenant id; tests/provider_profiles.rs)
//   IDP_ACCESS_TTL    access token lifetime in seconds (default 3600)
//   IDP_ID_TOKEN_TTL  ID token lifetime in seconds (default 3600)
//   IDP_REFRESH_TTL   refresh token lifetime in seconds (default 86400)
//   IDP_PAR           pushed authorization requests (RFC 9126): off unless set; `1` offers the
//                     PAR endpoint, `required` also requires it (tests/par.rs)
//   IDP_DEVICE        device authorization grant (RFC 8628) for tv-native: off unless set; the
//                     device authorization response then carries `interval: 1` (the RFC's
//                     default, 5 s, would make every test wait); `slow_down` also answers the
//                     first device_code token request with `slow_down` (tests/device_code.rs)
//   IDP_DEVICE_TTL    device code lifetime in seconds (default 600)
//   IDP_DPOP          DPoP (RFC 9449): oidc-provider's default unless set (on: metadata lists
//                     dpop_signing_alg_values_supported, proofs bind tokens, introspection shows
//                     cnf.jkt); `off` disables it; `nonce` also requires a server nonce in every
//                     proof (the first token request answers 400 use_dpop_nonce with a
//                     DPoP-Nonce header; tests/dpop.rs)
//   IDP_RECORD_TOKENS 1 = keep every token endpoint exchange for GET /__test/token-exchanges
//                     (test-only: leak tests need the real codes, verifiers and tokens of a run)
//
// Stdout carries exactly one line, the ready line:
//   {"issuer":"https://127.0.0.1:PORT","caCert":"/abs/cert.pem","signingKeys":"/abs/signing-keys.json","pid":N}
// Everything else (including oidc-provider's own notices) goes to stderr.
//
// Clients (all application_type native, authorization_code + refresh_token, response_type code):
//   tv-native        public, token_endpoint_auth_method none
//   tv-confidential  client_secret "tv-not-so-secret", client_secret_basic
//   tv-post          client_secret "tv-post-secret", client_secret_post (GitHub-style; note
//                    that oidc-provider takes a client_secret_basic/_post client's secret either
//                    way, so tests/support/profile_proxy.rs refuses Basic for this profile)
//   tv-localhost     public, none; its only redirect URI is http://localhost/callback, matched on
//                    any port (oidc-provider applies RFC 8252 port-agnostic matching to the
//                    native client loopback hosts localhost, 127.0.0.1 and [::1] alike, but the
//                    host must be the registered one: http://127.0.0.1:<port>/callback is refused)
//   tv-introspector  client_secret "introspector-secret", client_secret_basic, no grants;
//                    may introspect every client's tokens
//
// Test-only endpoints (handled before the provider sees the request):
//   GET  /__test/stats        {"token":{"authorization_code":N,"refresh_token":N},
//                              "revocation":N,"introspection":N,"authorization":N,
//                              "discovery":N,"jwks":N,"par":N,"use_dpop_nonce":N}
//                             (use_dpop_nonce: responses of any endpoint with that error)
//   POST /__test/stats/reset  zeroes the counters, answers with the zeroed stats
//   POST /__test/fault?mode=M  injects a fault into every provider request until mode=none:
//                              reset  the connection is destroyed before the provider sees it
//                              503    the provider answers 503 without processing anything
//   GET  /__test/token-exchanges  only with IDP_RECORD_TOKENS=1 (404 otherwise): every request
//                              routed to the token endpoint, in order, whatever the outcome:
//                              [{"grant_type","status","code","code_verifier","refresh_token",
//                                "issued":{"access_token","refresh_token","id_token"}}]
//                              (request fields as presented, absent ones null; issued: what the
//                              response carried, null fields when it did not, e.g. an error)
// Counting is done by a koa middleware around the provider's routes: every request routed to
// the token endpoint (by the form's grant_type, whatever the outcome), the revocation and
// introspection endpoints, and the authorization endpoint (the initial /auth request only, not
// the /auth/<uid> resume after login/consent) is counted before its response is sent.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  existsSync, readFileSync, statSync, writeFileSync,
} from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';

// oidc-provider prints notices with console.info (stdout). Stdout is reserved for the ready
// line, so route console.log/info/debug to stderr before the library is loaded (dynamic import
// below, static imports would be hoisted above this).
for (const name of ['log', 'info', 'debug']) {
  console[name] = (...args) => console.error(...args);
}

function fail(message) {
  process.stderr.write(`test idp: ${message}\n`);
  process.exit(2);
}

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) fail(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

const stateDirRaw = process.env.IDP_STATE_DIR;
if (!stateDirRaw) fail('IDP_STATE_DIR is required');
const stateDir = path.resolve(stateDirRaw);
if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) fail(`IDP_STATE_DIR ${stateDir} is not a directory`);

const port = intFromEnv('IDP_PORT', 0);
const accessTtl = intFromEnv('IDP_ACCESS_TTL', 3600);
const idTokenTtl = intFromEnv('IDP_ID_TOKEN_TTL', 3600);
const refreshTtl = intFromEnv('IDP_REFRESH_TTL', 86400);
const recordTokens = process.env.IDP_RECORD_TOKENS === '1';
const tenantId = process.env.IDP_TENANT_ID || undefined;
// Off by default: the rest of the suite checks the plain authorization request.
const par = process.env.IDP_PAR || '';
const device = process.env.IDP_DEVICE || '';
const deviceTtl = intFromEnv('IDP_DEVICE_TTL', 600);
const dpop = process.env.IDP_DPOP || '';
if (!['', '1', 'off', 'nonce'].includes(dpop)) fail(`IDP_DPOP must be off, 1 or nonce, got ${JSON.stringify(dpop)}`);

// ---------------------------------------------------------------------------------------------
// TLS: a fresh self-signed certificate for 127.0.0.1 per run.
const certPath = path.join(stateDir, 'cert.pem');
const keyPath = path.join(stateDir, 'key.pem');
try {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    // An end-entity certificate: rustls (webpki) refuses a CA:TRUE certificate as a server's.
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'extendedKeyUsage=serverAuth',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (err) {
  fail(`openssl failed: ${err.stderr?.toString() || err.message}`);
}

// ---------------------------------------------------------------------------------------------
// Signing keys: one RS256 and one ES256 key per run. The private PEMs are written out so tests
// can forge ID tokens signed with the provider's real keys.
function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  const kid = randomBytes(12).toString('base64url');
  return {
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
    file: { kid, alg, privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) },
  };
}
const keys = [
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
];
const signingKeysPath = path.join(stateDir, 'signing-keys.json');
writeFileSync(signingKeysPath, `${JSON.stringify(keys.map((k) => k.file), null, 2)}\n`, { mode: 0o600 });

// ---------------------------------------------------------------------------------------------
// Counters for /__test/stats.
function zeroStats() {
  return {
    token: { authorization_code: 0, refresh_token: 0 },
    revocation: 0,
    introspection: 0,
    authorization: 0,
    discovery: 0,
    jwks: 0,
    par: 0,
    device_authorization: 0,
    use_dpop_nonce: 0,
    // The times (ms since the epoch) of the device_code token requests.
    device_code_polls: [],
  };
}
let stats = zeroStats();
// Token endpoint exchanges (IDP_RECORD_TOKENS=1 only).
const tokenExchanges = [];

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

// ---------------------------------------------------------------------------------------------
// HTTPS server first (the issuer needs the bound port), provider second.
let providerCallback;
let fault = 'none';
const server = https.createServer({
  key: readFileSync(keyPath),
  cert: readFileSync(certPath),
}, (req, res) => {
  const { pathname } = new URL(req.url, 'https://127.0.0.1');
  if (pathname === '/__test/stats' && req.method === 'GET') {
    sendJson(res, 200, stats);
    return;
  }
  if (pathname === '/__test/stats/reset' && req.method === 'POST') {
    req.resume();
    stats = zeroStats();
    sendJson(res, 200, stats);
    return;
  }
  if (pathname === '/__test/fault' && req.method === 'POST') {
    req.resume();
    const mode = new URL(req.url, 'https://127.0.0.1').searchParams.get('mode');
    if (!['none', 'reset', '503'].includes(mode)) {
      sendJson(res, 400, { error: 'mode must be none, reset or 503' });
      return;
    }
    fault = mode;
    sendJson(res, 200, { fault });
    return;
  }
  // N bytes (at most 64 MiB), byte i being (7 i) mod 251, so a reader can check every one:
  // bodies that authFetch answers whole and bodies that it streams (the e2e test).
  if (pathname === '/__test/bytes' && req.method === 'GET') {
    req.resume();
    const n = Number(new URL(req.url, 'https://127.0.0.1').searchParams.get('n'));
    if (!Number.isSafeInteger(n) || n < 0 || n > 64 * 1024 * 1024) {
      sendJson(res, 400, { error: 'n must be an integer from 0 to 64 MiB' });
      return;
    }
    const body = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 1) body[i] = (7 * i) % 251;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    res.end(body);
    return;
  }
  if (pathname === '/__test/token-exchanges' && req.method === 'GET' && recordTokens) {
    sendJson(res, 200, tokenExchanges);
    return;
  }
  if (pathname.startsWith('/__test/')) {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  if (fault === 'reset') {
    req.socket.destroy();
    return;
  }
  if (fault === '503') {
    sendJson(res, 503, { error: 'temporarily_unavailable' });
    return;
  }
  if (!providerCallback) {
    sendJson(res, 503, { error: 'starting' });
    return;
  }
  // An issuer with a path: strip it (oidc-provider routes from the root) and keep the full URL
  // in req.originalUrl, from which oidc-provider's urlFor takes the mount path.
  if (issuerPath && (pathname === issuerPath || pathname.startsWith(`${issuerPath}/`))) {
    req.originalUrl = req.url;
    req.url = req.url.slice(issuerPath.length) || '/';
    if (req.url.startsWith('?')) req.url = `/${req.url}`;
  }
  providerCallback(req, res);
});

try {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
} catch (err) {
  fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
}
server.on('error', (err) => process.stderr.write(`test idp: server error: ${err.stack || err}\n`));

const boundPort = server.address().port;
const issuer = process.env.IDP_ISSUER || `https://127.0.0.1:${boundPort}`;
if (!URL.canParse(issuer) || new URL(issuer).protocol !== 'https:') fail(`IDP_ISSUER must be an https URL, got ${JSON.stringify(issuer)}`);
// The issuer's path without its trailing slash ('' for an origin).
const issuerPath = new URL(issuer).pathname.replace(/\/+$/u, '');

const { default: Provider, errors } = await import('oidc-provider');

const nativeClientBase = {
  application_type: 'native',
  // Native clients get RFC 8252 port-agnostic matching for loopback redirect URIs.
  redirect_uris: ['http://127.0.0.1/callback', 'com.example.tokenvault:/oauth/callback'],
  grant_types: [
    'authorization_code',
    'refresh_token',
    ...(device ? ['urn:ietf:params:oauth:grant-type:device_code'] : []),
  ],
  response_types: ['code'],
};

const INTROSPECTOR = 'tv-introspector';

const configuration = {
  clients: [
    {
      ...nativeClientBase,
      client_id: 'tv-native',
      token_endpoint_auth_method: 'none',
    },
    {
      ...nativeClientBase,
      client_id: 'tv-confidential',
      client_secret: 'tv-not-so-secret',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      ...nativeClientBase,
      client_id: 'tv-post',
      client_secret: 'tv-post-secret',
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      ...nativeClientBase,
      client_id: 'tv-localhost',
      redirect_uris: ['http://localhost/callback'],
      token_endpoint_auth_method: 'none',
    },
    {
      // Resource-server-only client: no grants, no response types, no redirect URIs.
      client_id: INTROSPECTOR,
      client_secret: 'introspector-secret',
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: keys.map((k) => k.jwk) },
  cookies: { keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub', 'tid'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false,
  clockTolerance: 0,
  pkce: { required: () => true },
  responseTypes: ['code'],
  // Rotate on every use (oidc-provider's default only always rotates for public clients that are
  // not sender-constrained; confidential clients rotate after 70% of the lifetime).
  rotateRefreshToken: () => true,
  // Same as oidc-provider's default, stated explicitly: a refresh token whenever the client may
  // use the refresh_token grant and offline_access was granted (which requires prompt=consent).
  issueRefreshToken: async (ctx, client, source) => client.grantTypeAllowed('refresh_token')
    && source.scopes.has('offline_access'),
  ttl: {
    AccessToken: accessTtl,
    IdToken: idTokenTtl,
    RefreshToken: refreshTtl,
    DeviceCode: deviceTtl,
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: `Test User ${id}`,
          email: `${id}@example.test`,
          email_verified: true,
          ...(tenantId ? { tid: tenantId } : {}),
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: device !== '' },
    dPoP: dpop === 'nonce'
      ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
      : { enabled: dpop !== 'off' },
    pushedAuthorizationRequests: {
      enabled: par !== '',
      requirePushedAuthorizationRequests: par === 'required',
    },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: {
      enabled: true,
      // oidc-provider's default policy, restated (silences its "you SHOULD change" notice).
      async allowedPolicy(ctx, client, token) {
        if (token.clientId !== client.clientId) {
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    introspection: {
      enabled: true,
      // tv-introspector may introspect any client's tokens; everyone else gets oidc-provider's
      // default policy (a public client only sees its own tokens).
      async allowedPolicy(ctx, client, token) {
        if (client.clientId === INTROSPECTOR) return true;
        if (client.clientAuthMethod === 'none' && token.clientId !== client.clientId) return false;
        return true;
      },
    },
  },
};

let provider;
try {
  provider = new Provider(issuer, configuration);
  // Static clients are validated lazily; surface configuration errors now, not at first use.
  for (const { client_id: id } of configuration.clients) {
    if (!await provider.Client.find(id)) throw new Error(`client ${id} did not load`);
  }
} catch (err) {
  fail(`provider configuration failed: ${err.stack || err}`);
}

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`test idp: server_error on ${ctx.method} ${ctx.path}: ${err.stack || err}\n`);
});

// The device flow's test knobs (IDP_DEVICE): a 1 s interval; with `slow_down`, the first
// device_code token request the provider answers `authorization_pending` is answered
// `slow_down` instead (the provider itself never sends it).
let slowedDown = false;
provider.use(async (ctx, next) => {
  await next();
  if (!device) return;
  if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200
    && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, interval: 1 };
  }
  if (device === 'slow_down' && !slowedDown && ctx.oidc?.route === 'token'
    && ctx.oidc.body?.grant_type === 'urn:ietf:params:oauth:grant-type:device_code'
    && ctx.body?.error === 'authorization_pending') {
    slowedDown = true;
    ctx.body = { error: 'slow_down', error_description: 'test: polling too quickly' };
  }
});

// Request counters (see header comment).
provider.use(async (ctx, next) => {
  let thrown;
  try {
    await next();
  } catch (err) {
    thrown = err;
    throw err;
  } finally {
    // The error is thrown past this middleware (oidc-provider's handler answers it further
    // out), or already the body.
    const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
    if (thrown?.error === 'use_dpop_nonce' || body.error === 'use_dpop_nonce') {
      stats.use_dpop_nonce += 1;
    }
    const oidc = ctx.oidc;
    switch (oidc?.route) {
      case 'token': {
        const grantType = oidc.body?.grant_type;
        if (Object.hasOwn(stats.token, grantType)) stats.token[grantType] += 1;
        if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
          stats.device_code_polls.push(Date.now());
        }
        if (recordTokens) {
          const str = (v) => (typeof v === 'string' ? v : null);
          const issued = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
          tokenExchanges.push({
            grant_type: str(grantType),
            status: ctx.status,
            code: str(oidc.body?.code),
            code_verifier: str(oidc.body?.code_verifier),
            refresh_token: str(oidc.body?.refresh_token),
            issued: {
              access_token: str(issued.access_token),
              refresh_token: str(issued.refresh_token),
              id_token: str(issued.id_token),
            },
          });
        }
        break;
      }
      case 'revocation':
        stats.revocation += 1;
        break;
      case 'introspection':
        stats.introspection += 1;
        break;
      case 'authorization':
        stats.authorization += 1;
        break;
      case 'discovery':
        stats.discovery += 1;
        break;
      case 'jwks':
        stats.jwks += 1;
        break;
      case 'pushed_authorization_request':
        stats.par += 1;
        break;
      case 'device_authorization':
        stats.device_authorization += 1;
        break;
      default:
        break;
    }
  }
});

providerCallback = provider.callback();

process.stdout.write(`${JSON.stringify({
  issuer,
  caCert: certPath,
  signingKeys: signingKeysPath,
  pid: process.pid,
})}\n`);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`test idp: ${signal}, shutting down\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
