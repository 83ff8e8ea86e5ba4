// The IPv6 path end to end on the virtual network: dual-stack hosts (v4 behind NAT, v6 behind a
// stateful firewall), a simultaneous knock raced against a stand-in for IPv4 traversal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPortholeError } from '../../src/errors.js';
import { knockAttempt, type KnockWin } from '../../src/net/knock6.js';
import { raceAttempts, type Attempt, type RaceResult } from '../../src/net/race.js';
import type { SocketAddr, UdpEndpoint } from '../../src/net/types.js';
import { DualStackNet, ipv6Site } from '../../src/net/virtual/dual-stack.js';
import type { Firewall6Mode } from '../../src/net/virtual/firewall6.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';
import { decode, encode } from '../../src/wire/messages.js';

const session = '00112233aabbccdd';
const punch = encode({ type: 'punch', session });
const isPunch = (d: Uint8Array): boolean => {
  const r = decode(d);
  return r.ok && r.msg.type === 'punch' && r.msg.session === session;
};
const ISP = { delayMs: 10, hops: 1 };

function world(homeFw: Firewall6Mode) {
  const w = new VirtualWorld(11);
  const side = (pub: string, lan: string, ip6: string, mode: Firewall6Mode) => {
    const v4 = w.site(PRESETS.port, { publicIp: pub, hostIp: lan, innerIps: [] }, ISP);
    const v6 = ipv6Site(w, ip6, ISP, { mode });
    return new DualStackNet(v4.host, v6.host);
  };
  const home = side('203.0.113.5', '192.168.1.2', '2001:db8:1::2', homeFw);
  const client = side('192.0.2.5', '10.0.0.2', '2001:db8:2::2', 'stateful');
  return { w, home, client };
}

/** A stand-in for IPv4 traversal that succeeds `ms` after it starts. */
function v4After(w: VirtualWorld, ms: number): Attempt<KnockWin> & { cancelled: boolean } {
  let timer: { cancel(): void } | undefined;
  const a = {
    cancelled: false,
    start(done: (o: { ok: true; value: KnockWin }) => void) {
      timer = w.clock.setTimer(ms, () =>
        done({ ok: true, value: { peer: { ip: '203.0.113.5', port: 1 }, sent: 0, elapsedMs: ms } }),
      );
    },
    cancel() {
      a.cancelled = true;
      timer?.cancel();
    },
  };
  return a;
}

function run(homeFw: Firewall6Mode) {
  const { w, home, client } = world(homeFw);
  const hs: UdpEndpoint = home.open({ ip: '2001:db8:1::2', port: 7000 });
  const cs: UdpEndpoint = client.open({ ip: '2001:db8:2::2', port: 7001 });
  const at = (s: UdpEndpoint): SocketAddr => s.localAddress() as SocketAddr;
  const results: RaceResult<KnockWin>[] = [];
  const v4 = v4After(w, 300);
  // The client starts on `ready`; the home hears `peerInfo` about 15 ms later.
  raceAttempts(
    w.clock,
    knockAttempt(w.clock, cs, at(hs), { payload: punch, accept: isPunch }),
    v4,
    { timeoutMs: 5_000 },
    (r) => results.push(r),
  );
  const homeSide: Array<{ ok: boolean }> = [];
  w.clock.setTimer(15, () =>
    knockAttempt(w.clock, hs, at(cs), { payload: punch, accept: isPunch }).start((o) =>
      homeSide.push(o),
    ),
  );
  w.clock.run(10_000);
  return { w, results, homeSide, v4 };
}

test('ipv6 path: dual-stack pair — the knock wins before IPv4 even starts', (t) => {
  const { results, homeSide, v4, w } = run('stateful');
  const r = results[0];
  assert.ok(r?.ok, JSON.stringify(r));
  t.diagnostic(
    `ipv6 won after ${r.elapsedMs} virtual ms, client sent ${r.ok ? r.value.sent : '-'}`,
  );
  assert.equal(r.winner, 'primary');
  assert.ok(r.value.sent <= 3, `client sent ${r.value.sent}`);
  assert.ok(r.elapsedMs < 250, `${r.elapsedMs} ms`);
  assert.deepEqual(
    homeSide.map((o) => o.ok),
    [true],
  );
  assert.equal(v4.cancelled, false, 'the fallback never started, so nothing to cancel');
  assert.equal(w.drops.byReason.get('v6-firewall-unsolicited') ?? 0, 0);
});

test('ipv6 path: a firewall that drops all IPv6 — IPv4 wins after the head start', () => {
  const { results, homeSide, w } = run('blocked');
  const r = results[0];
  assert.ok(r?.ok);
  assert.equal(r.winner, 'fallback');
  assert.equal(r.elapsedMs, 550);
  assert.ok((w.drops.byReason.get('v6-firewall-blocked') ?? 0) > 0);
  assert.equal(homeSide.length, 1);
  assert.ok(homeSide[0] && !homeSide[0].ok);
});

test('ipv6 path: the knock alone fails with a typed error when nobody answers', () => {
  const w = new VirtualWorld(5);
  const h = ipv6Site(w, '2001:db8:1::2', ISP).host;
  const s = h.open({ port: 7000 });
  const out: unknown[] = [];
  knockAttempt(
    w.clock,
    s,
    { ip: '2001:db8:9::9', port: 1 },
    {
      payload: punch,
      accept: isPunch,
      maxPackets: 4,
    },
  ).start((o) => out.push(o));
  w.clock.run(10_000);
  const o = out[0] as { ok: false; error: unknown };
  assert.equal(out.length, 1);
  assert.ok(isPortholeError(o.error, 'knock-unanswered'));
  assert.equal(o.error.detail.sent, 4);
});

test('ipv6 path: a v4-only dual-stack net refuses an IPv6 bind through the usual error path', () => {
  const w = new VirtualWorld(5);
  const v4 = w.site([], { publicIp: '203.0.113.9', hostIp: '203.0.113.9', innerIps: [] }, ISP);
  const net = new DualStackNet(v4.host, null);
  const s = net.open({ ip: '2001:db8:1::2', port: 7000 });
  const errors: Error[] = [];
  s.onError((e) => errors.push(e));
  w.clock.run(10);
  assert.equal(s.closed, true);
  assert.match(errors[0]?.message ?? '', /EADDRNOTAVAIL/);
  assert.equal(net.open().localAddress()?.ip, '203.0.113.9');
});
