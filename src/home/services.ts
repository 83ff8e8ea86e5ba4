// The home's side of forwarded services (issue 19, docs/streams.md): each paired client's channel
// gets a stream endpoint (made on its first stream frame, so a client that never forwards costs
// nothing), which answers from services.json in the state dir. Access is decided per client
// fingerprint; a refused client gets the reason and nothing is opened. The file and the paired
// list are re-checked every second: a removed service or a revoked client loses its open streams
// at once.
import { readFileSync } from 'node:fs';
import { createConnection, isIPv4 } from 'node:net';
import type { MessageChannel } from '../net/channel.js';
import type { Clock, Logger, TimerHandle } from '../net/types.js';
import { fingerprint } from '../secure/keys.js';
import { AuthorizedCache } from '../secure/state.js';
import { HomeStreams, type DirectRoute, type StreamVerdict } from '../streams/mux.js';
import {
  allows,
  clientSourceAddress,
  haTrustsLoopback,
  loadServices,
  servicesStamp,
  type Service,
} from '../streams/services.js';

const CHECK_MS = 1000;
const IDLE_MS = 120_000;
/** Frames held while a client's stream endpoint binds its loopback sockets. */
const MAX_EARLY_FRAMES = 64;

interface Attached {
  /** The client's fingerprint, or undefined in open mode (nothing is served then). */
  fp: string | undefined;
  dh: Uint8Array | undefined;
  streams: HomeStreams | undefined;
  /** clock ms of its last stream frame: an endpoint idle with no stream is let go. */
  heard: number;
}

export class HomeServices {
  private services: Service[] = [];
  private stamp = '';
  private readonly clients = new Set<Attached>();
  private readonly authorized: AuthorizedCache | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly stateDir: string | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.authorized = stateDir ? new AuthorizedCache(stateDir) : undefined;
    this.reload();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimer(CHECK_MS, () => {
      this.check();
      this.schedule();
    });
  }

  private reload(): boolean {
    if (!this.stateDir) return false;
    const m = servicesStamp(this.stateDir);
    if (m === this.stamp) return false;
    try {
      const f = loadServices(this.stateDir);
      this.services = f.services;
      this.stamp = m;
      this.warnHa(f.haConfig);
      return true;
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message },
        'services file unreadable: keeping the last one',
      );
      this.stamp = m;
      return false;
    }
  }

  /**
   * Home Assistant's configuration.yaml (`home serve --ha-config`): a trusted_networks entry that
   * covers 127.x lets every forwarded client (it connects from 127.0.0.10-249) in without a
   * password. Said in the home's log each time the services file is read, as `home serve` does.
   */
  private warnHa(path: string | undefined): void {
    if (!path) return;
    let hit: string | undefined;
    try {
      hit = haTrustsLoopback(readFileSync(path, 'utf8'));
    } catch (e) {
      this.log.warn(
        { haConfig: path, err: (e as Error).message },
        'cannot read Home Assistant config',
      );
      return;
    }
    if (hit)
      this.log.warn(
        { haConfig: path, trusted: hit },
        'Home Assistant trusts this network: forwarded clients (127.0.0.10-249) log in without a password',
      );
  }

  /** Re-reads the file and the paired list; closes what is no longer allowed. */
  check(): void {
    const changed = this.reload();
    const now = this.clock.now();
    for (const c of this.clients) {
      if (!c.streams) continue;
      // The channel has no close signal here: an endpoint with no stream, unheard for a while,
      // is closed (its loopback sockets freed) and made again by the client's next stream frame.
      if (c.streams.openStreams === 0 && now - c.heard > IDLE_MS) {
        c.streams.close();
        c.streams = undefined;
        this.clients.delete(c);
        continue;
      }
      if (c.dh && !this.authorized?.byDhKey(c.dh)) {
        c.streams.closeWhere(() => true, 'this client was revoked');
        continue;
      }
      if (!changed) continue;
      const n = c.streams.closeWhere(
        (name) => !this.allowedFor(c.fp).some((s) => s.name === name),
        'the service was removed or this client is no longer allowed',
      );
      if (n > 0) this.log.info({ client: c.fp, closed: n }, 'services changed: streams closed');
    }
  }

  // A client's question reads the file first (one stat when unchanged): `home serve` followed at
  // once by `client forward` must not meet the list of a second ago.
  private allowedFor(fp: string | undefined): Service[] {
    this.check();
    return fp ? this.services.filter((s) => allows(s, fp)) : [];
  }

  private verdict(fp: string | undefined, name: string): StreamVerdict {
    if (!fp) return { ok: false, reason: 'services need a paired client (the home runs open)' };
    this.check();
    const s = this.services.find((x) => x.name === name);
    if (!s) return { ok: false, reason: `the home has no service ${name}` };
    if (!allows(s, fp))
      return { ok: false, reason: `service ${name} does not allow this client (${fp})` };
    // A loopback service sees each client from its own address (docs/streams.md).
    const local = s.host.startsWith('127.') ? clientSourceAddress(fp) : undefined;
    return {
      ok: true,
      connect: () =>
        createConnection({
          host: s.host,
          port: s.port,
          allowHalfOpen: true,
          ...(local && isIPv4(s.host) ? { localAddress: local } : {}),
        }),
    };
  }

  /** The stream side of one client's channel (`dh`: its Noise static key; none in open mode). */
  attach(
    channel: MessageChannel,
    dh: Uint8Array | undefined,
    route?: () => DirectRoute | undefined,
  ): void {
    const paired = dh ? this.authorized?.byDhKey(dh) : undefined;
    const fp = paired ? fingerprint(Buffer.from(paired.edPublic, 'base64url')) : undefined;
    const c: Attached = { fp, dh, streams: undefined, heard: this.clock.now() };
    const early: Uint8Array[] = [];
    let deliver: ((d: Uint8Array) => void) | undefined;
    const inner: MessageChannel = {
      send: (d) => channel.send(d),
      onMessage: (cb) => (deliver = cb),
      close: () => channel.close(),
    };
    channel.onMessage((d) => {
      if (this.closed) return;
      c.heard = this.clock.now();
      if (!c.streams) {
        this.clients.add(c);
        c.streams = new HomeStreams({
          channel: inner,
          clock: this.clock,
          ...(route ? { route } : {}),
          names: () => this.allowedFor(c.fp).map((s) => s.name),
          accept: (name) => this.verdict(c.fp, name),
          onStreamEnd: (name, t) =>
            this.log.debug({ client: fp, service: name, ...t }, 'stream ended'),
        });
        void c.streams.ready.then(
          () => early.splice(0).forEach((f) => deliver?.(f)),
          (e: Error) => this.log.warn({ err: e.message }, 'stream endpoint failed'),
        );
      }
      if (early.length > 0 || !c.streams.isReady) {
        if (early.length < MAX_EARLY_FRAMES) early.push(d);
        return;
      }
      deliver?.(d);
    });
  }

  get openStreams(): number {
    let n = 0;
    for (const c of this.clients) n += c.streams?.openStreams ?? 0;
    return n;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    for (const c of this.clients) c.streams?.close();
    this.clients.clear();
  }
}
