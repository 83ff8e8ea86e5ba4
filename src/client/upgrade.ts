// Relayed → direct, and back (issue 10, docs/relay.md "Upgrade"). While a Noise session runs over
// the relay, traversal is retried in the background (bounded, backing off); a connection it finds
// is tried with a nudge (an authenticated empty frame, secure/noise-channel.ts): the home's channel
// follows the first frame that authenticates on it from the new path (home/peer-channels.ts) and
// answers with a nudge there, and only that answer moves the client's side. The Noise session,
// its counters and the RPC layer above never notice. A direct path that stops answering pings
// falls back onto a fresh relayed session the same way, and the background attempts start over.
import type { Path } from '../net/path.js';
import type { Env, TimerHandle } from '../net/types.js';
import type { SecureChannel } from '../secure/noise-channel.js';
import type { ConnectResult } from './connect-config.js';
import { connectionPath, type ConnectionPath } from './connection-path.js';
import type { PathSwitch } from './path-switch.js';

export interface UpgradeTiming {
  /** Waits before each background attempt; their number bounds the attempts. */
  attemptDelaysMs: readonly number[];
  /** Nudges sent down a new path (one every confirmEveryMs) before giving it up. */
  confirmTries: number;
  confirmEveryMs: number;
  /** The old path stays open this long after a switch, for frames already on their way. */
  lingerMs: number;
  /** Direct path watch: a ping this often, faster after a miss; dead after `misses` in a row. */
  pingEveryMs: number;
  pingRetryMs: number;
  pingTimeoutMs: number;
  misses: number;
  /** Fall-backs to the relay before the session stays relayed for good (a flapping path). */
  maxFallbacks: number;
}

export const UPGRADE_DEFAULTS: UpgradeTiming = {
  attemptDelaysMs: [0, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000],
  confirmTries: 8,
  confirmEveryMs: 250,
  lingerMs: 2_000,
  pingEveryMs: 10_000,
  pingRetryMs: 1_000,
  pingTimeoutMs: 1_500,
  misses: 3,
  maxFallbacks: 5,
};

export interface UpgradeSources {
  /** One traversal attempt to the same home (a connection, not yet carrying anything). */
  traverse(): Promise<ConnectResult>;
  /** A fresh relayed path to the same home, for the fall-back (rejects when there is none). */
  relay(): Promise<Path>;
  /** A traversal already under way (the head-start race's): the first attempt waits for it. */
  pending?: Promise<ConnectResult>;
}

export interface UpgradeStats {
  attempts: number;
  upgrades: number;
  fallbacks: number;
}

type State = 'relayed' | 'trying' | 'direct' | 'falling-back' | 'stopped';

export class Upgrader {
  readonly stats: UpgradeStats = { attempts: 0, upgrades: 0, fallbacks: 0 };
  private readonly t: UpgradeTiming;
  private state: State = 'relayed';
  private timer: TimerHandle | undefined;
  private nextAttempt = 0;
  private misses = 0;

  constructor(
    private readonly env: Env,
    private readonly paths: PathSwitch,
    private readonly secure: SecureChannel,
    private readonly src: UpgradeSources,
    timing: Partial<UpgradeTiming> = {},
  ) {
    this.t = { ...UPGRADE_DEFAULTS, ...timing };
    paths.onEnd(() => this.stop());
    // A relayed path that ends (a cap, the relay gone) is the owner's to handle; so is the end of
    // a direct path we could not fall back from.
    paths.onLost(() => this.stop());
  }

  get phase(): State {
    return this.state;
  }

  /** Starts the background attempts (the relayed session is up). */
  start(): this {
    const pending = this.src.pending;
    if (pending) {
      this.state = 'trying';
      this.stats.attempts++;
      this.nextAttempt = 1;
      void pending.then(
        (r) => this.tried(r),
        () => this.tried(undefined),
      );
    } else this.schedule();
    return this;
  }

  stop(): void {
    this.state = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.state === 'stopped') return;
    this.state = 'relayed';
    const delay = this.t.attemptDelaysMs[this.nextAttempt++];
    if (delay === undefined) {
      this.env.log.info({ attempts: this.stats.attempts }, 'staying relayed: no direct path found');
      return;
    }
    this.timer = this.env.clock.setTimer(delay, () => {
      this.timer = undefined;
      if (this.state !== 'relayed') return;
      this.state = 'trying';
      this.stats.attempts++;
      this.src.traverse().then(
        (r) => this.tried(r),
        () => this.tried(undefined),
      );
    });
  }

  private tried(r: ConnectResult | undefined): void {
    if (!r?.ok) {
      if (this.state === 'trying') this.schedule();
      return;
    }
    if (this.state !== 'trying') return r.connection.close();
    const p = connectionPath(r.connection, r.report.path);
    this.confirm(
      p,
      'upgrade',
      () => {
        this.state = 'direct';
        this.stats.upgrades++;
        this.env.log.info({ path: p.kind, remote: p.remote }, 'moved onto a direct path');
        this.watch(p);
      },
      () => this.schedule(),
    );
  }

  /**
   * Nudges down `p` until something arrives on it (the other side followed), then switches; the
   * old path lingers for frames already on their way.
   */
  private confirm(p: Path, reason: string, moved: () => void, failed: () => void): void {
    let tries = 0;
    let timer: TimerHandle | undefined;
    let done = false;
    const unhear = this.paths.onHeard((from) => {
      if (done || from !== p || this.state === 'stopped') return;
      done = true;
      unhear();
      timer?.cancel();
      this.paths.switchTo(p, reason);
      this.env.clock.setTimer(this.t.lingerMs, () => {
        if (this.paths.path === p) this.paths.dropPrevious();
      });
      moved();
    });
    const nudge = (): void => {
      if (done) return;
      if (this.state === 'stopped' || tries++ >= this.t.confirmTries) {
        done = true;
        unhear();
        this.paths.abandon(p);
        if (this.state !== 'stopped') failed();
        return;
      }
      this.paths.through(p, () => this.secure.nudge());
      timer = this.env.clock.setTimer(this.t.confirmEveryMs, nudge);
    };
    nudge();
  }

  /** Pings the direct path; when it stops answering, moves back onto the relay. */
  private watch(p: ConnectionPath): void {
    this.misses = 0;
    const next = (ms: number): void => {
      this.timer = this.env.clock.setTimer(ms, () => {
        if (this.state !== 'direct' || this.paths.path !== p) return;
        p.ping(this.t.pingTimeoutMs, (rtt) => {
          if (this.state !== 'direct') return;
          if (rtt !== undefined) {
            this.misses = 0;
            return next(this.t.pingEveryMs);
          }
          if (++this.misses < this.t.misses) return next(this.t.pingRetryMs);
          this.fallBack(p, `no answer to ${this.misses} pings in a row`);
        });
      });
    };
    next(this.t.pingEveryMs);
  }

  private fallBack(dead: ConnectionPath, why: string): void {
    if (this.stats.fallbacks >= this.t.maxFallbacks)
      return dead.kill(`${why}; relay fall-backs used up`);
    this.state = 'falling-back';
    this.stats.fallbacks++;
    this.env.log.info({ reason: why }, 'direct path lost: back onto the relay');
    this.src.relay().then(
      (relayed) => {
        if (this.state !== 'falling-back') return relayed.close();
        this.confirm(
          relayed,
          `direct path lost (${why})`,
          () => {
            this.nextAttempt = 0;
            this.schedule();
          },
          () => dead.kill(`${why}; the home did not follow onto the relay`),
        );
      },
      (e: Error) => dead.kill(`${why}; relay: ${e.message}`),
    );
  }
}
