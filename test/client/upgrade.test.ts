// Relayed → direct and back on one Noise session (issue 10), real sockets on loopback: a paired
// client starts relayed (`first`), moves onto the direct path found in the background, and falls
// back onto a fresh relayed session when the direct path dies; the home's echo app sees every
// message once, the client gets every echo once, and no new handshake happens.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import type { ConnectionPath } from '../../src/client/connection-path.js';
import type { ConnectOptions } from '../../src/client/connector.js';
import { closeReached, reach, type Reached } from '../../src/client/reach.js';
import type { RelayChoice } from '../../src/client/relay-choice.js';
import { encode } from '../../src/wire/messages.js';
import { LOOPBACK } from '../support/local-stack.js';
import { startTrustStack, type TrustStack } from '../support/trust-stack.js';

async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Sends `n` numbered messages, one every `gapMs`; returns the echoes counted per number. */
async function stream(r: Reached, from: number, n: number, gapMs: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    r.channel.send(Buffer.from(String(i)));
    await sleep(gapMs);
  }
}

/** A fresh client paired with the stack's home, reaching it with `relay` (and extra options). */
async function pairedReach(
  t: TrustStack,
  relay: RelayChoice,
  extra: Partial<ConnectOptions> = {},
): Promise<Reached> {
  const client = t.newClient();
  await t.pair(client);
  return reach(
    t.env,
    {
      home: t.home.homeId,
      rendezvous: t.stack.rvAddr,
      bindIp: LOOPBACK.client,
      sockets: 20,
      ...extra,
    },
    { identity: client.identity, homeDh: t.home.identity.dhPublic },
    relay,
  );
}

/** Runs `fn` on a fresh loopback trust stack, closed afterwards whatever happens. */
async function onStack(fn: (t: TrustStack) => Promise<void>): Promise<void> {
  const t = await startTrustStack();
  try {
    await fn(t);
  } finally {
    t.close();
  }
}

async function relayedFirst(t: TrustStack): Promise<{ r: Reached; echoes: Map<number, number> }> {
  const r = await pairedReach(
    t,
    {
      mode: 'first',
      transport: 'udp',
      upgrade: { lingerMs: 300, probeEveryMs: 50, probeTimeoutMs: 100, untrustedMs: 200 },
    },
    { keepaliveMs: 300 },
  );
  const echoes = new Map<number, number>();
  r.channel.onMessage((d) => {
    const i = Number(Buffer.from(d).toString());
    echoes.set(i, (echoes.get(i) ?? 0) + 1);
  });
  return { r, echoes };
}

const once = (echoes: Map<number, number>): boolean => [...echoes.values()].every((n) => n === 1);

test('a relayed session moves onto the direct path and back, every message once', () =>
  onStack(async (t) => {
    const { r, echoes } = await relayedFirst(t);
    assert.equal(r.report.path, 'relayed');
    const changes: string[] = [];
    r.paths!.onChange((c) => changes.push(`${c.kind}:${c.reason}`));
    const relayLive = (): number => t.stack.rv.stats.relay?.sessions ?? -1;

    // Upgrade while messages flow.
    const sending = stream(r, 0, 60, 10);
    await until('the upgrade', () => r.paths!.path.kind !== 'relayed');
    await sending;
    await until('all 60 echoes', () => echoes.size === 60);
    assert.ok(once(echoes), 'each echo exactly once');
    assert.match(changes[0]!, /^(punched|direct):upgrade$/);
    assert.equal(r.upgrade?.stats.upgrades, 1);
    await until('the relayed session closed after the overlap', () => relayLive() === 0);

    // The direct path dies (as seen from the client: nothing goes out, no ping answered).
    const direct = r.paths!.path as ConnectionPath;
    direct.connection.send = () => {};
    direct.connection.ping = (_ms, cb) => cb(undefined);
    await until('the fall-back', () => r.paths!.path.kind === 'relayed');
    assert.match(changes[1]!, /^relayed:direct path lost/);
    assert.equal(r.upgrade?.stats.fallbacks, 1);
    await stream(r, 60, 20, 10);
    await until('all 80 echoes', () => echoes.size === 80);
    assert.ok(once(echoes), 'each echo exactly once after the fall-back');
    closeReached(r);
  }));

test('auto: a traversal that wins the head start race never opens the relay', () =>
  onStack(async (t) => {
    const r = await pairedReach(t, { mode: 'auto', transport: 'udp' });
    assert.notEqual(r.report.path, 'relayed');
    // Its upgrader only watches the direct path (to fall back in place should it die).
    assert.equal(r.upgrade?.phase, 'direct');
    assert.equal(r.upgrade?.stats.attempts, 0);
    assert.equal(t.stack.rv.stats.relay?.opened.udp, 0);
    closeReached(r);
  }));

test('a forged frame from a stranger does not move a relayed session', () =>
  onStack(async (t) => {
    const stranger = createSocket('udp4');
    try {
      const r = await pairedReach(t, { mode: 'only', transport: 'udp' });
      const echoes: string[] = [];
      r.channel.onMessage((d) => echoes.push(Buffer.from(d).toString()));
      await new Promise<void>((res) => stranger.bind(0, LOOPBACK.client, res));
      // Shaped like a Noise transport frame (type 3, a high counter), not sealed by the session.
      const forged = Buffer.concat([Buffer.from([3, 0xff, 0xff, 0xff, 0x00]), randomBytes(40)]);
      const wire = encode({ type: 'data', payload: forged });
      for (let i = 0; i < 20; i++) stranger.send(wire, t.stack.homeAddr.port, t.stack.homeAddr.ip);
      await sleep(200);
      r.channel.send(Buffer.from('still here'));
      await until('the echo over the relay', () => echoes.includes('still here'));
      assert.ok((t.stack.home.stats.dropped['data-from-stranger'] ?? 0) >= 1);
      closeReached(r);
    } finally {
      stranger.close();
    }
  }));

test('auto: a slow traversal loses the head-start race to the relay, then becomes the upgrade', () =>
  onStack(async (t) => {
    // Step 1 towards an address where nothing answers: the traversal takes 400 ms more.
    const r = await pairedReach(
      t,
      { mode: 'auto', transport: 'udp', headStartMs: 50 },
      { direct: { ip: '127.0.0.9', port: 9 }, directTimeoutMs: 400 },
    );
    assert.equal(r.report.path, 'relayed');
    assert.equal(r.report.steps.headStart, 50);
    await until('the upgrade', () => r.paths!.path.kind !== 'relayed');
    assert.equal(r.upgrade?.stats.attempts, 1, 'the race traversal was the first attempt');
    const echoes: string[] = [];
    r.channel.onMessage((d) => echoes.push(Buffer.from(d).toString()));
    r.channel.send(Buffer.from('after'));
    await until('the echo', () => echoes.includes('after'));
    closeReached(r);
  }));
