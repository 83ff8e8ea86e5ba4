// The trust CLI from end to end with real processes: init, pair (code), paired and encrypted
// connects, a reused code, an unpaired client, revocation.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27600';
const procs = new Procs();
after(() => procs.stopAll());

test(
  'home init/pair/clients and client init/pair/connect --state',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-cli-trust-'));
    const [home, phone, stranger] = ['home', 'phone', 'stranger'].map((n) => join(dir, n)) as [
      string,
      string,
      string,
    ];
    const homeInit = run(['home', 'init', '--state', home, '--json']);
    assert.equal(homeInit.status, 0, homeInit.stderr);
    const homeId = String(jsonLine(homeInit.stdout).homeId);
    assert.match(homeId, /^ph-[a-z2-7]{26}$/);
    assert.equal(run(['home', 'init', '--state', home]).status, 1, 'a second init must refuse');
    for (const c of [phone, stranger])
      assert.equal(run(['client', 'init', '--state', c]).status, 0);

    await procs.start(['rendezvous', '--listen', RV], 'rendezvous listening');
    await procs.start(
      ['home', '--state', home, '--rendezvous', RV, '--listen', '127.0.0.3:27601'],
      'registered with rendezvous',
    );

    const code = String(jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout).code);
    const pair = run(['client', 'pair', code, '--state', phone, '--bind', '127.0.0.4', '--json']);
    assert.equal(pair.status, 0, pair.stderr);
    assert.equal(jsonLine(pair.stdout).paired, homeId);
    const reuse = run(['client', 'pair', code, '--state', stranger, '--bind', '127.0.0.4']);
    assert.equal(reuse.status, 1);
    assert.match(reuse.stderr, /already used/);
    assert.match(
      run(['client', 'pair', 'PH1-NOPE', '--state', stranger]).stderr,
      /garbled|checksum|malformed/,
    );

    const base = ['--home', homeId, '--bind', '127.0.0.4', '--sockets', '20', '--json'];
    const ok = run(['client', 'connect', '--state', phone, ...base]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(jsonLine(ok.stdout).secure, true);
    const dev = run(['client', 'set', 'light.kitchen', 'on', '--state', phone, ...base]);
    assert.equal(jsonLine(dev.stdout).state, 'on');

    // The stranger knows the home (copied the home list) but was never paired.
    run(['client', 'init', '--state', stranger]);
    const strangerHomes = join(stranger, 'homes.json');
    copyFileSync(join(phone, 'homes.json'), strangerHomes);
    const refused = run(['client', 'connect', '--state', stranger, ...base]);
    assert.equal(refused.status, 1);
    assert.match(String(jsonLine(refused.stdout).error), /not paired/);

    const clients = run(['home', 'clients', '--state', home, '--json']);
    const fp = String(jsonLine(clients.stdout).fingerprint);
    assert.equal(run(['home', 'clients', '--state', home, '--revoke', fp]).status, 0);
    const revoked = run(['client', 'connect', '--state', phone, ...base]);
    assert.equal(revoked.status, 1);
  },
);
