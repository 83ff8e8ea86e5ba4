// Which Home Assistant entities each client may see and command: the owner's choice, kept in the
// state dir (`ha-exposure.json`, written by `porthole home expose …`) and re-read by a running
// home whenever the file changes (checked on use: no restart, no signal).
//
// For an entity and a client, the first level with a matching rule decides:
//   1. that client's rules (by fingerprint, as `porthole home clients` shows it): hide, then expose;
//   2. the rules for every client: hide, then expose;
//   3. the default: everything except lock.*, alarm_control_panel.* and covers of device class
//      door, garage or gate (those need an explicit `expose`).
// Patterns are entity ids with `*` wildcards (light.*, *.kitchen_*, *).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError, type DeviceSource, type EntityState } from './model.js';

export const EXPOSURE_FILE = 'ha-exposure.json';
const MAX_FILE = 256 * 1024;
const MAX_PATTERNS = 1000;
const PATTERN = /^[a-z0-9_*]{1,64}\.[a-z0-9_*]{1,200}$|^\*$/;

export interface ExposureRules {
  expose: string[];
  hide: string[];
}

export interface ExposureFile extends ExposureRules {
  /** Per-client rules by fingerprint. */
  clients: Record<string, ExposureRules>;
}

export const HIDDEN_DOMAINS = ['lock', 'alarm_control_panel'];
export const HIDDEN_COVER_CLASSES = ['door', 'garage', 'gate'];

export function parsePattern(text: string): string {
  if (!PATTERN.test(text))
    throw new DeviceError(
      `"${text.slice(0, 80)}" is not an entity id or pattern (light.kitchen, light.*, *.porch_*)`,
    );
  return text;
}

const WORD = /^[a-z0-9_]*$/;

/**
 * `*` stands for any run of [a-z0-9_] within the domain or the object id; the lone `*` stands
 * for every entity. Matched part by part in O(pattern × id), without a regular expression: the
 * pattern `sensor.out***…***side_t*` (a hand-edited file) made the regex this replaced backtrack
 * for longer than the fuzzer's 10 s timeout on every entity check.
 */
function matches(pattern: string, id: string): boolean {
  if (pattern === '*') return true;
  const dot = pattern.indexOf('.');
  const at = id.indexOf('.');
  if (dot < 0 || at < 0 || id.indexOf('.', at + 1) >= 0) return false;
  const idDomain = id.slice(0, at);
  const idObject = id.slice(at + 1);
  return (
    WORD.test(idDomain) &&
    WORD.test(idObject) &&
    glob(pattern.slice(0, dot), idDomain) &&
    glob(pattern.slice(dot + 1), idObject)
  );
}

/** Wildcard match, `*` any run of characters: one backtrack point (the last `*`). */
function glob(p: string, s: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    if (i < p.length && p[i] !== '*' && p[i] === s[j]) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (p[i] === '*') i++;
  return i === p.length;
}

/** Exposed by default (before any rule)? */
export function exposedByDefault(s: Pick<EntityState, 'entity_id' | 'attributes'>): boolean {
  const domain = s.entity_id.split('.')[0] ?? '';
  if (HIDDEN_DOMAINS.includes(domain)) return false;
  if (domain === 'cover' && HIDDEN_COVER_CLASSES.includes(String(s.attributes.device_class)))
    return false;
  return true;
}

function decide(rules: ExposureRules | undefined, id: string): boolean | undefined {
  if (!rules) return undefined;
  if (rules.hide.some((p) => matches(p, id))) return false;
  if (rules.expose.some((p) => matches(p, id))) return true;
  return undefined;
}

export function isExposed(
  f: ExposureFile,
  s: Pick<EntityState, 'entity_id' | 'attributes'>,
  client: string | undefined,
): boolean {
  return (
    decide(client ? f.clients[client] : undefined, s.entity_id) ??
    decide(f, s.entity_id) ??
    exposedByDefault(s)
  );
}

const empty = (): ExposureFile => ({ expose: [], hide: [], clients: {} });

function patterns(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((p): p is string => typeof p === 'string' && PATTERN.test(p))
    .slice(0, MAX_PATTERNS);
}

