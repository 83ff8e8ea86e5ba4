// The web app's link to the home: one connection with its device client, an RTT ping every few
// seconds, and automatic reconnection (bounded backoff) when the path dies.
import { DeviceClient } from '../devices/rpc-client.js';
import { closeReached, type Reached } from '../client/reach.js';
import type { Env, TimerHandle } from '../net/types.js';
import { LinkEvents } from './link-events.js';

export type { LinkStatus } from './link-events.js';

const PING_MS = 3000;
const MISSES_BEFORE_RECONNECT = 3;
const MAX_BACKOFF_MS = 15_000;

export class AppSession extends LinkEvents {
  private link: Reached | undefined;
  private dc: DeviceClient | undefined;
  private pingTimer: TimerHandle | undefined;
  /** The backoff wait in progress, so close() can end it. */
  private sleeping: { timer: TimerHandle; wake(): void } | undefined;
  private misses = 0;
  private closed = false;

  constructor(
    private readonly connectFn: () => Promise<Reached>,
    private readonly env: Pick<Env, 'clock' | 'rng'>,
  ) {
    super();
  }

  get devices(): DeviceClient | undefined {
    return this.dc;
  }

  /** Connects, retrying with backoff until it works or the session is closed. */
  async start(): Promise<void> {
    for (let backoff = 1000; !this.closed; backoff = Math.min(MAX_BACKOFF_MS, backoff * 2)) {
      try {
        const link = await this.connectFn();
        if (this.closed) return closeReached(link);
        this.link = link;
        this.dc = new DeviceClient(link.channel, this.env.clock, this.env.rng);
        // A paired session's upgrader owns its liveness (issue 21): requests unanswered for ~1 s
        // make it probe the path, and what was in flight goes again when the session moves.
        const up = link.upgrade;
        const dc = this.dc;
        if (up) dc.onSuspect(() => up.suspect());
        link.paths?.onChange(() => dc.pathChanged());
        await this.dc.watch((s) => this.emitState(s));
        this.misses = 0;
        this.setStatus({
          state: 'connected',
          path: link.report.path,
          secure: link.secure,
          home: link.report.home,
        });
        this.followPath(link);
        this.schedulePing();
        return;
      } catch (e) {
        this.setStatus({ state: 'reconnecting', error: (e as Error).message });
        await this.sleep(backoff);
      }
    }
  }

  /** A relayed link: path changes reach the badge; its end (e.g. a relay cap) reconnects. */
  private followPath(link: Reached): void {
    link.paths?.onChange((c) => {
      if (
        this.link === link &&
        (c.kind === 'punched' || c.kind === 'relayed' || c.kind === 'direct')
      )
        this.setStatus({ ...this.status, path: c.kind });
    });
    link.paths?.onLost(() => {
      if (this.link === link && !this.closed) void this.reconnect();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      const timer = this.env.clock.setTimer(ms, () => {
        this.sleeping = undefined;
        wake();
      });
      this.sleeping = { timer, wake };
    });
  }

  private schedulePing(): void {
    this.pingTimer = this.env.clock.setTimer(PING_MS, () => {
      // A relayed link has no ping of its own (its path reports its own end); one that moved onto
      // a direct path pings through its path switch.
      const paths = this.link?.paths;
      const up = this.link?.upgrade;
      if (up) {
        // Watched below (it falls back, or reports the path lost): only the RTT is read here.
        const rtt = paths?.path.kind === 'relayed' ? undefined : up.rttMs;
        if (rtt !== undefined)
          this.setStatus({ ...this.status, rttMs: Math.round(rtt * 100) / 100 });
        return this.schedulePing();
      }
      const conn = this.link?.connection ?? (paths?.path.kind === 'relayed' ? undefined : paths);
      if (!conn) return this.schedulePing();
      conn.ping(1500, (rtt) => {
        if (this.closed) return;
        if (rtt === undefined) {
          if (++this.misses >= MISSES_BEFORE_RECONNECT) return void this.reconnect();
        } else {
          this.misses = 0;
          this.setStatus({
            ...this.status,
            state: 'connected',
            rttMs: Math.round(rtt * 100) / 100,
          });
        }
        this.schedulePing();
      });
    });
  }

  private async reconnect(): Promise<void> {
    this.dc?.close();
    if (this.link) closeReached(this.link);
    this.link = undefined;
    this.dc = undefined;
    this.setStatus({ state: 'reconnecting' });
    await this.start();
  }

  close(): void {
    this.closed = true;
    this.pingTimer?.cancel();
    this.sleeping?.timer.cancel();
    this.sleeping?.wake();
    this.dc?.close();
    if (this.link) closeReached(this.link);
  }
}
