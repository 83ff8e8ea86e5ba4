/// <reference lib="dom" />
// The phone app (issue 18): pairs from the QR's URL (`#pair=PH1-…`: the fragment never reaches
// a server), keeps the keys and several homes in IndexedDB, and controls the devices over the
// relay on this page's own origin, end-to-end encrypted. The UI is the dashboard's components.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Command } from '../devices/model.js';
import type { PairingCode } from '../secure/pairing-code.js';
import { Dashboard, html } from '../ui/components.js';
import { toBase64Url, fromBase64Url } from '../wire/bytes.js';
import { browserClock, browserRandom } from './env.js';
import { phoneIdentity, type PhoneIdentity } from './keys.js';
import { openLink, type OpenLink } from './link.js';
import { codeFrom } from './pair-link.js';
import { HomeSession, type SessionView } from './session.js';
import * as store from './store.js';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/porthole`;
const short = (homeId: string): string => homeId.slice(0, 10) + '…';

/** The service worker's answer to the pairing URL's app pin (phone/pin.ts, phone/sw.ts). */
interface PinAnswer {
  state: string;
  pinned?: string;
  served?: string;
}

/** Hands the home's signed app pin to the service worker; its verdict lands on <html data-app-pin>. */
async function pinApp(app: string | undefined, edPublic: Uint8Array): Promise<PinAnswer> {
  const answer = await (async (): Promise<PinAnswer> => {
    if (!app) return { state: 'unpinned' };
    if (!('serviceWorker' in navigator) || !window.isSecureContext) return { state: 'no-worker' };
    const reg = await navigator.serviceWorker.ready;
    return new Promise<PinAnswer>((resolve) => {
      const ch = new MessageChannel();
      const t = setTimeout(() => resolve({ state: 'no-answer' }), 15_000);
      ch.port1.onmessage = (e: MessageEvent<PinAnswer>) => {
        clearTimeout(t);
        resolve(e.data);
      };
      reg.active?.postMessage({ type: 'pin', app, edPublic: toBase64Url(edPublic) }, [ch.port2]);
    });
  })();
  document.documentElement.dataset.appPin = answer.state;
  return answer;
}

async function identity(): Promise<PhoneIdentity> {
  const saved = await store.loadIdentity();
  if (saved) return phoneIdentity(saved.ed, saved.dh);
  const id = phoneIdentity();
  await store.saveIdentity(id.edSecret, id.dh.secretKey);
  return id;
}

function PairPanel(p: {
  code: PairingCode;
  busy: boolean;
  error: string;
  onPair: (name: string) => void;
}) {
  const [name, setName] = useState(localStorage.getItem('porthole-name') ?? 'Phone');
  return html`<div class="panel" data-testid="pair-panel">
    <p>Pair this phone with home <b>${short(p.code.homeId)}</b>?</p>
    <label
      >Name this phone (the home lists it so)
      <input
        type="text"
        data-testid="phone-name"
        maxlength="40"
        value=${name}
        onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)}
    /></label>
    <button class="primary" data-testid="pair" disabled=${p.busy} onClick=${() => p.onPair(name)}>
      ${p.busy ? 'Pairing…' : 'Pair'}
    </button>
    ${p.error && html`<p class="error" role="alert">${p.error}</p>`}
  </div>`;
}

function CodeEntry({ onCode, note }: { onCode: (text: string) => void; note: string }) {
  const [text, setText] = useState('');
  return html`<div class="panel" data-testid="code-entry">
    <p>${note}</p>
    <input
      type="text"
      placeholder="PH1-… or the pairing link"
      data-testid="code-input"
      value=${text}
      onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
    />
    <button class="primary" onClick=${() => onCode(text)}>Use this code</button>
  </div>`;
}

function App({
  me,
  initialCode,
  initialError,
  app,
}: {
  me: PhoneIdentity;
  initialCode?: PairingCode;
  initialError: string;
  /** The pairing URL's `?app=` (the home's signed app pin). */
  app?: string;
}) {
  const [pinNote, setPinNote] = useState('');
  const [homes, setHomes] = useState<store.StoredHome[]>([]);
  const [current, setCurrent] = useState<string | undefined>();
  const [code, setCode] = useState<PairingCode | undefined>(initialCode);
  const [pairing, setPairing] = useState({ busy: false, error: initialError });
  const [view, setView] = useState<SessionView | undefined>();
  const [session, setSession] = useState<HomeSession | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    void (async () => {
      const hs = await store.loadHomes();
      setHomes(hs);
      const last = await store.lastHome();
      if (!initialCode) setCurrent(hs.find((h) => h.homeId === last)?.homeId ?? hs[0]?.homeId);
    })();
  }, []);

  const begin = async (homeId: string, adopt?: OpenLink): Promise<void> => {
    session?.close();
    const h = (await store.loadHomes()).find((x) => x.homeId === homeId);
    if (!h) return;
    const s = new HomeSession(
      me,
      { homeId, dhPublic: fromBase64Url(h.dhPublic) },
      wsUrl,
      await store.loadStates(homeId),
      setView,
    );
    setSession(s);
    setCurrent(homeId);
    await store.setLastHome(homeId);
    s.start(adopt);
  };

  useEffect(() => {
    if (current && !session && !code) void begin(current);
  }, [current]);

  const pair = async (c: PairingCode, name: string): Promise<void> => {
    setPairing({ busy: true, error: '' });
    localStorage.setItem('porthole-name', name);
    void store.persistStorage();
    try {
      const link = await openLink({
        wsUrl,
        me,
        home: { homeId: c.homeId, dhPublic: c.home.dhPublic },
        clock: browserClock,
        rng: browserRandom,
        pairing: { secret: c.secret, name },
      });
      setHomes(
        await store.saveHome({
          homeId: c.homeId,
          edPublic: toBase64Url(c.home.edPublic),
          dhPublic: toBase64Url(c.home.dhPublic),
          myName: name,
          addedAt: new Date().toISOString(),
        }),
      );
      setCode(undefined);
      setPairing({ busy: false, error: '' });
      void pinApp(app, c.home.edPublic).then((a) => {
        if (a.state === 'mismatch')
          setPinNote(
            `This app (build ${a.served ?? '?'}) is not the one your home vouches for ` +
              `(${a.pinned ?? '?'}): it will be refused from the next start. Tell the owner.`,
          );
      });
      await begin(c.homeId, link);
    } catch (e) {
      setPairing({ busy: false, error: `pairing failed: ${(e as Error).message}` });
    }
  };

  const useCode = (text: string): void => {
    try {
      setCode(codeFrom(text.trim()));
      setPairing({ busy: false, error: '' });
    } catch (e) {
      setPairing({ busy: false, error: (e as Error).message });
    }
  };

  const switcher =
    homes.length > 1 &&
    html`<nav class="homes">
      ${homes.map(
        (h) =>
          html`<button
            class=${h.homeId === current ? 'current' : ''}
            onClick=${() => void begin(h.homeId)}
          >
            ${short(h.homeId)}
          </button>`,
      )}
    </nav>`;

  if (code)
    return html`<header><h1>Porthole</h1></header>
      <${PairPanel}
        code=${code}
        busy=${pairing.busy}
        error=${pairing.error}
        onPair=${(name: string) => void pair(code, name)}
      />`;
  if (!current)
    return html`<header>
        <h1>Porthole</h1>
        <span class="badge offline" data-path="offline">no home</span>
      </header>
      ${pairing.error && html`<p class="error" role="alert">${pairing.error}</p>`}
      <${CodeEntry}
        onCode=${useCode}
        note="No home paired yet. Open the pairing link from \`porthole home pair\` (scan its QR), or paste the code."
      />`;
  const v = view ?? { path: 'connecting', devices: [], stale: false, error: '', refused: false };
  return html`<${Dashboard}
    title=${'Home ' + short(current)}
    link=${{ path: v.path, label: v.path === 'relayed' || v.path === 'direct' ? `${v.path} · encrypted` : v.path }}
    devices=${v.devices}
    stale=${v.stale && v.path !== 'relayed' && v.path !== 'direct'}
    onError=${setError}
    error=${error || (v.path === 'offline' ? v.error : '')}
    act=${(id: string, c: Command) => (session ? session.act(id, c) : Promise.reject(new Error('not connected')))}
  >
    ${switcher}
    ${pinNote && html`<p class="error" role="alert" data-testid="app-mismatch">${pinNote}</p>`}
    ${
      v.refused &&
      html`<${CodeEntry}
        onCode=${useCode}
        note="The home no longer accepts this phone. Pair again with a new code from the home."
      />`
    }
    ${
      v.path === 'offline' &&
      !v.refused &&
      html`<div class="panel">
        <button data-testid="retry" onClick=${() => session?.reconnectNow()}>Retry now</button>
      </div>`
    }
  <//>`;
}

async function main(): Promise<void> {
  let initialCode: PairingCode | undefined;
  let initialError = '';
  const app = new URLSearchParams(location.search).get('app') ?? undefined;
  if (location.hash.startsWith('#pair=')) {
    try {
      initialCode = codeFrom(location.hash);
    } catch (e) {
      initialError = (e as Error).message;
    }
  }
  // The one-time code (and the app pin) are not kept in the address bar or the history.
  if (location.hash || location.search) history.replaceState(null, '', location.pathname);
  const me = await identity();
  render(
    html`<${App} me=${me} initialCode=${initialCode} initialError=${initialError} app=${app} />`,
    document.getElementById('root') as HTMLElement,
  );
  if ('serviceWorker' in navigator && window.isSecureContext)
    void navigator.serviceWorker.register('/sw.js').catch(() => {});
  // An app link (`home app-link`) on a phone that has no pin yet (paired before pins): the
  // worker pins it if one of the paired homes signed it.
  if (app && !initialCode)
    void (async () => {
      for (const h of await store.loadHomes()) {
        const a = await pinApp(app, fromBase64Url(h.edPublic));
        if (a.state !== 'bad-signature') break;
      }
    })();
}

void main();
