// Streams over a live Noise session on real loopback sockets (issue 19): a TCP echo through a
// stream, 10 MiB with a checksum, half-close, many streams at once, a stream that survives the
// move from a relayed path onto a punched one, and a refused service that opens nothing.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { after, test } from 'node:test';
import { Forwarder } from '../../src/client/forward.js';
import {
  echoServer,
  roundTrip,
  settled,
  streamWorld,
  udpPathPair,
  type StreamWorld,
} from './support.js';

const worlds: StreamWorld[] = [];
const silentLog = { debug() {}, info() {}, warn() {}, error() {} } as never;
after(async () => {
  for (const w of worlds) await settled(w);
  worlds.forEach((w) => w.close());
});

async function echoWorld(): Promise<{ w: StreamWorld; port: number; connects: () => number }> {
  const { server, port } = await echoServer();
  after(() => server.close());
  let n = 0;
  const w = await streamWorld(await udpPathPair('punched'), {
    names: () => ['echo'],
    accept: (name) =>
      name === 'echo'
        ? {
            ok: true,
            connect: () => {
              n++;
              return createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
            },
          }
        : { ok: false, reason: `no service ${name}` },
  });
  worlds.push(w);
  return { w, port, connects: () => n };
}

/** Writes `data` (then ends) and collects everything read until the stream ends. */
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a TCP echo through a stream', { timeout: 20_000 }, async () => {
  const { w } = await echoWorld();
  const { stream, accepted } = w.client.open('echo');
  const back = roundTrip(stream, Buffer.from('hello through the home'));
  await accepted;
  assert.equal((await back).toString(), 'hello through the home');
});

test('10 MiB both ways, checksum intact', { timeout: 180_000 }, async () => {
  const { w } = await echoWorld();
  const data = randomBytes(10 * 1024 * 1024);
  const { stream } = w.client.open('echo');
  const back = await roundTrip(stream, data);
  assert.equal(back.length, data.length);
  assert.equal(sha(back), sha(data));
});

test(
  'half-close: the client ends its side and still reads the answer',
  { timeout: 20_000 },
  async () => {
    // A service that answers only once the client has finished sending (like `wc`).
    const server = createServer({ allowHalfOpen: true }, (s) => {
      let n = 0;
      s.on('data', (d: Buffer) => (n += d.length));
      s.on('end', () => s.end(`got ${n} bytes`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const w = await streamWorld(await udpPathPair('punched'), {
      names: () => ['wc'],
      accept: () => ({
        ok: true,
        connect: () => createConnection({ host: '127.0.0.1', port, allowHalfOpen: true }),
      }),
    });
    worlds.push(w);
    const { stream } = w.client.open('wc');
    const back = await roundTrip(stream, randomBytes(300_000));
    assert.equal(back.toString(), 'got 300000 bytes');
  },
);

test('64 parallel streams all complete, each intact', { timeout: 180_000 }, async () => {
  const { w, connects } = await echoWorld();
  const runs = Array.from({ length: 64 }, async () => {
    const data = randomBytes(128 * 1024);
    const { stream } = w.client.open('echo');
    return sha(await roundTrip(stream, data)) === sha(data);
  });
  const ok = await Promise.all(runs);
  assert.equal(ok.filter(Boolean).length, 64);
  assert.equal(connects(), 64);
});

test(
  'a stream survives the move from a relayed path to a punched one',
  { timeout: 180_000 },
  async () => {
    const { server, port } = await echoServer();
    after(() => server.close());
    const relayed = await udpPathPair('relayed');
    const punched = await udpPathPair('punched');
    const w = await streamWorld(relayed, {
      names: () => ['echo'],
      accept: () => ({
        ok: true,
        connect: () => createConnection({ host: '127.0.0.1', port, allowHalfOpen: true }),
      }),
    });
    worlds.push(w);
    const data = randomBytes(4 * 1024 * 1024);
    const { stream } = w.client.open('echo');
    let seen = 0;
    let moved = false;
    stream.on('data', (d: Buffer) => {
      seen += d.length;
      if (!moved && seen > 1024 * 1024) {
        // Mid-transfer: both sides move onto the punched path; the relayed one goes dead.
        moved = true;
        w.cSwitch.switchTo(punched.client, 'upgrade');
        w.hSwitch.switchTo(punched.home, 'upgrade');
        relayed.client.kill();
        relayed.home.kill();
      }
    });
    const back = await roundTrip(stream, data);
    assert.ok(moved, 'the switch happened mid-stream');
    assert.equal(w.cSwitch.path.kind, 'punched');
    assert.equal(sha(back), sha(data));
  },
);

test('a refused service: a clear refusal, nothing opened', { timeout: 20_000 }, async () => {
  const { w, connects } = await echoWorld();
  const { stream, accepted } = w.client.open('ssh');
  stream.on('error', () => {});
  stream.write(Buffer.from('SSH-2.0-probe\r\n'));
  await assert.rejects(accepted, /no service ssh/);
  assert.equal(connects(), 0);
  assert.equal(w.home.openStreams, 0);
  assert.deepEqual(await w.client.services(), ['echo']);
});

test(
  'a local forward: one stream per TCP connection, half-close end to end',
  { timeout: 20_000 },
  async () => {
    const { w } = await echoWorld();
    const fwd = new Forwarder(() => w.client, silentLog);
    const st = await fwd.add('127.0.0.1:0:echo');
    const port = Number(st.listen.split(':')[1]);
    const sock = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    const back = await roundTrip(sock, Buffer.from('through a forward'));
    assert.equal(back.toString(), 'through a forward');
    await new Promise((r) => setTimeout(r, 50));
    const [s] = fwd.status();
    assert.equal(s?.total, 1);
    assert.equal(s?.bytesIn, 17);
    assert.equal(s?.bytesOut, 17);
    fwd.close();
  },
);
