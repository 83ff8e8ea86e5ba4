// `porthole home expose list|add|remove|reset`: which Home Assistant entities the paired clients
// may see and command (src/devices/exposure.ts). Saved in the state dir; a running home picks a
// change up at once (it re-reads the file when it changes).
import type { Command } from 'commander';
import {
  editExposure,
  HIDDEN_COVER_CLASSES,
  HIDDEN_DOMAINS,
  parsePattern,
  readExposure,
  writeExposure,
  type ExposureEdit,
  type ExposureFile,
} from '../devices/exposure.js';
import { fingerprint } from '../secure/keys.js';
import { listAuthorized, loadState } from '../secure/state.js';
import { die, orDie } from './lifecycle.js';

interface ExposeOptions {
  state: string;
  client?: string;
  json?: boolean;
}

const DEFAULTS =
  `everything except ${HIDDEN_DOMAINS.map((d) => d + '.*').join(', ')} and covers of ` +
  `device class ${HIDDEN_COVER_CLASSES.join('/')} (those need an explicit \`expose add\`)`;

/** A paired client's full fingerprint from a unique prefix of it. */
function clientArg(dir: string, given: string): string {
  const all = listAuthorized(dir).map((c) => fingerprint(Buffer.from(c.edPublic, 'base64url')));
  const hits = all.filter((fp) => fp.startsWith(given.toUpperCase()) || fp.startsWith(given));
  if (hits.length === 1) return hits[0] as string;
  return die(
    hits.length === 0
      ? `no paired client has fingerprint ${given} (see \`porthole home clients\`)`
      : `${given} matches ${hits.length} clients; give more of the fingerprint`,
    2,
  );
}

function show(f: ExposureFile, o: ExposeOptions): void {
  if (o.json) {
    process.stdout.write(JSON.stringify({ defaults: DEFAULTS, ...f }) + '\n');
    return;
  }
  const rules = (r: { expose: string[]; hide: string[] }): string =>
    [
      r.expose.length ? `expose ${r.expose.join(' ')}` : '',
      r.hide.length ? `hide ${r.hide.join(' ')}` : '',
    ]
      .filter(Boolean)
      .join('; ') || '(no rules)';
  const lines = [`defaults: ${DEFAULTS}`, `every client: ${rules(f)}`];
  for (const [fp, r] of Object.entries(f.clients)) {
    if (!o.client || fp === o.client) lines.push(`client ${fp}: ${rules(r)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerHomeExpose(home: Command): void {
  const expose = home
    .command('expose')
    .description(
      'choose which Home Assistant entities the paired clients see and command ' +
        '(saved in the state dir; a running home applies it at once)',
    );
  const level = (c: Command): Command =>
    c
      .requiredOption('--state <DIR>', 'the home state dir')
      .option('--client <FINGERPRINT>', 'only for this paired client (see `home clients`)')
      .option('--json', 'machine-readable output');
  const load = (o: ExposeOptions): { f: ExposureFile; client?: string } => {
    orDie(() => loadState(o.state, 'home'));
    const client = o.client ? clientArg(o.state, o.client) : undefined;
    return { f: orDie(() => readExposure(o.state)), ...(client ? { client } : {}) };
  };

  level(expose.command('list').description('the defaults and the rules')).action(
    (o: ExposeOptions) => {
      const { f, client } = load(o);
      show(f, { ...o, ...(client ? { client } : {}) });
    },
  );

  const editCmd = (name: string, edit: ExposureEdit, what: string, variadic: string): void => {
    level(
      expose
        .command(name)
        .description(what)
        .argument(variadic, 'entity ids or patterns (light.*, *.porch_*)'),
    ).action((pats: string[], o: ExposeOptions) => {
      const { f, client } = load(o);
      const checked = pats.map((p) => orDie(() => parsePattern(p)));
      const next = editExposure(f, edit, checked, client);
      orDie(() => writeExposure(o.state, next));
      show(next, { ...o, ...(client ? { client } : {}) });
    });
  };
  editCmd(
    'add',
    'expose',
    'expose entities (also ones hidden by default, like locks)',
    '<PATTERN...>',
  );
  editCmd('remove', 'hide', 'hide entities: their pushes stop at once', '<PATTERN...>');
  editCmd(
    'reset',
    'reset',
    'drop rules (all of this level without patterns): back to the defaults',
    '[PATTERN...]',
  );
}
