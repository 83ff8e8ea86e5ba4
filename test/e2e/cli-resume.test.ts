// Remembered paths from end to end with real processes on loopback: after one full connect, the
// next commands of a normal rhythm resume the remembered path ("resumed": true, one packet, no
// spray), so the home's per-client spray limit is never hit.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { jsonLine, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:47620';
const procs = new Procs();
after(() => procs.stopAll());

test(
  'eight connects in a row: the first sprays, the rest resume',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-cli-resume-'));
    const home = join(dir, 'home');
    const phone = join(dir, 'phone');
    const homeId = String(jsonLine(run(['home', 'init', '--state', home, '--json']).stdout).homeId);
    assert.equal(run(['client', 'init', '--state', phone]).status, 0);
    await procs.start(['rendezvous', '--listen', RV], 'rendezvous listening');
    await procs.start(
      ['home', '--state', home, '--rendezvous', RV, '--listen', '127.0.0.3:47621'],
      'registered with rendezvous',
    );
    const code = String(jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout).code);
    assert.equal(run(['client', 'pair', code, '--state', phone, '--bind', '127.0.0.4']).status, 0);

    const base = ['--state', phone, '--home', homeId, '--bind', '127.0.0.4', '--json'];
    const reports = [];
    for (let i = 0; i < 8; i++) {
      const r = run(['client', 'connect', ...base]);
      assert.equal(r.status, 0, r.stderr);
      reports.push(jsonLine(r.stdout));
    }
    for (const r of reports) assert.equal(r.secure, true);
    assert.equal(reports[0]?.resumed, undefined);
    for (const r of reports.slice(1)) {
      assert.equal(r.resumed, true);
      assert.ok(Number(r.packetsSent) <= 3); // the knocks of one short timeout
    }
    const set = run(['client', 'set', 'light.kitchen', 'on', ...base]);
    assert.equal(jsonLine(set.stdout).state, 'on');
    const ms = (r: Record<string, unknown>): number =>
      Math.round(Number(r.ms) + Number((r.steps as Record<string, number>).secure ?? 0));
    console.log(
      `# loopback, connect + handshake: full ${ms(reports[0] ?? {})} ms (${String(reports[0]?.packetsSent)} packets);` +
        ` resumed ${reports.slice(1).map(ms).join(', ')} ms (1-3 packets each)`,
    );
  },
);
