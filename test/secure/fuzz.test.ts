// 100,000+ hostile datagrams per role on the virtual network (random bytes, truncations, bit
// flips, replays of valid messages, spoofed sources — the rendezvous's own address included),
// then each role still serves a normal paired, encrypted connect.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type ConnectResult } from '../../src/client/connector.js';
import { HomeAgent } from '../../src/home/agent.js';
import { serveApp } from '../../src/home/secure-peers.js';
import { silentLogger, type Env, type SocketAddr } from '../../src/net/types.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';
import type { VirtualHost } from '../../src/net/virtual/host.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import { assistAuth } from '../../src/secure/auth.js';
import { clientTrust } from '../../src/secure/client-trust.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { generateIdentity } from '../../src/secure/keys.js';
import { secureClient, type SecureChannel } from '../../src/secure/noise-channel.js';
import { addAuthorized, initState } from '../../src/secure/state.js';
import { encode, type Message } from '../../src/wire/messages.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const PER_ROLE = 100_000;
const RV: SocketAddr = { ip: '198.51.100.1', port: 7400 };

function world() {
  // Real signatures carry real time: the virtual wall clock starts now.
  const w = new VirtualWorld(99, undefined, Date.now());
  const at = (ip: string): VirtualHost =>
    w.site([], { publicIp: ip, hostIp: ip, innerIps: [] }, { delayMs: 5, hops: 1 }).host;
  const env = (host: VirtualHost): Env => ({
    net: host,
    clock: w.clock,
    rng: w.rng,
    log: silentLogger,
  });
  const dir = mkdtempSync(join(tmpdir(), 'porthole-fuzz-'));
  const homeState = initState(join(dir, 'home'), 'home');
  const client = initState(join(dir, 'client'), 'client');
  addAuthorized(homeState.dir, {
    edPublic: Buffer.from(client.identity.edPublic).toString('base64url'),
    dhPublic: Buffer.from(client.identity.dhPublic).toString('base64url'),
    name: 'phone',
    addedAt: '',
  });
  const rvHost = w.site(
    [],
    { publicIp: RV.ip, hostIp: RV.ip, innerIps: [] },
    { delayMs: 0, hops: 0, onCore: true },
  ).host;
  const rv = new RendezvousServer(env(rvHost), { listen: { port: RV.port } });
  rv.start();
  const homeHost = at('203.0.113.10');
  const trust = new HomeTrustStore(homeState);
  const home = new HomeAgent(env(homeHost), {
    id: homeState.homeId,
    rendezvous: RV,
    listen: { port: 7401 },
    trust,
  });
  serveApp(home, trust, (ch) => ch.onMessage((d) => ch.send(d)));
  home.start();
  const clientHost = at('192.0.2.20');
  w.clock.run(w.clock.now() + 3000);
  return { w, env, rv, home, homeHost, rvHost, clientHost, homeState, client };
}

type World = ReturnType<typeof world>;

/** A normal paired connect, run to completion on the virtual clock. */
function pairedConnect(x: World): ConnectResult | undefined {
  let result: ConnectResult | undefined;
  connect(
    x.env(x.clientHost),
    {
      home: x.homeState.homeId,
      rendezvous: RV,
      sockets: 10,
      trust: clientTrust(x.client.identity),
      keepaliveMs: 0,
    },
    (r) => (result = r),
  );
  x.w.clock.run(x.w.clock.now() + 20_000, () => result !== undefined);
  return result;
}

/** A paired connect plus an encrypted echo. */
function pairedEcho(x: World): { connected: boolean; echoed: boolean } {
  const result = pairedConnect(x);
  if (!result?.ok) return { connected: false, echoed: false };
  let echoed = false;
  const ch: SecureChannel = secureClient(result.connection, {
    staticKeys: { publicKey: x.client.identity.dhPublic, secretKey: x.client.identity.dhSecret },
    remoteStatic: x.homeState.identity.dhPublic,
    clock: x.w.clock,
  });
  ch.onMessage(() => (echoed = true));
  ch.onReady(() => ch.send(Buffer.from('ping')));
  x.w.clock.run(x.w.clock.now() + 5000, () => echoed);
  ch.close();
  return { connected: true, echoed };
}

