// One owner of a direct path's liveness (issue 21), on a fake clock: the upgrader reads keepalive
// outcomes and request suspicions, probes a suspect path while a relayed session is readied beside
// it, keeps the path (and closes the readied relay) when a probe comes back, falls back onto the
// readied relay when none does within `untrustedMs`, and reports the path lost when there is no
// relay to fall back on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionPath } from '../../src/client/connection-path.js';
import type { Connection } from '../../src/client/connection.js';
import { PathSwitch } from '../../src/client/path-switch.js';
import { Upgrader, type UpgradeSources } from '../../src/client/upgrade.js';
import type { Path } from '../../src/net/path.js';
import { silentLogger, type Env } from '../../src/net/types.js';
import type { SecureChannel } from '../../src/secure/noise-channel.js';
import { FakeClock, SeqRandom } from '../support/fakes.js';

/** A direct path whose probes the test answers (or not), and whose keepalives it fires. */
function directPath(clock: FakeClock) {
  const keepalives: ((rtt: number | undefined) => void)[] = [];
  const closeCbs: ((r: string) => void)[] = [];
  const state = { answers: true, probes: 0, killed: '' };
  const p: ConnectionPath = {
    kind: 'punched',
    remote: '198.51.100.7:40001',
    maxPayload: 1024,
    connection: {} as Connection,
    send: () => {},
    onMessage: () => {},
    onRoamCandidate: () => {},
    onKeepalive: (cb) => void keepalives.push(cb),
    ping: (ms, cb) => {
      state.probes++;
      if (state.answers) clock.setTimer(5, () => cb(5));
      else clock.setTimer(ms, () => cb(undefined));
    },
    onClose: (cb) => void closeCbs.push(cb),
    close: () => closeCbs.splice(0).forEach((cb) => cb('closed')),
    kill: (why) => {
      state.killed = why;
      closeCbs.splice(0).forEach((cb) => cb(why));
    },
  };
  return { p, state, keepalive: (rtt: number | undefined) => keepalives.forEach((cb) => cb(rtt)) };
}

/** A relayed path on which the home follows: anything sent down it is answered 10 ms later. */
function relayedPath(clock: FakeClock) {
  const msgCbs: ((d: Uint8Array) => void)[] = [];
  const state = { closed: false, sent: 0 };
  const p: Path = {
    kind: 'relayed',
    remote: 'relay udp 198.51.100.1:7400',
    maxPayload: 1024,
    send: () => {
      state.sent++;
      clock.setTimer(10, () => msgCbs.forEach((cb) => cb(new Uint8Array([1]))));
    },
    onMessage: (cb) => void msgCbs.push(cb),
    onClose: () => {},
    close: () => void (state.closed = true),
  };
  return { p, state };
}

