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
import type { SocketAddr } from '../../src/net/types.js';
import { MemoryRegistry, type HomeRecord } from '../../src/rendezvous/registry.js';
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

/** The rendezvous's registry, telling the test whenever a record is read or written. */
class WatchedRegistry extends MemoryRegistry {
  onAccess: (id: string) => void = () => undefined;
  override get(id: string, now: number): HomeRecord | undefined {
    const r = super.get(id, now);
    this.onAccess(id);
    return r;
  }
  /** The record as it stands, without telling anyone. */
  peek(id: string): HomeRecord | undefined {
    return super.get(id, performance.now());
  }
  override put(rec: HomeRecord): boolean {
    const ok = super.put(rec);
    this.onAccess(rec.id);
    return ok;
  }
}

/**
 * Resolves once the rendezvous, handling a message about `id` that arrived after `after` (the
 * home's keepalive or its re-registration: the flood has stopped), maps `id` to `home`; a forged
 * registration from the flood is replaced on the real home's next keepalive. Bounded by `timeoutMs`.
 */
function untilMapped(
  registry: WatchedRegistry,
  id: string,
  home: SocketAddr,
  after: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registry.onAccess = () => undefined;
      reject(new Error(`the rendezvous did not map ${id} to the real home within ${timeoutMs} ms`));
    }, timeoutMs);
    registry.onAccess = (touched) => {
      if (touched !== id || performance.now() <= after) return;
      const now = registry.peek(id);
      if (now?.addr.ip !== home.ip || now.addr.port !== home.port) return;
      clearTimeout(timer);
      registry.onAccess = () => undefined;
      resolve();
    };
  });
}

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
  const registry = new WatchedRegistry(1000);
  const stack = await startLocalStack(env, 'robust', { keepaliveMs: 1000 }, 5000, { registry });
  t.after(() => stack.close());
  const { rv, rvAddr, homeAddr } = stack;
  const attacker = dgram.createSocket('udp4');
  await new Promise<void>((res) => attacker.bind(0, '127.0.0.5', res));
  t.after(() => attacker.close());
  const rng = new SeqRandom(2024);
  for (let i = 0; i < 10_000; i++) {
    const target = i % 2 === 0 ? rvAddr : homeAddr;
    await new Promise<void>((res) =>
      attacker.send(garbage(rng, i), target.port, target.ip, () => res()),
    );
    if (i % 20 === 0) await new Promise((res) => setTimeout(res, 1)); // let the receivers keep up
  }
  // Datagrams still queued at the rendezvous are handled within milliseconds; after that only
  // the real home speaks about its id. Its next keepalive (1 s) wins the id back.
  await untilMapped(registry, 'robust', homeAddr, performance.now() + 100, 5000);
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
