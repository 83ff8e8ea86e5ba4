// `porthole home serve NAME=HOST:PORT … | --list | --remove NAME`: the services a paired client
// may forward (issue 19, docs/streams.md). Saved in the state dir; a running home picks changes
// up within a second (a removed service's open streams are closed then).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadState } from '../secure/state.js';
import {
  clientSourceAddress,
  haTrustsLoopback,
  loadServices,
  parseServiceSpec,
  saveServices,
  type Service,
  type ServicesFile,
} from '../streams/services.js';
import { die, orDie } from './lifecycle.js';

interface ServeOptions {
  state: string;
  list?: boolean;
  remove?: string;
  allow: string[];
  allPaired?: boolean;
  haConfig?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function describe(s: Service): string {
  const who = s.allow === 'all-paired' ? 'all paired clients' : s.allow.join(', ');
  return `${s.name}  ${s.host}:${s.port}  allow: ${who}`;
}

/** Warns when HA's trusted_networks would cover the per-client loopback addresses. */
function warnHa(f: ServicesFile): void {
  const path = f.haConfig;
  if (!path) return;
  if (!existsSync(path)) {
    process.stderr.write(`porthole: warning: cannot read Home Assistant config ${path}\n`);
    return;
  }
  const hit = haTrustsLoopback(readFileSync(path, 'utf8'));
  if (hit)
    process.stderr.write(
      `porthole: warning: Home Assistant trusts ${hit} (trusted_networks in ${path}); forwarded ` +
        `clients connect from 127.0.0.10-249 and would log in without a password. Remove it or ` +
        `serve Home Assistant on a LAN address.\n`,
    );
}

export function registerHomeServe(home: Command): void {
  home
    .command('serve')
    .description('services in the home that paired clients may forward (NAME=HOST:PORT …)')
    .argument('[services...]', 'NAME=HOST:PORT, e.g. ha=127.0.0.1:8123 ssh=127.0.0.1:22')
    .requiredOption('--state <DIR>', 'the home state dir')
    .option('--list', 'list the services')
    .option('--remove <NAME>', 'remove a service (its open streams are closed)')
    .option(
      '--allow <FINGERPRINT>',
      'a client allowed to use these services (repeatable)',
      collect,
      [],
    )
    .option('--all-paired', 'every paired client may use these services')
    .option(
      '--ha-config <PATH>',
      "Home Assistant's configuration.yaml: warn when its trusted_networks cover forwarded clients",
    )
    .option('--json', 'machine-readable output')
    .action((specs: string[], o: ServeOptions) => {
      orDie(() => loadState(o.state, 'home'));
      const f = orDie(() => loadServices(o.state));
      if (o.haConfig) f.haConfig = o.haConfig;
      if (o.remove) {
        if (!f.services.some((s) => s.name === o.remove)) die(`no service ${o.remove}`);
        f.services = f.services.filter((s) => s.name !== o.remove);
        orDie(() => saveServices(o.state, f));
        if (o.json) process.stdout.write(JSON.stringify({ removed: o.remove }) + '\n');
        else process.stdout.write(`removed ${o.remove}\n`);
        return;
      }
      if (specs.length > 0) {
        if (!o.allPaired && o.allow.length === 0)
          die('say who may use it: --allow FINGERPRINT (see `home clients`) or --all-paired', 2);
        if (o.allPaired && o.allow.length > 0) die('give --allow or --all-paired, not both', 2);
        for (const fp of o.allow)
          if (!/^[a-z2-7]{4,12}$/i.test(fp)) die(`${fp}: not a fingerprint (see home clients)`, 2);
        const allow = o.allPaired ? ('all-paired' as const) : o.allow.map((a) => a.toLowerCase());
        for (const spec of specs) {
          const s = orDie(() => parseServiceSpec(spec));
          f.services = [...f.services.filter((x) => x.name !== s.name), { ...s, allow }];
        }
        orDie(() => saveServices(o.state, f));
      } else if (!o.list && !o.haConfig) die('give NAME=HOST:PORT …, --list or --remove NAME', 2);
      else if (o.haConfig) orDie(() => saveServices(o.state, f));
      warnHa(f);
      if (o.json) {
        for (const s of f.services)
          process.stdout.write(
            JSON.stringify({
              ...s,
              sourceAddresses: s.host.startsWith('127.') ? '127.0.0.10-249' : undefined,
            }) + '\n',
          );
        return;
      }
      if (f.services.length === 0) process.stdout.write('no services\n');
      for (const s of f.services) process.stdout.write(describe(s) + '\n');
      if (specs.length > 0 && f.services.some((s) => s.host.startsWith('127.')))
        process.stdout.write(
          `loopback services see each client from its own address (e.g. ${clientSourceAddress('EXAMPLE')})\n`,
        );
    });
}
