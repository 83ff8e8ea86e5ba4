// The loopback leg (issue 19, security): UDX listens on 127.0.0.1, where any local process can
// send it datagrams, and it takes a packet for a live stream from any source. Every stream is
// sealed with its own key (streams/secure.ts), so packets injected there never put a byte into a
// stream: the stream they hit is reset and counted, and the link carries new streams as before.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { after, test } from 'node:test';
import type { UdxLink } from '../../src/streams/udx-link.js';
import { echoServer, settled, streamWorld, udpPathPair } from './support.js';

/** UDX data packets for stream `id` at sequence numbers 0..n-1, each carrying `text`. */
function forged(id: number, n: number, text: string): Buffer[] {
  return Array.from({ length: n }, (_, seq) => {
    const p = Buffer.alloc(20 + text.length);
    p.set([0xff, 0x01, 0x01, 0x00]); // UDX magic, version 1, DATA, no extra header
    p.writeUInt32LE(id, 4);
    p.writeUInt32LE(1 << 20, 8); // receive window
    p.writeUInt32LE(seq, 12);
    p.write(text, 20);
    return p;
  });
}

test('packets injected on the loopback leg never reach a stream; counted', async () => {
  const { server, port } = await echoServer();
  after(() => server.close());
  const w = await streamWorld(await udpPathPair('punched'), {
    names: () => ['echo'],
    accept: () => ({
      ok: true,
      connect: () => createConnection({ host: '127.0.0.1', port, allowHalfOpen: true }),
    }),
  });
  after(() => w.close());
  const evil = createSocket('udp4');
  await new Promise<void>((r) => evil.bind(0, '127.0.0.1', () => r()));
  after(() => evil.close());
  const udxPort = (side: unknown): number => (side as { link: UdxLink }).link.socket.address().port;

  // Stream ids are random (one UDX per process): the client's end is `id`, the home's id + 1.
  for (const [name, side, toHome] of [
    ['towards the client', w.client, false],
    ['towards the home', w.home, true],
  ] as const) {
    const { stream, accepted } = w.client.open('echo');
    const id = (stream.rawStream as unknown as { id: number }).id + (toHome ? 1 : 0);
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise<string>((resolve) => {
      stream.once('error', (e: Error) => resolve(`error: ${e.message}`));
      stream.once('close', () => resolve('closed'));
    });
    stream.write(Buffer.from('hello'));
    await accepted;
    while (Buffer.concat(got).toString() !== 'hello') await new Promise((r) => setTimeout(r, 10));
    const before = side.linkStats.rejected;
    for (const p of forged(id, 64, 'EVIL')) evil.send(p, udxPort(side), '127.0.0.1');
    // The stream the packets hit ends; what it delivered stays what the echo sent.
    const how = await Promise.race([
      ended,
      new Promise<string>((r) => setTimeout(() => r('still open'), 5000)),
    ]);
    assert.ok(!Buffer.concat(got).toString().includes('EVIL'), `${name}: nothing injected`);
    assert.notEqual(how, 'still open', `${name}: the stream the packets hit was reset`);
    const until = Date.now() + 3000;
    while (side.linkStats.rejected === before && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(side.linkStats.rejected, before + 1, `${name}: counted`);
  }
  // The link itself is unharmed: a new stream through a forward works.
  const { stream } = w.client.open('echo');
  const back = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.once('end', () => resolve(s));
    stream.once('error', reject);
    stream.end(Buffer.from('after'));
  });
  assert.equal(back, 'after');
  await settled(w);
});
