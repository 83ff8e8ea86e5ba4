// A standalone relay (`porthole relay`, issue 10) with real processes: the rendezvous names it
// (--relay-node), the secure home registers with it too, a paired client forced onto the relay
// asks the rendezvous and is redirected to the relay node (over UDP, and over TCP front to TCP
// front); device answers come back through the relay process (its log and /metrics, not the
// rendezvous'); an unpaired client is refused by the home.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { scrape, until } from '../support/cluster.js';
import { BIN, jsonLine, pairedStack, Procs, run } from '../support/cli.js';
import { freePort } from '../support/mosquitto.js';

// Below the ephemeral range (32768+), so no socket bound to port 0 elsewhere can take it.
const PORT = 10_000 + ((process.pid + 5_000) % 10_000);
const RV = `127.0.0.2:${PORT}`;
const RELAY = `127.0.0.6:${PORT + 3}`;
const procs = new Procs();
const own: ChildProcess[] = [];
after(() => {
  procs.stopAll();
  for (const p of own) p.kill('SIGTERM');
});

test(
  'paired client relayed through a `porthole relay` node; stranger refused',
  { timeout: 90_000 },
  async () => {
    const metrics = `127.0.0.1:${await freePort()}`;
    const relay = spawn(
      process.execPath,
      [
        BIN,
        '--log-level',
        'info',
        'relay',
        '--listen',
        RELAY,
        '--tcp',
        String(PORT + 4),
        '--metrics',
        metrics,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    own.push(relay);
    let relayLog = '';
    relay.stderr.on('data', (b: Buffer) => (relayLog += b.toString()));
    await until('the relay to listen', 10_000, () => relayLog.includes('relay listening'));

    const { dir, homeId, clients } = await pairedStack(procs, {
      rvArgs: [
        '--listen',
        RV,
        '--relay-tcp',
        String(PORT + 1),
        '--relay-node',
        RELAY,
        '--relay-node-tcp',
        String(PORT + 4),
      ],
      homeListen: `127.0.0.3:${PORT + 5}`,
      clients: ['phone'],
    });
    await until('the home to register with the relay node', 10_000, () =>
      relayLog.includes(`"home":"${homeId}"`),
    );
    const phone = clients.phone as string;
    const base = ['--home', homeId, '--bind', '127.0.0.4', '--relay', 'only', '--json'];

    const set = run(['client', 'set', 'light.kitchen', 'on', '--state', phone, ...base]);
    assert.equal(set.status, 0, set.stdout + set.stderr);
    assert.equal(jsonLine(set.stdout).state, 'on');
    const c = run(['client', 'connect', '--state', phone, ...base]);
    assert.equal(c.status, 0, c.stdout + c.stderr);
    const report = jsonLine(c.stdout);
    assert.equal(report.path, 'relayed');
    assert.equal(report.relay, RELAY, 'redirected from the rendezvous to the relay node');
    assert.equal(report.secure, true);
    // TCP: the rendezvous' TCP front redirects to the relay node's.
    const tcp = ['--relay-transport', 'tcp', '--relay-addr', `127.0.0.2:${PORT + 1}`];
    const get = run(['client', 'get', 'light.kitchen', '--state', phone, ...base, ...tcp]);
    assert.equal(get.status, 0, get.stdout + get.stderr);
    assert.equal(jsonLine(get.stdout).state, 'on');

    await until('the relay node logged the sessions', 5000, () =>
      relayLog.includes('relayed session closed'),
    );
    const url = `http://${metrics}`;
    assert.ok(
      (await scrape(url, 'porthole_relayed_bytes_total{direction="to_home",role="relay"}')) > 0,
    );
    assert.ok(
      (await scrape(url, 'porthole_relayed_bytes_total{direction="to_client",role="relay"}')) > 0,
    );

    // The stranger knows the home (copied the home list) but was never paired: the home says no.
    const stranger = join(dir, 'stranger');
    assert.equal(run(['client', 'init', '--state', stranger]).status, 0);
    copyFileSync(join(phone, 'homes.json'), join(stranger, 'homes.json'));
    const refused = run(['client', 'connect', '--state', stranger, ...base]);
    assert.equal(refused.status, 1);
    assert.match(String(jsonLine(refused.stdout).error), /refused/);
  },
);
