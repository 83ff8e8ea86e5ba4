import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { applyEnvAndConfig, envName } from '../../src/cli/config.js';
import { intArg } from '../../src/cli/parse.js';
import { hostPortArg, resolveHostPort } from '../../src/cli/resolve.js';
import { isPortholeError } from '../../src/errors.js';

test('HOST:PORT takes names, IPv4 and bracketed IPv6; rejects the rest', () => {
  assert.deepEqual(hostPortArg('rv.example.net:7400'), { host: 'rv.example.net', port: 7400 });
  assert.deepEqual(hostPortArg('192.0.2.1:1'), { host: '192.0.2.1', port: 1 });
  assert.deepEqual(hostPortArg('[2001:db8::1]:7400'), { host: '2001:db8::1', port: 7400 });
  for (const bad of [
    'rv',
    'rv:0',
    'rv:65536',
    '2001:db8::1:7400',
    '[rv]:1',
    'a b:1',
    '-x.net:5',
    ':5',
  ])
    assert.throws(() => hostPortArg(bad), /HOST:PORT|neither/, bad);
});

test('a name resolves to every A/AAAA record; failures are typed', async () => {
  const lookup = (h: string) =>
    h === 'two.test'
      ? Promise.resolve([
          { address: '192.0.2.1', family: 4 },
          { address: '2001:db8::1', family: 6 },
          { address: '192.0.2.1', family: 4 },
        ])
      : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
  assert.deepEqual(await resolveHostPort({ host: 'two.test', port: 7 }, lookup), [
    { ip: '192.0.2.1', port: 7 },
    { ip: '2001:db8::1', port: 7 },
  ]);
  assert.deepEqual(await resolveHostPort({ host: '198.51.100.1', port: 7 }, lookup), [
    { ip: '198.51.100.1', port: 7 },
  ]);
  await assert.rejects(resolveHostPort({ host: 'none.test', port: 7 }, lookup), (e) =>
    isPortholeError(e, 'dns'),
  );
  // The system resolver knows localhost without any network.
  const local = await resolveHostPort({ host: 'localhost', port: 9 });
  assert.ok(local.some((a) => a.ip === '127.0.0.1' || a.ip === '::1'));
});

function cmd(argv: string[], env: NodeJS.ProcessEnv) {
  const c = new Command('x')
    .exitOverride()
    .option('--state <DIR>')
    .option('--rendezvous <HOST:PORT>')
    .option('--spray <N>', 'n', intArg(0, 5000), 500)
    .option('--json')
    .hook('preAction', (me) => applyEnvAndConfig(me, env))
    .action(() => {});
  c.parse(argv, { from: 'user' });
  return c.opts<{ rendezvous?: string; spray: number; json?: boolean }>();
}

test('flags > PORTHOLE_* env > config.json > defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ph-cfg-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ rendezvous: 'file:1', spray: 7, json: true }),
  );
  assert.equal(envName(new Command().createOption('--spray-ttl <X>')), 'PORTHOLE_SPRAY_TTL');
  assert.deepEqual(cmd(['--state', dir], {}), {
    state: dir,
    rendezvous: 'file:1',
    spray: 7,
    json: true,
  });
  assert.equal(cmd(['--state', dir], { PORTHOLE_SPRAY: '9' }).spray, 9);
  assert.equal(cmd(['--state', dir, '--spray', '3'], { PORTHOLE_SPRAY: '9' }).spray, 3);
  assert.equal(cmd([], { PORTHOLE_STATE: dir }).rendezvous, 'file:1');
  assert.equal(cmd([], {}).spray, 500);
  assert.throws(() => cmd([], { PORTHOLE_SPRAY: 'lots' }), /PORTHOLE_SPRAY/);
  writeFileSync(join(dir, 'config.json'), '{not json');
  assert.throws(() => cmd(['--state', dir], {}), /not a JSON object/);
});
