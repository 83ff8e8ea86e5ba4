// Throws 10,000 random and mutated datagrams at a live rendezvous and home over real sockets,
// then shows both still serve a normal connect.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { connectAsync } from '../../src/client/connector.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { startLocalStack } from '../support/local-stack.js';
import { encode, type Message } from '../../src/wire/messages.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const S = '0123456789abcdef';
const valid: Message[] = [
  { type: 'register', tx: 1, homeId: 'robust', locals: [], auth: new Uint8Array(0) },
  { type: 'keepalive', tx: 2, homeId: 'robust' },
  { type: 'assist', mode: 'patent', tx: 3, homeId: 'robust', session: S, auth: new Uint8Array(0) },
  { type: 'sprayDone', tx: 4, session: S, sprayed: 9 },
  { type: 'addrQuery', tx: 5, homeId: 'robust' },
  {
    type: 'peerInfo',
    mode: 'patent',
    tx: 6,
    session: S,
    client: { ip: '127.0.0.9', port: 9 },
    auth: new Uint8Array(0),
  },
  { type: 'probe', tx: 7, homeId: 'robust', session: S },
  { type: 'data', payload: new Uint8Array(64) },
];

function garbage(rng: SeqRandom, i: number): Uint8Array {
  if (i % 3 === 0) return rng.bytes(rng.int(1300));
  const b = encode(valid[rng.int(valid.length)]!).slice();
  if (i % 3 === 1) {
    flipBits(rng, b, 1 + rng.int(4));
    return b;
  }
  return b.subarray(0, rng.int(b.length)); // truncated
}

test('rendezvous and home survive 10,000 hostile datagrams and still connect', async (t) => {
  const env = realEnv(silentLogger);
  // Short keepalive: a forged registration (possible until registrations are signed) heals quickly.
  const stack = await startLocalStack(env, 'robust', { keepaliveMs: 1000 });
  t.after(() => stack.close());
  const { rv, rvAddr, homeAddr } = stack;
  const attacker = dgram.createSocket('udp4');
  await new Promise<void>((res) => attacker.bind(0, '127.0.0.5', res));
  const rng = new SeqRandom(2024);
  for (let i = 0; i < 10_000; i++) {
    const target = i % 2 === 0 ? rvAddr : homeAddr;
    await new Promise<void>((res) =>
      attacker.send(garbage(rng, i), target.port, target.ip, () => res()),
    );
    if (i % 20 === 0) await new Promise((res) => setTimeout(res, 1)); // let the receivers keep up
  }
  await new Promise((res) => setTimeout(res, 2500)); // one keepalive period and its re-registration
  attacker.close();
  assert.ok(rv.stats.received > 4000, `rendezvous saw ${rv.stats.received}`);
  assert.ok(Object.keys(rv.stats.dropped).length > 0);

  const r = await connectAsync(env, {
    home: 'robust',
    rendezvous: rvAddr,
    bindIp: '127.0.0.4',
    sockets: 20,
    forceAssist: true,
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const rtt = await new Promise<number | undefined>((res) => r.connection.ping(1000, res));
  assert.ok(rtt !== undefined);
  r.connection.close();
  // The fuzzing may have registered "robust" from the attacker; the real home's keepalive
  // noticed and registered again, so the connect above reached the real home.
  assert.equal(r.report.home, `127.0.0.3:${homeAddr.port}`);
});
