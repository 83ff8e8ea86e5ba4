// Remembered paths: a second connect to the same home within the NAT mapping lifetime knocks on
// the path that worked (no spray, no rendezvous assist); a stale path costs one short timeout
// before the normal connect. Prints the second-connect latency against a full connect.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reach, type Reached } from '../../src/client/reach.js';
import { PATHS_FILE, pathMemory } from '../../src/client/remembered.js';
import { RESUME_TIMEOUT_MS } from '../../src/client/resume.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { HOME_ID, RV, roamWorld, type RoamWorld } from '../support/roam-world.js';

function setup(): { w: RoamWorld; dir: string; go: () => Promise<Reached> } {
  const w = roamWorld(PRESETS.port, PRESETS.port);
  const dir = mkdtempSync(join(tmpdir(), 'porthole-paths-'));
  const paths = pathMemory(dir, HOME_ID, () => w.world.clock.wallNow());
  const paired = { identity: w.clientKeys, homeDh: w.homeKeys.dhPublic, paths };
  const go = (): Promise<Reached> =>
    w.settle(reach(w.clientEnv, { home: HOME_ID, rendezvous: RV, keepaliveMs: 0 }, paired));
  return { w, dir, go };
}

function savedPort(dir: string): number | undefined {
  const file = JSON.parse(readFileSync(join(dir, PATHS_FILE), 'utf8')) as {
    homes: Record<string, { localPort: number }>;
  };
  return file.homes[HOME_ID]?.localPort;
}

/** Connect, then one device request over the encrypted channel; total virtual ms. */
async function connectAndGet(w: RoamWorld, go: () => Promise<Reached>): Promise<[Reached, number]> {
  const t0 = w.world.clock.now();
  const r = await go();
  const devices = new DeviceClient(r.channel, w.world.clock, w.world.rng, { keepaliveMs: 0 });
  await w.settle(devices.get('light.kitchen'));
  const ms = w.world.clock.now() - t0;
  devices.close();
  r.channel.close();
  return [r, ms];
}

test('a second connect resumes the remembered path: no spray, no assist', async () => {
  const { w, dir, go } = setup();
  try {
    const [first, fullMs] = await connectAndGet(w, go);
    assert.equal(first.report.resumed, undefined);
    const saved = savedPort(dir);
    assert.equal(saved, first.connection?.local?.port);
    assert.equal(statSync(join(dir, PATHS_FILE)).mode & 0o777, 0o600);
    await w.run(20_000); // the user's next command, well within the mapping lifetime
    const sprays = w.home.stats.sprays;
    const assists = w.rv.stats.assists;
    const [second, resumedMs] = await connectAndGet(w, go);
    assert.equal(second.report.resumed, true);
    assert.equal(second.secure, true);
    assert.equal(w.home.stats.sprays - sprays, 0, 'spray packets');
    assert.equal(w.rv.stats.assists - assists, 0, 'rendezvous assists');
    assert.ok(second.report.packetsSent <= 3);
    const upMs = (r: Reached): number => r.report.ms + (r.report.steps.secure ?? 0);
    console.log(
      `# 40 ms path RTT, connect + Noise handshake (+ one request): full ${upMs(first)} ms` +
        ` (${fullMs} ms), ${first.report.packetsSent} packets, ${first.report.socketsOpened} sockets;` +
        ` remembered path ${upMs(second)} ms (${resumedMs} ms), ${second.report.packetsSent} packet,` +
        ` ${second.report.socketsOpened} socket`,
    );
    // And a third, on the path the second one refreshed.
    const [third] = await connectAndGet(w, go);
    assert.equal(third.report.resumed, true);
  } finally {
    w.close();
  }
});

test('a stale remembered path costs one short timeout, then the full connect runs', async () => {
  const { w, dir, go } = setup();
  try {
    const [, fullMs] = await connectAndGet(w, go);
    // The home moved (say its router rebooted): the remembered address answers nothing.
    pathMemory(dir, HOME_ID, () => w.world.clock.wallNow()).remember({
      localPort: 40000,
      home: '203.0.113.10:9',
    });
    const [r, ms] = await connectAndGet(w, go);
    assert.equal(r.report.resumed, false);
    assert.ok((r.report.steps.resume ?? Infinity) <= RESUME_TIMEOUT_MS);
    assert.ok(ms <= fullMs + RESUME_TIMEOUT_MS + 100, `${ms} vs ${fullMs}`);
    console.log(`# stale remembered path: ${ms} ms (full connect alone ${fullMs} ms)`);
    // The path that worked replaced the stale one.
    const saved = savedPort(dir);
    assert.equal(saved, r.connection?.local?.port);
  } finally {
    w.close();
  }
});