/** Untrusted JSON (the file may have been edited by hand) → rules; bad entries are skipped. */
export function parseExposure(raw: unknown): ExposureFile {
  const out = empty();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  const r = raw as Record<string, unknown>;
  out.expose = patterns(r.expose);
  out.hide = patterns(r.hide);
  if (typeof r.clients === 'object' && r.clients !== null && !Array.isArray(r.clients)) {
    for (const [fp, c] of Object.entries(r.clients as Record<string, unknown>).slice(0, 1000)) {
      if (!/^[A-Za-z0-9_-]{4,64}$/.test(fp) || typeof c !== 'object' || c === null) continue;
      const cr = c as Record<string, unknown>;
      out.clients[fp] = { expose: patterns(cr.expose), hide: patterns(cr.hide) };
    }
  }
  return out;
}

export function readExposure(dir: string): ExposureFile {
  const path = join(dir, EXPOSURE_FILE);
  if (!existsSync(path)) return empty();
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_FILE) throw new DeviceError(`${path} is larger than 256 KiB`);
  try {
    return parseExposure(JSON.parse(text));
  } catch {
    throw new DeviceError(`${path} is not JSON; fix it or remove it (defaults apply then)`);
  }
}

export function writeExposure(dir: string, f: ExposureFile): void {
  const path = join(dir, EXPOSURE_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(f, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export type ExposureEdit = 'expose' | 'hide' | 'reset';

/** `home expose add|remove|reset`: one level's rules changed; returns the new file. */
export function editExposure(
  f: ExposureFile,
  edit: ExposureEdit,
  pats: string[],
  client?: string,
): ExposureFile {
  const next: ExposureFile = structuredClone(f);
  const level: ExposureRules = client ? (next.clients[client] ??= { expose: [], hide: [] }) : next;
  const drop = (list: string[]): string[] => list.filter((p) => !pats.includes(p));
  if (edit === 'reset') {
    if (pats.length === 0) {
      level.expose = [];
      level.hide = [];
    } else {
      level.expose = drop(level.expose);
      level.hide = drop(level.hide);
    }
  } else {
    const other = edit === 'expose' ? 'hide' : 'expose';
    level[other] = drop(level[other]);
    level[edit] = [...drop(level[edit]), ...pats].slice(0, MAX_PATTERNS);
  }
  if (client && level.expose.length === 0 && level.hide.length === 0) delete next.clients[client];
  return next;
}

/** The rules as a running home sees them: re-read when the file's mtime or size changes. */
export class ExposureStore {
  private cached: ExposureFile = empty();
  private stamp = '';
  /** The last read error (a broken file keeps the previous rules, never opens everything). */
  lastError: string | undefined;

  constructor(private readonly dir: string | undefined) {
    this.current();
  }

  current(): ExposureFile {
    if (!this.dir) return this.cached;
    const path = join(this.dir, EXPOSURE_FILE);
    let stamp = 'absent';
    try {
      const st = statSync(path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      // absent: defaults
    }
    if (stamp !== this.stamp) {
      try {
        this.cached = readExposure(this.dir);
        this.lastError = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
      }
      this.stamp = stamp;
    }
    return this.cached;
  }

  exposed(s: Pick<EntityState, 'entity_id' | 'attributes'>, client: string | undefined): boolean {
    return isExposed(this.current(), s, client);
  }
}

/** The source as one client sees it: only what is exposed to it, checked on every use (so a rule
 *  removed on a running home stops that entity's pushes at once). */
export function exposedView(
  src: DeviceSource,
  store: ExposureStore,
  client: string | undefined,
): DeviceSource {
  const ok = (s: EntityState | undefined): s is EntityState =>
    s !== undefined && store.exposed(s, client);
  const view: DeviceSource = {
    list: () => src.list().filter((s) => store.exposed(s, client)),
    get: (id) => {
      const s = src.get(id);
      return ok(s) ? s : undefined;
    },
    execute: (id, cmd) => {
      if (!ok(src.get(id)))
        return Promise.reject(
          new DeviceError(`no such entity: ${id} (or not exposed to this client)`),
        );
      return src.execute(id, cmd);
    },
    subscribe: (cb) => src.subscribe((s) => ok(s) && cb(s)),
    close: () => undefined, // the source is shared; the home closes it
  };
  if (src.health) view.health = () => src.health!();
  if (src.onHealth) view.onHealth = (cb) => src.onHealth!(cb);
  return view;
}
