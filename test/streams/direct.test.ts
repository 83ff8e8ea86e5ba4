// UDX on the punched socket (docs/streams.md): when the session runs on a punched path whose
// socket is a UDX socket (net/udx-udp.ts), streams send their packets on it directly — not
// through the loopback shim and the Noise channel — and move to the shim and back when the path
// switches (relayed → punched, punched → relayed), each side on its own, with no reset.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { after, test } from 'node:test';
import type { PathSwitch } from '../../src/client/path-switch.js';
import type { Path } from '../../src/net/path.js';
import type { DirectRoute } from '../../src/streams/mux.js';
import {
  echoServer,
  roundTrip,
  settled,
  streamWorld,
  udpPathPair,
  udxPathPair,
  type StreamWorld,
  type UdxPathPair,
} from './support.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Each side's route: the punched pair's socket and peer while its switch is on that path. */
function routesOver(
  p: UdxPathPair,
  sw: () => { c: PathSwitch; h: PathSwitch },
): { client(): DirectRoute | undefined; home(): DirectRoute | undefined } {
  const on = (s: PathSwitch, path: Path): boolean => s.path === path;
  return {
    client: () => (on(sw().c, p.client) ? { ep: p.cEp, peer: p.hAddr } : undefined),
    home: () => (on(sw().h, p.home) ? { ep: p.hEp, peer: p.cAddr } : undefined),
  };
}

async function world(first: { client: Path; home: Path }, punched: UdxPathPair) {
  const { server, port } = await echoServer();
  after(() => server.close());
  const ref: { w?: StreamWorld } = {};
  const w = await streamWorld(
    first,
    {
      names: () => ['echo'],
      accept: () => ({
        ok: true,
        connect: () => createConnection({ host: '127.0.0.1', port, allowHalfOpen: true }),
      }),
    },
    routesOver(punched, () => ({ c: ref.w!.cSwitch, h: ref.w!.hSwitch })),
  );
  ref.w = w;
  after(async () => {
    await settled(w);
    w.close();
    punched.client.close();
    punched.home.close();
  });
  return w;
}

test('on a punched UDX socket a stream skips the shim', { timeout: 60_000 }, async () => {
  const punched = udxPathPair();
  const w = await world(punched, punched);
  const data = randomBytes(4 * 1024 * 1024);
  const { stream } = w.client.open('echo');
  const back = await roundTrip(stream, data);
  assert.equal(sha(back), sha(data));
  // The client's end starts on the shim and moves when the home's `ok` says it can (d: 1).
  assert.equal(w.client.routeStats.moves, 1, 'the client end moved onto the punched socket');
  assert.equal(w.home.routeStats.direct, 1, 'the home end started on the punched socket');
  // ~3,000 packets each way went straight on the socket, (almost) none through the shim.
  assert.ok(w.client.linkStats.packetsOut < 20, `client via shim ${w.client.linkStats.packetsOut}`);
  assert.ok(w.home.linkStats.packetsOut < 20, `home via shim ${w.home.linkStats.packetsOut}`);
  assert.ok(punched.cEp.socket.packetsTransmitted > 2000, 'the packets left the punched socket');
});

test(
  'a stream moves shim → punched socket (upgrade) → shim (fall-back), no reset',
  { timeout: 120_000 },
  async () => {
    const relayed = await udpPathPair('relayed');
    const punched = udxPathPair();
    const later = await udpPathPair('relayed');
    const w = await world(relayed, punched);
    // After the world's own hook (hooks run in order): its streams settle over `later` first.
    after(() => {
      for (const p of [relayed, later]) {
        p.client.close();
        p.home.close();
      }
    });
    const { stream } = w.client.open('echo');
    const got: Buffer[] = [];
    let seen = 0;
    stream.on('data', (d: Buffer) => {
      got.push(Buffer.from(d));
      seen += d.length;
    });
    const ended = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const sent: Buffer[] = [];
    /** Writes `n` bytes and waits until they are echoed back (bounded). */
    const part = async (n: number): Promise<void> => {
      const b = randomBytes(n);
      sent.push(b);
      const want = seen + n;
      stream.write(b);
      const until = Date.now() + 20_000;
      while (seen < want && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      assert.equal(seen, want, 'echoed in time');
    };
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    await part(1024 * 1024);
    // The upgrade: both sides onto the punched path; the relayed one dies.
    w.cSwitch.switchTo(punched.client, 'upgrade');
    w.hSwitch.switchTo(punched.home, 'upgrade');
    relayed.client.kill();
    relayed.home.kill();
    await pause(300);
    await part(2 * 1024 * 1024);
    const viaPunched = punched.cEp.socket.packetsTransmitted;
    // The fall-back: the client first, the home a moment later (its packets still get in).
    w.cSwitch.switchTo(later.client, 'punched path lost');
    const shimBefore = w.client.linkStats.packetsOut;
    await pause(150);
    w.hSwitch.switchTo(later.home, 'punched path lost');
    await pause(300);
    await part(2 * 1024 * 1024);
    stream.end();
    await ended;
    assert.equal(sha(Buffer.concat(got)), sha(Buffer.concat(sent)));
    assert.equal(w.client.routeStats.shim, 1, 'the client end started on the shim');
    assert.equal(w.client.routeStats.moves, 2, 'client: onto the punched socket and off it');
    assert.equal(w.home.routeStats.moves, 2, 'home: onto the punched socket and off it');
    assert.ok(viaPunched > 1000, `${viaPunched} packets on the punched socket`);
    assert.ok(w.client.linkStats.packetsOut - shimBefore > 1000, 'back through the shim');
  },
);

test('an older client (no d in open): the home keeps its stream on the shim', async () => {
  const punched = udxPathPair();
  const w = await world(punched, punched);
  // A session-19 client: its open says nothing about the punched socket, and it ignores d.
  const c = w.client as unknown as {
    sendControl(x: { t: string; d?: number }): void;
    onControl(x: { t: string; d?: number }): void;
  };
  const send = c.sendControl.bind(c);
  c.sendControl = (x) => send({ ...x, d: undefined });
  const on = c.onControl.bind(c);
  c.onControl = (x) => on({ ...x, d: undefined });
  const data = randomBytes(1024 * 1024);
  const { stream } = w.client.open('echo');
  const back = await roundTrip(stream, data);
  assert.equal(sha(back), sha(data));
  assert.equal(w.home.routeStats.shim, 1, 'the home end stayed on the shim');
  assert.equal(w.home.routeStats.moves, 0);
  assert.equal(w.client.routeStats.moves, 0);
  assert.ok(w.home.linkStats.packetsOut > 500, 'its packets went through the channel');
});
