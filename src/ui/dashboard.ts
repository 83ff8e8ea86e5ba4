/// <reference lib="dom" />
// The laptop dashboard's entry (`porthole app`): the shared components fed by the local app
// server (JSON for devices and calls, SSE for states and the link status).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Command, EntityState } from '../devices/model.js';
import { Dashboard, html, type LinkView } from './components.js';

interface LinkStatus {
  state: 'connecting' | 'connected' | 'reconnecting';
  path?: string;
  rttMs?: number;
  secure?: boolean;
}

function view(s: LinkStatus): LinkView {
  if (s.state !== 'connected') return { path: 'connecting', label: s.state };
  const parts = [s.path ?? 'connected'];
  if (s.rttMs !== undefined) parts.push(`${s.rttMs} ms`);
  if (s.secure) parts.push('encrypted');
  return { path: s.path === 'relayed' ? 'relayed' : 'direct', label: parts.join(' · ') };
}

async function call(id: string, command: Command): Promise<unknown> {
  const r = await fetch('/api/devices/' + encodeURIComponent(id), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command }),
  });
  const body = (await r.json()) as { error?: string };
  if (!r.ok) throw new Error(body.error ?? r.statusText);
  return body;
}

function App() {
  const [status, setStatus] = useState<LinkStatus>({ state: 'connecting' });
  const [devices, setDevices] = useState<Record<string, EntityState>>({});
  const [error, setError] = useState('');
  useEffect(() => {
    if (!error) return;
    const t = setTimeout(() => setError(''), 5000);
    return () => clearTimeout(t);
  }, [error]);
  useEffect(() => {
    // A list fetched before a push must not undo it: every push is numbered, and a list keeps
    // the state of an entity pushed after the list was asked for (a toggle's push can land
    // while the reconnect's reload is in flight).
    let pushes = 0;
    const pushedAt = new Map<string, number>();
    const load = (): void => {
      const asked = pushes;
      void fetch('/api/devices')
        .then((r) => r.json())
        .then((list: unknown) => {
          if (!Array.isArray(list)) return;
          setDevices((d) => {
            const next: Record<string, EntityState> = {};
            for (const e of list as EntityState[]) {
              const newer = (pushedAt.get(e.entity_id) ?? 0) > asked ? d[e.entity_id] : undefined;
              next[e.entity_id] = newer ?? e;
            }
            return next;
          });
        })
        .catch(() => {});
    };
    load();
    const es = new EventSource('/api/events');
    // Reload the list when the link comes (back) up, not on every status (an RTT sample is one).
    let was: LinkStatus['state'] = 'connecting';
    es.addEventListener('open', () => (was = 'connecting')); // the app server may have restarted
    es.addEventListener('status', (m) => {
      const s = JSON.parse((m as MessageEvent<string>).data) as LinkStatus;
      setStatus(s);
      if (s.state === 'connected' && was !== 'connected') load();
      was = s.state;
    });
    es.addEventListener('state', (m) => {
      const e = JSON.parse((m as MessageEvent<string>).data) as EntityState;
      pushedAt.set(e.entity_id, ++pushes);
      setDevices((d) => ({ ...d, [e.entity_id]: e }));
    });
    return () => es.close();
  }, []);
  return html`<${Dashboard}
    title="Porthole"
    link=${view(status)}
    devices=${Object.values(devices)}
    act=${call}
    onError=${setError}
    error=${error}
  />`;
}

render(html`<${App} />`, document.getElementById('root') as HTMLElement);
