// The example's page script. It never sees a token: sign-in, session state and the protected
// API call all go through the plugin (window.__TAURI_PLUGIN_TOKEN_VAULT__, injected because the
// app sets withGlobalTauri), and authFetch attaches the token in Rust.
const tv = window.__TAURI_PLUGIN_TOKEN_VAULT__;
const { invoke } = window.__TAURI__.core;
const PROVIDER = 'demo';
const $ = (id) => document.getElementById(id);
let expiresAt = null;

function render(session) {
  const status = $('status');
  if (session && session.signedIn) {
    status.textContent = `signed in as ${session.subject ?? '(unknown subject)'}`;
    status.className = 'in';
    $('claims').textContent = session.claims ? JSON.stringify(session.claims, null, 2) : '(restored: claims arrive with the next ID token)';
    expiresAt = session.expiresAt;
  } else {
    status.textContent = 'signed out';
    status.className = 'out';
    $('claims').textContent = '—';
    expiresAt = null;
  }
  tick();
}

function tick() {
  if (!expiresAt) {
    $('expiry').textContent = $('status').className === 'in' ? 'not in memory yet (refreshed on first use)' : '—';
    return;
  }
  const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  $('expiry').textContent = `expires in ${left} s`;
}

async function run(label, action) {
  $('error').textContent = '';
  try {
    return await action();
  } catch (e) {
    $('error').textContent = `${label}: ${e.code ?? 'error'}: ${e.message ?? e}`;
  }
}

async function refreshView() {
  const session = await run('session', () => tv.getSession(PROVIDER));
  render(session);
}

$('login').addEventListener('click', () => run('login', async () => render(await tv.login(PROVIDER))));
// Sign-in on another device (RFC 8628): the provider's user code and verification URI arrive
// as an event; the QR code (of the URI with the code in it, when the provider gives one) is
// drawn by the app's own `qr_svg` command.
tv.onDeviceCode(async (d) => {
  if (d.provider !== PROVIDER) return;
  $('device-uri').textContent = d.verificationUri;
  $('device-uri').href = d.verificationUri;
  $('device-code').textContent = d.userCode;
  $('device-qr').innerHTML = await invoke('qr_svg', { text: d.verificationUriComplete ?? d.verificationUri });
  $('device').hidden = false;
});
$('login-device').addEventListener('click', () => run('login', async () => {
  try {
    render(await tv.loginWithDeviceCode(PROVIDER));
  } finally {
    $('device').hidden = true;
  }
}));
$('device-cancel').addEventListener('click', () => run('cancel', () => tv.cancelLogin(PROVIDER)));
$('refresh').addEventListener('click', () => run('refresh', async () => render(await tv.refresh(PROVIDER))));
$('logout').addEventListener('click', () => run('logout', async () => {
  await tv.logout(PROVIDER);
  $('api-result').textContent = '';
  await refreshView();
}));
$('call-api').addEventListener('click', () => run('call-api', async () => {
  const url = await invoke('api_url');
  const res = await tv.authFetch(url, { provider: PROVIDER });
  const text = await res.text();
  $('api-result').textContent = `${res.status} ${res.statusText}\n${text}`;
  await refreshView();
}));

tv.onSessionChanged(() => refreshView());
setInterval(tick, 1000);
refreshView();