function valid(x: World, rng: SeqRandom): Message[] {
  const session = Buffer.from(rng.bytes(8)).toString('hex');
  const addr = { ip: `203.0.113.${rng.int(250)}`, port: 1 + rng.int(65535) };
  const forged = assistAuth(generateIdentity(), {
    homeId: x.homeState.homeId,
    session,
    client: addr,
    now: Date.now(),
  });
  return [
    { type: 'register', tx: rng.int(1e9), homeId: x.homeState.homeId, locals: [], auth: forged },
    {
      type: 'register',
      tx: rng.int(1e9),
      homeId: 'open-home',
      locals: [addr],
      auth: new Uint8Array(0),
    },
    { type: 'keepalive', tx: rng.int(1e9), homeId: x.homeState.homeId },
    {
      type: 'assist',
      mode: 'patent',
      tx: rng.int(1e9),
      homeId: x.homeState.homeId,
      session,
      auth: forged,
    },
    { type: 'peerInfo', mode: 'patent', tx: rng.int(1e9), session, client: addr, auth: forged },
    { type: 'sprayDone', tx: rng.int(1e9), session, sprayed: 501 },
    { type: 'refuse', tx: 1, session, code: 4, message: 'x' },
    { type: 'ready', mode: 'patent', tx: 1, session, home: addr, locals: [] },
    { type: 'probe', tx: rng.int(1e9), homeId: x.homeState.homeId, session },
    { type: 'data', payload: rng.bytes(rng.int(200)) },
    { type: 'data', payload: new Uint8Array([1, ...rng.bytes(60)]) }, // looks like Noise message 1
    { type: 'observe', tx: 1 },
    { type: 'hopProbe', tx: 1, ttl: 3 },
  ];
}

function hostile(x: World, rng: SeqRandom, templates: Message[], i: number): Uint8Array {
  switch (i % 4) {
    case 0:
      return rng.bytes(rng.int(1400));
    case 1: {
      const b = encode(templates[rng.int(templates.length)]!);
      return b.subarray(0, rng.int(b.length));
    }
    case 2: {
      const b = encode(templates[rng.int(templates.length)]!).slice();
      flipBits(rng, b, 1 + rng.int(4));
      return b;
    }
    default:
      return encode(templates[rng.int(templates.length)]!); // replayed / forged but well-formed
  }
}

function spoofedSource(rng: SeqRandom, i: number): SocketAddr {
  if (i % 7 === 0) return RV; // pretend to be the rendezvous
  return {
    ip: `${1 + rng.int(223)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}`,
    port: 1 + rng.int(65535),
  };
}

test(
  `every role survives ${PER_ROLE.toLocaleString('en')} hostile datagrams and then serves a paired connect`,
  { timeout: 240_000 },
  () => {
    const x = world();
    assert.deepEqual(pairedEcho(x), { connected: true, echoed: true }, 'baseline');
    const heapBefore = process.memoryUsage().heapUsed;
    const rng = new SeqRandom(7);
    // The client's live connection socket is a target too.
    const live = pairedConnect(x);
    assert.ok(live?.ok);
    const clientSock = live.connection.local!;
    const sprays = x.home.stats.sprays;
    const targets: Array<[VirtualHost, SocketAddr]> = [
      [x.rvHost, RV],
      [x.homeHost, { ip: '203.0.113.10', port: 7401 }],
      [x.clientHost, clientSock],
    ];
    let templates = valid(x, rng);
    for (const [host, dst] of targets) {
      for (let i = 0; i < PER_ROLE; i++) {
        if (i % 1000 === 0) templates = valid(x, rng); // fresh forged signatures now and then
        host.fromOutside({
          src: spoofedSource(rng, i),
          dst,
          ttl: 64,
          data: hostile(x, rng, templates, i),
        });
        if (i % 5000 === 0) x.w.clock.run(x.w.clock.now() + 50);
      }
      x.w.clock.run(x.w.clock.now() + 1000);
    }
    live.connection.close();
    // Nothing forged made the home spray; memory stayed bounded; drops were counted.
    assert.equal(x.home.stats.sprays, sprays);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(heapGrowthMb < 150, `heap grew ${heapGrowthMb.toFixed(0)} MB`);
    assert.ok(x.rv.stats.sessions <= 10_000 && x.home.stats.peers <= 256);
    const rvDrops = Object.values(x.rv.stats.dropped).reduce((a, b) => a + b, 0);
    const homeDrops = Object.values(x.home.stats.dropped).reduce((a, b) => a + b, 0);
    assert.ok(
      rvDrops > PER_ROLE / 2 && homeDrops > PER_ROLE / 2,
      `drops counted: rv ${rvDrops}, home ${homeDrops}`,
    );
    // Still serving.
    x.w.clock.run(x.w.clock.now() + 60_000); // let rate limits refill and sessions expire
    assert.deepEqual(pairedEcho(x), { connected: true, echoed: true }, 'after the fuzz');
  },
);
