// The dashboard: one HTML page and one ES module (preact + htm, loaded through an import map).

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Porthole</title>
<script type="importmap">{"imports":{"preact":"/vendor/preact.mjs","preact/hooks":"/vendor/hooks.mjs","htm":"/vendor/htm.mjs"}}</script>
<style>
  :root { --bg:#0f172a; --card:#1e293b; --fg:#e2e8f0; --dim:#94a3b8; --on:#facc15; --ok:#22c55e; --warn:#f97316; }
  * { box-sizing: border-box; }
  body { margin:0; font:16px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
  header { position:sticky; top:0; display:flex; justify-content:space-between; align-items:center;
           padding:14px 16px; background:#0b1222; border-bottom:1px solid #334155; }
  h1 { font-size:18px; margin:0; }
  .badge { font-size:13px; padding:4px 10px; border-radius:999px; background:#334155; }
  .badge.connected { background:#14532d; } .badge.reconnecting, .badge.connecting { background:#7c2d12; }
  main { display:grid; grid-template-columns:repeat(auto-fill,minmax(160px,1fr)); gap:12px; padding:16px; }
  .card { min-width:0; background:var(--card); border-radius:16px; padding:14px; min-height:112px; display:flex; flex-direction:column; gap:8px; }
  .card.on { outline:2px solid var(--on); }
  .name { font-weight:600; } .id { font-size:12px; color:var(--dim); overflow:hidden; text-overflow:ellipsis; white-space:nowrap; } .state { font-size:22px; }
  button { font:inherit; border:0; border-radius:10px; padding:10px; background:#475569; color:var(--fg); }
  button.primary { background:#2563eb; } input[type=range] { width:100%; }
  .error { color:var(--warn); padding:0 16px; }
</style>
</head>
<body>
<div id="root"></div>
<script type="module" src="/app.js"></script>
</body>
</html>`;

export const CLIENT_SCRIPT = `
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
const html = htm.bind(h);
const ORDER = ['light', 'switch', 'climate', 'cover', 'lock', 'sensor', 'binary_sensor'];

async function call(id, command) {
  const r = await fetch('/api/devices/' + encodeURIComponent(id), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function Badge({ status }) {
  const parts = [status.state];
  if (status.state === 'connected') {
    parts[0] = status.path || 'connected';
    if (status.rttMs !== undefined) parts.push(status.rttMs + ' ms');
    if (status.secure) parts.push('encrypted');
  }
  return html\`<span class=\${'badge ' + status.state} data-testid="badge">\${parts.join(' · ')}</span>\`;
}

function Controls({ e, act }) {
  const domain = e.entity_id.split('.')[0];
  const on = e.state === 'on';
  if (domain === 'light' || domain === 'switch') {
    return html\`
      <button class=\${on ? 'primary' : ''} data-testid=\${'toggle-' + e.entity_id}
        onClick=\${() => act({ service: 'toggle' })}>\${on ? 'Turn off' : 'Turn on'}</button>
      \${domain === 'light' && html\`<input type="range" min="1" max="255" aria-label="brightness"
        value=\${Number(e.attributes.brightness) || (on ? 255 : 0)}
        onChange=\${(ev) => act({ service: 'turn_on', brightness: Number(ev.target.value) })} />\`}\`;
  }
  if (domain === 'lock') {
    const locked = e.state === 'locked';
    return html\`<button onClick=\${() => act({ service: locked ? 'unlock' : 'lock' })}>\${locked ? 'Unlock' : 'Lock'}</button>\`;
  }
  if (domain === 'cover') {
    const open = e.state === 'open' || e.state === 'opening';
    return html\`<button onClick=\${() => act({ service: open ? 'close' : 'open' })}>\${open ? 'Close' : 'Open'}</button>\`;
  }
  if (domain === 'climate') {
    const t = Number(e.attributes.temperature || 20);
    const now = e.attributes.current_temperature;
    return html\`<div class="id">\${now !== undefined ? 'now ' + now + ' °C' : ''}\${e.attributes.hvac_action ? ' · ' + e.attributes.hvac_action : ''}</div><div>
      <button aria-label="cooler" onClick=\${() => act({ service: 'set_temperature', temperature: t - 0.5 })}>−</button>
      <span data-testid=\${'target-' + e.entity_id}> \${t} °C </span>
      <button aria-label="warmer" onClick=\${() => act({ service: 'set_temperature', temperature: t + 0.5 })}>+</button></div>\`;
  }
  return null;
}

function Card({ e, onError }) {
  const act = (command) => call(e.entity_id, command).catch((err) => onError(err.message));
  const unit = e.attributes.unit_of_measurement ? ' ' + e.attributes.unit_of_measurement : '';
  // Home Assistant's binary_sensor is on/off; a door or window reads better as open/closed.
  const opening = ['door', 'window', 'garage_door', 'opening'].includes(e.attributes.device_class);
  const shown = e.entity_id.startsWith('binary_sensor.') && opening
    ? (e.state === 'on' ? 'open' : e.state === 'off' ? 'closed' : e.state) : e.state;
  return html\`<div class=\${'card' + (e.state === 'on' ? ' on' : '')} data-entity=\${e.entity_id}>
    <div class="name">\${e.attributes.friendly_name || e.entity_id}</div>
    <div class="id">\${e.entity_id}</div>
    <div class="state" data-testid=\${'state-' + e.entity_id}>\${shown}\${unit}</div>
    <\${Controls} e=\${e} act=\${act} />
  </div>\`;
}

function App() {
  const [status, setStatus] = useState({ state: 'connecting' });
  const [devices, setDevices] = useState({});
  const [error, setError] = useState('');
  useEffect(() => {
    if (!error) return;
    const t = setTimeout(() => setError(''), 5000);
    return () => clearTimeout(t);
  }, [error]);
  const load = () => fetch('/api/devices').then((r) => r.json()).then((list) => {
    if (Array.isArray(list)) setDevices(Object.fromEntries(list.map((e) => [e.entity_id, e])));
  }).catch(() => {});
  useEffect(() => {
    load();
    const es = new EventSource('/api/events');
    es.addEventListener('status', (m) => {
      const s = JSON.parse(m.data);
      setStatus(s);
      if (s.state === 'connected') load();
    });
    es.addEventListener('state', (m) => {
      const e = JSON.parse(m.data);
      setDevices((d) => ({ ...d, [e.entity_id]: e }));
    });
    return () => es.close();
  }, []);
  // Things you control first, then what you only read.
  const rank = (e) => ORDER.indexOf(e.entity_id.split('.')[0]);
  const list = Object.values(devices).sort((a, b) => rank(a) - rank(b) || a.entity_id.localeCompare(b.entity_id));
  return html\`<header><h1>Porthole</h1><\${Badge} status=\${status} /></header>
    \${error && html\`<p class="error" role="alert">\${error}</p>\`}
    <main>\${list.map((e) => html\`<\${Card} key=\${e.entity_id} e=\${e} onError=\${setError} />\`)}</main>\`;
}

render(html\`<\${App} />\`, document.getElementById('root'));
`;
