// PCP and NAT-PMP clients against fake gateways on a fake clock: success, retransmission
// schedule, total timeout, spoofed and unrelated replies, refusals, deletes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, type Env } from '../../src/net/types.js';
import { NatpmpClient } from '../../src/portmap/natpmp-client.js';
import { PcpClient } from '../../src/portmap/pcp-client.js';
import type { MapOutcome } from '../../src/portmap/types.js';
import { FakeClock, SeqRandom } from '../support/fakes.js';
import { ByteNet, natpmpReply, pcpReply, settle } from './fake-gateway.js';

const GW = '192.168.1.1';
const EXT = [198, 51, 100, 7];
const req = { internalPort: 40000, externalPort: 40000, lifetimeS: 7200 };

function setup(): { env: Env; net: ByteNet; clock: FakeClock } {
  const clock = new FakeClock();
  const net = new ByteNet(clock);
  return { env: { net, clock, rng: new SeqRandom(13), log: silentLogger }, net, clock };
}

async function run(clock: FakeClock, p: Promise<MapOutcome>, ms = 3000): Promise<MapOutcome> {
  let out: MapOutcome | undefined;
  void p.then((r) => (out = r));
  await settle(clock, ms);
  assert.ok(out, 'the client did not finish within its budget');
  return out;
}

test('pcp client: maps through a PCP gateway; the delete repeats the nonce with lifetime 0', async () => {
  const { env, net, clock } = setup();
  net.responder = (d) => ({ reply: pcpReply(d, EXT) });
  const c = new PcpClient({ env, gateway: GW, clientIp: net.ip });
  const r = await run(clock, c.map(req));
  assert.deepEqual(r, {
    ok: true,
    mapping: {
      protocol: 'pcp',
      internalPort: 40000,
      external: { ip: '198.51.100.7', port: 40000 },
      lifetimeS: 3600,
    },
  });
  assert.deepEqual(net.sent[0]?.to, { ip: GW, port: 5351 });
  if (!r.ok) return;
  const before = net.sent.length;
  void c.unmap(r.mapping);
  await settle(clock, 100);
  const del = net.sent[before]?.data as Uint8Array;
  assert.equal(new DataView(del.buffer).getUint32(4), 0, 'delete has lifetime 0');
  assert.deepEqual(del.subarray(24, 36), net.sent[0]?.data.subarray(24, 36), 'same nonce');
  c.close();
});

test('pcp client: a silent gateway gets 4 sends at 0/250/750/1750 ms, then "absent" at 2.5 s', async () => {
  const { env, net, clock } = setup();
  const c = new PcpClient({ env, gateway: GW, clientIp: net.ip });
  let done: MapOutcome | undefined;
  void c.map(req).then((r) => (done = r));
  const outcome = (): MapOutcome | undefined => done;
  await settle(clock, 2490);
  assert.equal(outcome(), undefined);
  await settle(clock, 20);
  assert.deepEqual(outcome(), { ok: false, kind: 'absent', reason: `no PCP answer from ${GW}` });
  assert.deepEqual(
    net.sent.map((s) => s.at),
    [0, 250, 750, 1750],
  );
});

test('pcp client: spoofed sources and wrong nonces are ignored; the real answer wins', async () => {
  const { env, net, clock } = setup();
  let n = 0;
  net.responder = (d) => {
    n++;
    if (n === 1)
      return { reply: pcpReply(d, [6, 6, 6, 6]), from: { ip: '203.0.113.66', port: 5351 } };
    if (n === 2) {
      const bad = pcpReply(d, [6, 6, 6, 6]);
      bad[24] = (bad[24] as number) ^ 0xff; // another request's nonce
      return { reply: bad };
    }
    return { reply: pcpReply(d, EXT) };
  };
  const r = await run(clock, new PcpClient({ env, gateway: GW, clientIp: net.ip }).map(req));
  assert.ok(r.ok && r.mapping.external.ip === '198.51.100.7');
  assert.equal(net.sent.length, 3);
});

test('pcp client: a NAT-PMP-only gateway → absent at once; an error result → refused', async () => {
  const a = setup();
  a.net.responder = (d) => {
    const reply = natpmpReply(d, EXT);
    return reply && { reply };
  };
  const r1 = await run(
    a.clock,
    new PcpClient({ env: a.env, gateway: GW, clientIp: a.net.ip }).map(req),
    100,
  );
  assert.ok(!r1.ok && r1.kind === 'absent' && /version 0/.test(r1.reason));
  const b = setup();
  b.net.responder = (d) => ({ reply: pcpReply(d, EXT, 2) });
  const r2 = await run(
    b.clock,
    new PcpClient({ env: b.env, gateway: GW, clientIp: b.net.ip }).map(req),
    100,
  );
  assert.deepEqual(r2, { ok: false, kind: 'refused', reason: 'NOT_AUTHORIZED' });
});

test('natpmp client: external address, then the mapping; a lost request is retransmitted', async () => {
  const { env, net, clock } = setup();
  let n = 0;
  net.responder = (d) => {
    if (n++ === 0) return undefined; // the first datagram is lost
    const reply = natpmpReply(d, EXT);
    return reply && { reply };
  };
  const c = new NatpmpClient({ env, gateway: GW });
  const r = await run(clock, c.map(req));
  assert.deepEqual(r, {
    ok: true,
    mapping: {
      protocol: 'natpmp',
      internalPort: 40000,
      external: { ip: '198.51.100.7', port: 40000 },
      lifetimeS: 3600,
    },
  });
  assert.deepEqual(
    net.sent.map((s) => [s.at, s.data[1]]),
    [
      [0, 0],
      [250, 0],
      [255, 1],
    ],
  );
  if (!r.ok) return;
  void c.unmap(r.mapping);
  await settle(clock, 50);
  assert.deepEqual([...(net.sent[3]?.data ?? [])], [0, 1, 0, 0, 0x9c, 0x40, 0, 0, 0, 0, 0, 0]);
});

test('natpmp client: silent gateway → absent within the budget; refused mapping → refused', async () => {
  const a = setup();
  const r1 = await run(a.clock, new NatpmpClient({ env: a.env, gateway: GW }).map(req));
  assert.ok(!r1.ok && r1.kind === 'absent');
  const b = setup();
  b.net.responder = (d) => {
    if (d[1] === 0) return { reply: natpmpReply(d, EXT) as Uint8Array };
    return { reply: Uint8Array.from([0, 129, 0, 2, 0, 0, 0, 1, 0x9c, 0x40, 0, 0, 0, 0, 0, 0]) };
  };
  const r2 = await run(b.clock, new NatpmpClient({ env: b.env, gateway: GW }).map(req), 100);
  assert.deepEqual(r2, { ok: false, kind: 'refused', reason: 'NOT_AUTHORIZED' });
});
