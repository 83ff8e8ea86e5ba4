// A relay world on the virtual network: a relay host (with a tiny registrar standing in for the
// rendezvous on the same socket), a paired home behind a symmetric NAT that registers with it and
// serves an echo app through HomeRelay + serveChannel, and clients behind symmetric NATs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChannel } from '../../src/home/secure-peers.js';
import { silentLogger, type Env, type SocketAddr } from '../../src/net/types.js';
import type { VirtualHost } from '../../src/net/virtual/host.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';
import type { MessageChannel } from '../../src/net/channel.js';
import {
  openRelayPath,
  type RelayClientPath,
  type RelayOpenResult,
  type RelayTarget,
} from '../../src/relay/client-path.js';
import { HomeRelay } from '../../src/relay/home-relay.js';
import type { RelayLimits } from '../../src/relay/limits.js';
import type { RelayMetrics } from '../../src/ops/metrics.js';
import { UdpRelay } from '../../src/relay/udp-relay.js';
import { clientRelayAuth } from '../../src/secure/client-trust.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { secureClient, type SecureChannel } from '../../src/secure/noise-channel.js';
import { addAuthorized, initState, type State } from '../../src/secure/state.js';
import { sameAddr } from '../../src/wire/addr.js';
import { decode, encode, type Message } from '../../src/wire/messages.js';

export const RELAY: SocketAddr = { ip: '198.51.100.1', port: 7400 };

/** Pairs `client` with the home (writes it to the home's authorized list). */
export function pair(home: State, client: State, name: string): void {
  addAuthorized(home.dir, {
    edPublic: Buffer.from(client.identity.edPublic).toString('base64url'),
    dhPublic: Buffer.from(client.identity.dhPublic).toString('base64url'),
    name,
    addedAt: '',
  });
}

export function relayWorld(limits: Partial<RelayLimits> & { metrics?: RelayMetrics } = {}) {
  const w = new VirtualWorld(7);
  const env = (host: VirtualHost): Env => ({
    net: host,
    clock: w.clock,
    rng: w.rng,
    log: silentLogger,
  });
  let nextSite = 10;
  const behindSymmetric = (): VirtualHost =>
    w.site(
      PRESETS.symmetric,
      { publicIp: `203.0.113.${nextSite}`, hostIp: `10.0.${nextSite++}.2`, innerIps: [] },
      { delayMs: 10, hops: 1 },
    ).host;
  const dir = mkdtempSync(join(tmpdir(), 'porthole-relay-'));
  const homeState = initState(join(dir, 'home'), 'home');

  // The relay, sharing its socket with a stand-in registrar (the rendezvous's keepalive part).
  const registry = new Map<string, SocketAddr>();
  const relayHost = w.site(
    [],
    { publicIp: RELAY.ip, hostIp: RELAY.ip, innerIps: [] },
    { delayMs: 0, hops: 0, onCore: true },
  ).host;
  const relay = new UdpRelay(env(relayHost), {
    listen: { port: RELAY.port },
    lookupHome: (id) => registry.get(id),
    ...limits,
    onOther: (msg, from, _size, sock) => {
      if (msg.type !== 'keepalive') return;
      registry.set(msg.homeId, from);
      sock.send({ type: 'keepaliveAck', tx: msg.tx, observed: from }, from);
    },
  });
  const core = relay.start();

  // The home: one socket to the relay (its keepalive mapping), HomeRelay on it.
  const homeHost = behindSymmetric();
  const homeEp = homeHost.open({ port: 7401 });
  const trust = new HomeTrustStore(homeState);
  const appFrames: string[] = [];
  const homeRelayData = { count: 0 };
  const homeRelay = new HomeRelay({
    send: (m, to) => homeEp.send(encode(m), to),
    isRelay: (from) => sameAddr(from, RELAY),
    authorize: (offer) => trust.authorizeRelay(offer),
    onPath: (path, client) =>
      serveChannel(path, client, trust, (ch: MessageChannel) =>
        ch.onMessage((d) => {
          appFrames.push(Buffer.from(d).toString());
          ch.send(d); // echo
        }),
      ),
  });
  homeEp.onDatagram((d, from) => {
    const r = decode(d);
    if (!r.ok) return;
    if (r.msg.type === 'relayData') homeRelayData.count++;
    homeRelay.handle(r.msg, from);
  });
  const keepalive = (): void => {
    homeEp.send(encode({ type: 'keepalive', tx: 1, homeId: homeState.homeId }), RELAY);
    w.clock.setTimer(25_000, keepalive);
  };
  keepalive();
  w.clock.run(w.clock.now() + 100);

  const run = (ms: number, stop?: () => boolean): void => w.clock.run(w.clock.now() + ms, stop);

  /** A paired (or not) client on its own symmetric NAT. */
  const client = (paired = true) => {
    const st: State = initState(join(dir, `client-${nextSite}`), 'client');
    if (paired) pair(homeState, st, `c${nextSite}`);
    return { state: st, host: behindSymmetric() };
  };

  type Client = ReturnType<typeof client>;

  /**
   * Opens a relayed path and a Noise channel over it; runs the clock until both settle. `early`:
   * the Noise handshake starts at once, its first message riding with the open.
   */
  const connect = (
    c: Client,
    target: RelayTarget = { transport: 'udp', relay: RELAY },
    early = false,
  ) => {
    let opened: RelayOpenResult | undefined;
    let channel: SecureChannel | undefined;
    const got: string[] = [];
    const secure = (path: RelayClientPath): void => {
      channel = secureClient(path, {
        staticKeys: { publicKey: c.state.identity.dhPublic, secretKey: c.state.identity.dhSecret },
        remoteStatic: homeState.identity.dhPublic,
        clock: w.clock,
      });
      channel.onMessage((d) => got.push(Buffer.from(d).toString()));
    };
    const t0 = w.clock.now();
    openRelayPath(
      env(c.host),
      target,
      {
        homeId: homeState.homeId,
        auth: clientRelayAuth(c.state.identity),
        ...(early ? { early: secure } : {}),
      },
      (r) => (opened = r),
    );
    run(8000, () => opened !== undefined);
    if (!opened?.ok) return { opened, channel: undefined, got, readyMs: -1 };
    if (!early) secure(opened.path);
    run(3000, () => channel?.ready === true);
    return {
      opened,
      channel: channel as SecureChannel,
      got,
      path: opened.path,
      readyMs: w.clock.now() - t0,
    };
  };

  return {
    w,
    env,
    run,
    relay,
    core,
    homeState,
    homeRelay,
    homeHost,
    appFrames,
    homeRelayData,
    client,
    connect,
    registry,
    behindSymmetric,
  };
}

/** Encodes a message for injection tests. */
export const bytesOf = (m: Message, pad = 0): Uint8Array => encode(m, pad);
