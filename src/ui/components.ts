/// <reference lib="dom" />
// The one UI of Porthole (issue 18): the laptop dashboard (`porthole app`, src/ui/dashboard.ts)
// and the phone app (src/phone/main.ts) render these same preact + htm components; only where the
// states come from differs (the app server's SSE, or the relayed Noise channel in the page).
// Contracts other tools drive: the connection on an element with `data-path` = connecting |
// relayed | direct | offline; each device card carries `data-entity-id` and `data-state`, and a
// toggle control (`data-testid="toggle-<entity id>"`).
import type { ComponentChildren, VNode } from 'preact';
import { html as bound } from 'htm/preact';
import type { Command, EntityState } from '../devices/model.js';

export const html = bound as (s: TemplateStringsArray, ...v: unknown[]) => VNode;

export type PathKind = 'connecting' | 'relayed' | 'direct' | 'offline';

export interface LinkView {
  path: PathKind;
  /** Shown in the badge (e.g. "punched · 12 ms · encrypted"); defaults to the path. */
  label?: string;
}

export type Act = (entityId: string, command: Command) => Promise<unknown>;

const ORDER = ['light', 'switch', 'climate', 'cover', 'lock', 'sensor', 'binary_sensor'];

export function Badge({ link }: { link: LinkView }): VNode {
  return html`<span class=${'badge ' + link.path} data-path=${link.path} data-testid="badge"
    >${link.label ?? link.path}</span
  >`;
}

function Controls({ e, act }: { e: EntityState; act: (c: Command) => void }): VNode | null {
  const domain = e.entity_id.split('.')[0];
  const on = e.state === 'on';
  if (domain === 'light' || domain === 'switch') {
    const brightness = Number(e.attributes.brightness) || (on ? 255 : 0);
    return html`<button
        class=${on ? 'primary' : ''}
        data-testid=${'toggle-' + e.entity_id}
        data-toggle=""
        onClick=${() => act({ service: 'toggle' })}
      >
        ${on ? 'Turn off' : 'Turn on'}
      </button>
      ${
        domain === 'light' &&
        html`<input
          type="range"
          min="1"
          max="255"
          aria-label="brightness"
          value=${brightness}
          onChange=${(ev: Event) =>
            act({
              service: 'turn_on',
              brightness: Number((ev.target as HTMLInputElement).value),
            })}
        />`
      }`;
  }
  if (domain === 'lock') {
    const locked = e.state === 'locked';
    return html`<button onClick=${() => act({ service: locked ? 'unlock' : 'lock' })}>
      ${locked ? 'Unlock' : 'Lock'}
    </button>`;
  }
  if (domain === 'cover') {
    const open = e.state === 'open' || e.state === 'opening';
    return html`<button onClick=${() => act({ service: open ? 'close' : 'open' })}>
      ${open ? 'Close' : 'Open'}
    </button>`;
  }
  if (domain === 'climate') {
    const t = Number(e.attributes.temperature ?? 20);
    const now = e.attributes.current_temperature;
    const action = e.attributes.hvac_action;
    return html`<div class="id">
        ${now !== undefined ? `now ${String(now)} °C` : ''}${action ? ` · ${String(action)}` : ''}
      </div>
      <div>
        <button
          aria-label="cooler"
          onClick=${() => act({ service: 'set_temperature', temperature: t - 0.5 })}
        >
          −
        </button>
        <span data-testid=${'target-' + e.entity_id}> ${t} °C </span>
        <button
          aria-label="warmer"
          onClick=${() => act({ service: 'set_temperature', temperature: t + 0.5 })}
        >
          +
        </button>
      </div>`;
  }
  return null;
}

export function Card({
  e,
  act,
  stale,
}: {
  e: EntityState;
  act: (c: Command) => void;
  stale: boolean;
}): VNode {
  const unit = e.attributes.unit_of_measurement
    ? ` ${String(e.attributes.unit_of_measurement)}`
    : '';
  // Home Assistant's binary_sensor is on/off; a door or window reads better as open/closed.
  const opening = ['door', 'window', 'garage_door', 'opening'].includes(
    String(e.attributes.device_class),
  );
  const shown =
    e.entity_id.startsWith('binary_sensor.') && opening
      ? e.state === 'on'
        ? 'open'
        : e.state === 'off'
          ? 'closed'
          : e.state
      : e.state;
  return html`<div
    class=${'card' + (e.state === 'on' ? ' on' : '') + (stale ? ' stale' : '')}
    data-entity-id=${e.entity_id}
    data-state=${e.state}
    data-stale=${stale ? 'true' : 'false'}
  >
    <div class="name">${e.attributes.friendly_name ?? e.entity_id}</div>
    <div class="id">${e.entity_id}</div>
    <div class="state" data-testid=${'state-' + e.entity_id}>${shown}${unit}</div>
    ${stale ? html`<div class="id">last known</div>` : html`<${Controls} e=${e} act=${act} />`}
  </div>`;
}

/** Things you control first, then what you only read. */
export function sortDevices(list: Iterable<EntityState>): EntityState[] {
  const rank = (e: EntityState): number => ORDER.indexOf(e.entity_id.split('.')[0] ?? '');
  return [...list].sort((a, b) => rank(a) - rank(b) || a.entity_id.localeCompare(b.entity_id));
}

export function Dashboard(p: {
  title: string;
  link: LinkView;
  devices: Iterable<EntityState>;
  act: Act;
  onError: (msg: string) => void;
  error?: string;
  /** Not live: offline or reconnecting; cards say "last known" and offer no controls. */
  stale?: boolean;
  children?: ComponentChildren;
}): VNode {
  const stale = p.stale ?? false;
  return html`<header>
      <h1>${p.title}</h1>
      <${Badge} link=${p.link} />
    </header>
    ${p.children} ${p.error && html`<p class="error" role="alert">${p.error}</p>`}
    ${
      stale && html`<p class="note" data-testid="stale">Offline: showing the last known states.</p>`
    }
    <main>
      ${sortDevices(p.devices).map(
        (e) =>
          html`<${Card}
            key=${e.entity_id}
            e=${e}
            stale=${stale}
            act=${(c: Command) => void p.act(e.entity_id, c).catch((err: Error) => p.onError(err.message))}
          />`,
      )}
    </main>`;
}