function setup(withRelay = true) {
  const clock = new FakeClock();
  const env = { clock, rng: new SeqRandom(1), log: silentLogger } as unknown as Env;
  const d = directPath(clock);
  const sw = new PathSwitch(d.p, clock);
  const secure = { nudge: () => sw.send(new Uint8Array(0)) } as unknown as SecureChannel;
  const relays: ReturnType<typeof relayedPath>[] = [];
  const src: UpgradeSources = {
    traverse: () => new Promise(() => {}), // the next attempt never finishes here
    ...(withRelay
      ? {
          relay: () => {
            const r = relayedPath(clock);
            relays.push(r);
            return Promise.resolve(r.p);
          },
        }
      : {}),
  };
  const up = new Upgrader(env, sw, secure, src).startDirect(d.p);
  const changes: string[] = [];
  sw.onChange((c) => changes.push(`${c.kind}: ${c.reason}`));
  const lost: string[] = [];
  sw.onLost((_p, why) => lost.push(why));
  /** Fake time in small steps, with promise callbacks in between. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5) {
      clock.advance(5);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, d, sw, up, relays, changes, lost, run };
}

test('a keepalive answered: its RTT is read, nothing else happens', async () => {
  const s = setup();
  s.d.keepalive(12.5);
  await s.run(2000);
  assert.equal(s.up.rttMs, 12.5);
  assert.equal(s.up.stats.suspicions, 0);
  assert.equal(s.d.state.probes, 0, 'no timer of its own');
  assert.equal(s.relays.length, 0);
});

test('a suspicion the path answers (a slow home, not a dead path): stays direct, readied relay closed', async () => {
  const s = setup();
  s.up.suspect();
  s.up.suspect(); // one suspicion at a time
  await s.run(2000);
  assert.equal(s.up.stats.suspicions, 1);
  assert.equal(s.up.stats.cleared, 1);
  assert.equal(s.up.stats.fallbacks, 0);
  assert.equal(s.sw.path.kind, 'punched');
  assert.equal(s.relays.length, 1, 'a relay was readied beside the probes');
  assert.ok(s.relays[0]!.state.closed, 'and closed when the path answered');
  assert.equal(s.relays[0]!.state.sent, 0, 'never used');
  // Another suspicion moments later (the home is slow again): probed, no relay readied.
  s.up.suspect();
  await s.run(1000);
  assert.equal(s.up.stats.cleared, 2);
  assert.equal(s.relays.length, 1);
});

test('a missed keepalive and no probe answered within 600 ms: falls back onto the readied relay', async () => {
  const s = setup();
  s.d.state.answers = false;
  s.d.keepalive(undefined);
  await s.run(595);
  assert.equal(s.sw.path.kind, 'punched', 'still trusted before untrustedMs');
  assert.ok(s.d.state.probes >= 4, `probed every 150 ms (${s.d.state.probes})`);
  await s.run(100);
  assert.equal(s.sw.path.kind, 'relayed');
  assert.equal(s.relays.length, 1, 'the readied relay, not a second one');
  assert.match(s.changes[0] ?? '', /^relayed: direct path lost \(a keepalive went unanswered/);
  assert.equal(s.up.stats.fallbacks, 1);
  assert.deepEqual(s.lost, [], 'not lost: the owner does not reconnect');
  assert.equal(s.up.phase, 'trying', 'looking for a direct path again at once');
  assert.equal(s.up.stats.attempts, 1);
});

test('no relay to fall back on: the path is reported lost (the owner reconnects)', async () => {
  const s = setup(false);
  s.d.state.answers = false;
  s.up.suspect();
  await s.run(1000);
  assert.equal(s.lost.length, 1);
  assert.match(s.lost[0]!, /a request went unanswered; no answer to probes for 600 ms/);
});

test('on a TCP relay because UDP was blocked: UDP re-checked at 15 s, 30 s; back onto a UDP relayed path when it answers', async () => {
  const clock = new FakeClock();
  const env = { clock, rng: new SeqRandom(1), log: silentLogger } as unknown as Env;
  const tcp = relayedPath(clock);
  (tcp.p as { remote: string }).remote = 'relay tcp 198.51.100.1:7400';
  const sw = new PathSwitch(tcp.p, clock);
  const secure = { nudge: () => sw.send(new Uint8Array(0)) } as unknown as SecureChannel;
  const probes: number[] = [];
  let udpWorks = false;
  let moved = 0;
  let traversals = 0;
  const udp = relayedPath(clock);
  const up = new Upgrader(env, sw, secure, {
    traverse: () => {
      traversals++;
      return new Promise(() => {});
    },
    udpBack: {
      probe: () => {
        probes.push(clock.now());
        return Promise.resolve(udpWorks);
      },
      relay: () => Promise.resolve(udp.p),
      moved: () => void moved++,
      traverse: true,
    },
  }).startUdpBack();
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
  };
  await run(20_000);
  assert.deepEqual(probes, [15_000], 'first re-check at 15 s');
  assert.equal(sw.path.remote, 'relay tcp 198.51.100.1:7400');
  udpWorks = true;
  await run(26_000); // the next re-check at 15 + 30 s
  assert.deepEqual(probes, [15_000, 45_000]);
  assert.equal(sw.path.remote, 'relay udp 198.51.100.1:7400', 'moved onto UDP');
  assert.equal(moved, 1);
  assert.equal(traversals, 1, 'then looks for a direct path');
  await run(3000);
  assert.ok(tcp.state.closed, 'the TCP path dropped after its linger');
  up.stop();
  await run(200_000);
  assert.equal(probes.length, 2, 'no re-check once back (or stopped)');
});
