// Keeps one home connected for the client agent: connect, reconnect with backoff and jitter when
// the session is lost. A link whose liveness is owned below (the path switch's upgrader: a paired
// home's session, issue 21) is never pinged here: it says when it is lost. Other links (open
// homes) are watched with pings sized to real NAT timeouts, so a dead path is noticed in bounded time.
// Time and randomness come from the Env (the simulator can drive it); the connect itself is
// injected, so the keeper does not care whether the path is punched, direct or relayed.
import type { Clock, Random, SocketAddr, TimerHandle, UdpEndpoint } from '../../net/types.js';
import type { MessageChannel } from '../../net/channel.js';
import type { HomeConnState, HomeStatus } from './control-wire.js';

/** What one successful connect gives the keeper. */
export interface KeptLink {
  /** Where application messages go (the Noise channel in secure mode). */
  channel: MessageChannel;
  /** Round trip on the path (a probe below the channel); undefined on timeout. */
  ping(timeoutMs: number, cb: (rttMs: number | undefined) => void): void;
  close(): void;
  path: string;
  remote: string;
  /** The live channel moved to another path (a relayed session upgraded, or fell back). */
  onMoved?(cb: (path: string, remote: string) => void): void;
  /**
   * Present when the session's liveness is owned below the keeper (the path switch's upgrader,
   * issue 21): the keeper then never pings; it reconnects when this says the session is lost (a
   * dead direct path with no relay to fall back on, or the relay failed too).
   */
  onLost?(cb: (reason: string) => void): void;
  /** A request went unanswered: the liveness owner probes the path now. */
  suspect?(): void;
  /** The owner's last round trip on the path, ms. */
  rttMs?(): number | undefined;
  /** The punched path now, if the session runs on one: its socket and the home's address. */
  route?(): { ep: UdpEndpoint; peer: SocketAddr } | undefined;
}

export interface KeeperConfig {
  /**
   * Ping period on an idle path. Linux conntrack forgets an unanswered UDP flow after 30 s and an
   * answered one after 120-180 s; many home routers keep 30 s; RFC 4787 asks ≥ 2 min. 25 s keeps
   * every one of them open, at ~100 bytes per 25 s.
   */
  pingEveryMs: number;
  pingTimeoutMs: number;
  /** Pings in a row without an answer before the path counts as dead (then faster pings). */
  missesToDead: number;
  /** After the first miss, ping this often until answered or dead. */
  suspectPingMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_KEEPER: KeeperConfig = {
  pingEveryMs: 25_000,
  pingTimeoutMs: 2_000,
  missesToDead: 3,
  suspectPingMs: 1_000,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
};

export class HomeKeeper {
  private link: KeptLink | undefined;
  private timer: TimerHandle | undefined;
  private misses = 0;
  private attempt = 0;
  private stopped = false;
  private status: HomeStatus;
  private readonly upCbs: Array<(l: KeptLink) => void> = [];
  private readonly changeCbs: Array<(s: HomeStatus) => void> = [];

  constructor(
    readonly home: string,
    private readonly connect: () => Promise<KeptLink>,
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly cfg: KeeperConfig = DEFAULT_KEEPER,
    /** Wall-clock ms for the `since` field people read (the Env clock may be monotonic). */
    private readonly wallNow: () => number = () => 0,
  ) {
    this.status = { home, state: 'connecting', since: this.iso(), reconnects: 0 };
  }

  get current(): HomeStatus {
    const rtt = this.link?.rttMs?.();
    return rtt !== undefined && this.status.state === 'up'
      ? { ...this.status, rttMs: Math.round(rtt * 10) / 10 }
      : { ...this.status };
  }

  /** Called with every new link (first connect and each reconnect). */
  onUp(cb: (l: KeptLink) => void): void {
    this.upCbs.push(cb);
    if (this.link) cb(this.link);
  }

  onChange(cb: (s: HomeStatus) => void): void {
    this.changeCbs.push(cb);
  }

  start(): void {
    this.tryConnect();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.link?.close();
    this.link = undefined;
    this.set('stopped');
  }

  /**
   * A request over the link went unanswered: check the path now instead of at the next idle
   * ping, so a dead path is found in seconds while the user is waiting on it.
   */
  suspect(): void {
    if (this.stopped || !this.link) return;
    if (this.link.suspect) return this.link.suspect();
    if (this.misses > 0) return;
    this.schedulePing(0);
  }

  /** The path is known bad (a send failed, the channel closed): reconnect now. */
  lost(reason: string): void {
    if (this.stopped || !this.link) return;
    this.link.close();
    this.link = undefined;
    this.timer?.cancel();
    this.status.reconnects++;
    this.set('down', { lastError: reason });
    this.scheduleConnect();
  }

  private iso(): string {
    return new Date(this.wallNow()).toISOString();
  }

  private set(state: HomeConnState, extra: Partial<HomeStatus> = {}): void {
    const changed = state !== this.status.state || extra.path !== undefined;
    this.status = {
      ...this.status,
      ...extra,
      state,
      since: state !== this.status.state ? this.iso() : this.status.since,
    };
    if (state !== 'up') {
      delete this.status.path;
      delete this.status.remote;
      delete this.status.rttMs;
    }
    if (changed) for (const cb of this.changeCbs) cb(this.current);
  }

  private tryConnect(): void {
    if (this.stopped) return;
    this.set('connecting');
    this.connect().then(
      (link) => {
        if (this.stopped) return link.close();
        this.link = link;
        this.attempt = 0;
        this.misses = 0;
        this.set('up', { path: link.path, remote: link.remote, lastError: undefined });
        link.onMoved?.((path, remote) => {
          if (link === this.link && !this.stopped) this.set('up', { path, remote });
        });
        for (const cb of this.upCbs) cb(link);
        if (!link.onLost) return this.schedulePing(this.cfg.pingEveryMs);
        link.onLost((reason) => {
          if (link === this.link) this.lost(reason);
        });
      },
      (e: unknown) => {
        if (this.stopped) return;
        this.set('down', { lastError: (e as Error).message });
        this.scheduleConnect();
      },
    );
  }

  /** Exponential backoff with full jitter, bounded. */
  private scheduleConnect(): void {
    const cap = Math.min(this.cfg.backoffMaxMs, this.cfg.backoffBaseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    const delay = this.cfg.backoffBaseMs / 2 + this.rng.int(Math.max(1, Math.floor(cap)));
    this.timer = this.clock.setTimer(delay, () => this.tryConnect());
  }

  private schedulePing(ms: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimer(ms, () => this.ping());
  }

  private ping(): void {
    const link = this.link;
    if (!link || this.stopped) return;
    link.ping(this.cfg.pingTimeoutMs, (rtt) => {
      if (link !== this.link) return;
      if (rtt !== undefined) {
        this.misses = 0;
        this.status.rttMs = Math.round(rtt * 10) / 10;
        return this.schedulePing(this.cfg.pingEveryMs);
      }
      if (++this.misses >= this.cfg.missesToDead)
        return this.lost(`no answer to ${this.misses} pings in a row`);
      this.schedulePing(this.cfg.suspectPingMs);
    });
  }
}
