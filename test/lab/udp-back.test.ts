// The client agent back onto UDP after a UDP block (issue 21, the soak's bug 3): started while
// the client's router drops all UDP (so on the TCP relay), the block lifted, the agent's session
// moves back onto UDP by itself (first re-check 15 s after it went onto TCP), with no reconnect,
// and "udp" is remembered for the network again. Prints the time; asserts only a generous bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runUdpBackLab } from '../../lab/udp-back.js';
import { requireLab, skipLab } from './prereq.js';

test(
  'real NAT: the agent on the TCP relay goes back onto UDP once UDP works again',
  { skip: skipLab, timeout: 120_000 },
  async () => {
    requireLab();
    const r = await runUdpBackLab();
    console.log(
      `# udp-back lab: blocked on ${r.blockedRemote}; back on UDP ${r.backMs} ms after the block ` +
        `ended (${r.backPath} ${r.backRemote}); reconnects ${r.reconnects}; cached ${r.cached.join(',')}`,
    );
    const why = JSON.stringify(r);
    assert.match(r.blockedRemote, /^relay (tcp|ws) /, why);
    assert.equal(r.reconnects, 0, why);
    assert.equal(r.states.length, 2, why);
    assert.notEqual(r.states[0], r.states[1], why);
    assert.equal(r.cached[0], 'udp', why);
  },
);
