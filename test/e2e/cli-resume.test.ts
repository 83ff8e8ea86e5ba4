// Remembered paths from end to end with real processes on loopback: after one full connect, the
// next commands of a normal rhythm resume the remembered path ("resumed": true, one packet, no
// spray), so the home's per-client spray limit is never hit.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27620';
const procs = new Procs();
after(() => procs.stopAll());

test(
  'eight connects in a row: the first sprays, the rest resume',
  { timeout: 60_000 },
  async () => {
    const { homeId, clients } = await pairedStack(procs, {
      rvArgs: ['--listen', RV],
      homeListen: '127.0.0.3:27621',
      clients: ['phone'],
    });
    const phone = clients.phone as string;

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
