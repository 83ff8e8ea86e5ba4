// TCP and WebSocket fronts on loopback: a client whose UDP is blocked reaches the home through
// them; oversized frames and slow readers are cut off and counted.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import type { Path } from '../../src/net/path.js';
import { frame } from '../../src/relay/frames.js';
import { encode, MAX_RELAY_PAYLOAD, REQUEST_PAD } from '../../src/wire/messages.js';
import { SeqRandom } from '../support/fakes.js';
import { loopbackRelay } from './loopback.js';

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

test('Noise over the relay on every transport: udp, tcp, ws', async () => {
  const lb = await loopbackRelay();
  try {
    for (const t of ['udp', 'tcp', 'ws'] as const) {
      const { got, path, channel } = await lb.echo(lb.targets[t], `hello over ${t}`);
      assert.equal(got, `hello over ${t}`);
      assert.equal(path.kind, 'relayed');
      assert.match(path.remote, new RegExp(`^relay ${t} 127\\.0\\.0\\.1:\\d+$`));
      channel.close();
    }
    await until(() => lb.core.stats.sessions === 0);
    assert.deepEqual(lb.core.stats.opened, { udp: 1, tcp: 1, ws: 1 });
    assert.equal(lb.core.stats.sessions, 0, JSON.stringify(lb.core.stats));
  } finally {
    await lb.stop();
  }
});

test('a 1,400-byte payload crosses udp, tcp and ws both ways; 1,401 is refused on each', async () => {
  const lb = await loopbackRelay({
    onHomePath: (p) => p.onMessage((d) => p.send(d)), // raw echo, no Noise
  });
  try {
    const full = new Uint8Array(MAX_RELAY_PAYLOAD).map((_, i) => i & 0xff);
    for (const t of ['udp', 'tcp', 'ws'] as const) {
      const r = await lb.open(lb.targets[t]);
      assert.ok(r.ok, t);
      assert.equal(r.path.maxPayload, MAX_RELAY_PAYLOAD, 'what one send() carries on every path');
      const back = new Promise<Uint8Array>((done) => r.path.onMessage(done));
      r.path.send(full);
      assert.ok(Buffer.from(full).equals(await back), `${t}: 1,400 bytes there and back`);
      assert.throws(() => r.path.send(new Uint8Array(MAX_RELAY_PAYLOAD + 1)), /over 1400/);
      r.path.close();
    }
    // Hand-made frames one byte over: the relay drops (UDP) or cuts off (TCP, WS) and counts.
    const over = encode({ type: 'relayData', session: '0011223344556677', payload: full }).slice();
    over[13] = 0x79; // claims 1,401 payload bytes
    const datagram = new Uint8Array([...over, 9]);
    const raw = lb.env.net.open({ ip: '127.0.0.1' });
    raw.send(datagram, lb.relay);
    const sock = connect({ host: '127.0.0.1', port: lb.tcp.port });
    await new Promise((r) => sock.once('connect', r));
    const tcpClosed = new Promise((r) => sock.once('close', r));
    sock.write(frame(datagram));
    await tcpClosed;
    const ws = new WebSocket(`ws://127.0.0.1:${lb.ws.port}/porthole`);
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send(datagram);
    assert.equal(await code, 1009);
    await until(() => lb.core.stats.drops['ws-oversized-frame'] === 1);
    assert.equal(lb.core.stats.drops['tcp-oversized-frame'], 1);
    assert.equal(lb.udp.drops.toJSON()['malformed'] ?? 0, 1, JSON.stringify(lb.udp.drops));
    raw.close();
  } finally {
    await lb.stop();
  }
});

test('oversized frames end the TCP connection and the WebSocket, counted', async () => {
  const lb = await loopbackRelay();
  try {
    const sock = connect({ host: '127.0.0.1', port: lb.tcp.port });
    await new Promise((r) => sock.once('connect', r));
    const closed = new Promise((r) => sock.once('close', r));
    sock.write(new Uint8Array([0x13, 0x88, 1, 2, 3])); // announces 5,000 bytes
    await closed;
    const ws = new WebSocket(`ws://127.0.0.1:${lb.ws.port}/porthole`);
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send(new Uint8Array(5000));
    assert.equal(await code, 1009);
    await until(() => lb.core.stats.drops['ws-oversized-frame'] === 1);
    assert.equal(lb.core.stats.drops['tcp-oversized-frame'], 1);
    assert.equal(lb.core.stats.drops['ws-oversized-frame'], 1);
  } finally {
    await lb.stop();
  }
});

