// Acks in batches (src/streams/udx-link.ts, frame 0xF7): small UDX packets that leave in one turn
// of the event loop share one frame, only towards a peer that said `b: 1`, and every packet is
// delivered in the order UDX sent it; a bad batch from the peer is dropped whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UdxLink } from '../../src/streams/udx-link.js';
import { decodeBatch, encodeBatch, UDX_BATCH_FRAME, UDX_FRAME } from '../../src/streams/wire.js';
import { MAX_PLAINTEXT } from '../../src/secure/noise-frames.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A link whose frames are collected; `fromUdx` sends raw datagrams from its UDX socket. */
async function link(peerBatches: boolean) {
  const frames: Buffer[] = [];
  const l = new UdxLink(
    (f) => frames.push(Buffer.from(f)),
    () => MAX_PLAINTEXT,
  );
  await l.ready;
  l.peerBatches = peerBatches;
  const fromUdx = (pkts: Uint8Array[]) => {
    for (const p of pkts) l.socket.trySend(Buffer.from(p), l.remotePort, '127.0.0.1');
  };
  /** The UDX packets the frames carry, in order. */
  const carried = (): Buffer[] =>
    frames.flatMap((f) =>
      f[0] === UDX_FRAME
        ? [f.subarray(1)]
        : (decodeBatch(f.subarray(1)) ?? []).map((p) => Buffer.from(p)),
    );
  return { l, frames, fromUdx, carried };
}

const pkt = (n: number, size = 40) => Buffer.alloc(size, n);

test('towards a peer that reads batches, small packets share frames, in order', async (t) => {
  const { l, frames, fromUdx, carried } = await link(true);
  t.after(() => l.close());
  const sent = [pkt(1), pkt(2), pkt(3), pkt(4), pkt(5), pkt(6, 1200), pkt(7), pkt(8)];
  fromUdx(sent);
  await sleep(200);
  assert.deepEqual(carried(), sent);
  assert.ok(
    frames.some((f) => f[0] === UDX_BATCH_FRAME),
    'a batch frame',
  );
  assert.ok(frames.length < sent.length, `${frames.length} frames for ${sent.length} packets`);
  assert.equal(frames.find((f) => f.length > 1000)?.[0], UDX_FRAME, 'a data packet goes alone');
  assert.ok(frames.every((f) => f.length <= MAX_PLAINTEXT));
  assert.equal(l.stats.packetsOut, sent.length);
  assert.ok(l.stats.batches >= 1);
});

test('towards an older peer (no b: 1), every packet goes alone', async (t) => {
  const { l, frames, fromUdx, carried } = await link(false);
  t.after(() => l.close());
  const sent = [pkt(1), pkt(2), pkt(3)];
  fromUdx(sent);
  await sleep(200);
  assert.deepEqual(carried(), sent);
  assert.ok(frames.every((f) => f[0] === UDX_FRAME));
});

test('a batch fills at most one frame: a long run of acks is cut into several', async (t) => {
  const { l, frames, fromUdx, carried } = await link(true);
  t.after(() => l.close());
  const sent = Array.from({ length: 120 }, (_, i) => pkt(i, 100));
  fromUdx(sent);
  await sleep(300);
  assert.deepEqual(carried(), sent);
  assert.ok(frames.every((f) => f.length <= MAX_PLAINTEXT));
});

test('batch frames: malformed ones are refused whole', () => {
  const good = encodeBatch([pkt(1, 3), pkt(2, 5)]).subarray(1);
  assert.equal(decodeBatch(good)?.length, 2);
  assert.equal(decodeBatch(good.subarray(0, good.length - 1)), undefined, 'cut short');
  assert.equal(decodeBatch(new Uint8Array(0)), undefined, 'empty');
  assert.equal(decodeBatch(Uint8Array.from([0, 0, 0, 1, 7])), undefined, 'a zero-length packet');
});