/** A raw client over `kind` that opens a session, then stops reading. */
async function stuckClient(
  lb: Awaited<ReturnType<typeof loopbackRelay>>,
  kind: 'tcp' | 'ws',
): Promise<() => void> {
  const session = kind === 'tcp' ? '00112233aabbccdd' : '99887766aabbccdd';
  const open = encode(
    {
      type: 'relayOpen',
      tx: 1,
      homeId: lb.homeId,
      session,
      auth: lb.authFor(session),
      early: new Uint8Array(0),
    },
    REQUEST_PAD,
  );
  if (kind === 'tcp') {
    const sock = connect({ host: '127.0.0.1', port: lb.tcp.port });
    await new Promise((r) => sock.once('connect', r));
    sock.write(frame(open));
    sock.pause();
    return () => sock.destroy();
  }
  const ws = new WebSocket(`ws://127.0.0.1:${lb.ws.port}/porthole`);
  await new Promise((r) => ws.once('open', r));
  ws.send(open);
  ws.pause();
  return () => ws.terminate();
}

for (const kind of ['tcp', 'ws'] as const) {
  test(`a ${kind} client that does not read is cut off; the home hears why`, async () => {
    let homePath: Path | undefined;
    let homeClosed = '';
    const lb = await loopbackRelay({
      limits: { homeBurstBytes: 1 << 30 },
      stream: { maxBuffered: 64 * 1024, slowReaderMs: 200 },
      onHomePath: (p) => {
        homePath = p;
        p.onClose((r) => (homeClosed = r));
      },
    });
    try {
      const done = await stuckClient(lb, kind);
      await until(() => homePath !== undefined);
      assert.ok(homePath, 'the home accepted');
      const chunk = new Uint8Array(1000).fill(7);
      for (let i = 0; i < 40_000 && !homeClosed; i++) {
        homePath.send(chunk);
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => homeClosed !== '');
      assert.match(homeClosed, /slow reader/);
      // Over the queue limit frames were dropped first; cut off only after slowReaderMs.
      assert.ok((lb.core.stats.drops[`${kind}-queue-full`] ?? 0) > 0);
      assert.equal(lb.core.stats.drops[`${kind}-slow-reader`], 1);
      assert.equal(lb.core.stats.closes['slow-reader'], 1);
      done();
    } finally {
      await lb.stop();
    }
  });
}

test('stream connections: capped per IP, and closed when they open no session', async () => {
  const lb = await loopbackRelay({ stream: { maxConnectionsPerIp: 2, helloMs: 300 } });
  try {
    const socks = [0, 1, 2].map(() => connect({ host: '127.0.0.1', port: lb.tcp.port }));
    await Promise.all(socks.map((s) => new Promise((r) => s.once('close', r))));
    assert.equal(lb.core.stats.drops['tcp-per-ip-connections'], 1);
    assert.equal(lb.core.stats.drops['tcp-no-session'], 2);
  } finally {
    await lb.stop();
  }
});

test('fuzzed frames over TCP and WebSocket: dropped and counted, nothing opened', async () => {
  const lb = await loopbackRelay();
  try {
    const rng = new SeqRandom(5);
    const sock = connect({ host: '127.0.0.1', port: lb.tcp.port });
    const ws = new WebSocket(`ws://127.0.0.1:${lb.ws.port}/porthole`);
    await new Promise((r) => sock.once('connect', r));
    await new Promise((r) => ws.once('open', r));
    for (let i = 0; i < 500; i++) {
      const junk = rng.bytes(4 + rng.int(300));
      if (i % 2 === 0) junk.set([0x50, 0x48, 1, 40 + rng.int(7)]); // looks like a relay message
      sock.write(frame(junk));
      ws.send(junk);
    }
    // Each transport on its own: a sum could be met by one running ahead of the other.
    await until(
      () =>
        (lb.core.stats.drops['tcp-malformed'] ?? 0) > 450 &&
        (lb.core.stats.drops['ws-malformed'] ?? 0) > 450,
    );
    const d = lb.core.stats.drops;
    assert.ok((d['tcp-malformed'] ?? 0) > 450 && (d['ws-malformed'] ?? 0) > 450, JSON.stringify(d));
    assert.equal(lb.core.stats.sessions, 0);
    sock.destroy();
    ws.terminate();
  } finally {
    await lb.stop();
  }
});
