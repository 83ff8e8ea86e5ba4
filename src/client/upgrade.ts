// Relayed → direct, and back (issue 10, docs/relay.md "Upgrade"). While a Noise session runs over
// the relay, traversal is retried in the background (bounded, backing off); a connection it finds
// is tried with a nudge (an authenticated empty frame, secure/noise-channel.ts): the home's channel
// follows the first frame that authenticates on it from the new path (home/peer-channels.ts) and
// answers with a nudge there, and only that answer moves the client's side. The Noise session,
// its counters and the RPC layer above never notice. A direct path — reached by an upgrade, or the
// one the session started on (issue 21) — is watched here and only here: a missed keepalive or a
// request unanswered for ~1 s makes it suspect; it is probed at once while a relayed session is
// readied beside it, and a path that answers no probe within `untrustedMs` is no longer trusted:
// the session falls back onto the relay the same way, and the background attempts start over.
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
  /** A suspect direct path is probed this often, each probe answered within probeTimeoutMs… */
  probeEveryMs: number;
  probeTimeoutMs: number;
  /** …and is no longer trusted when none came back within this long of the suspicion. */
  untrustedMs: number;
  /** Fall-backs to the relay before the session stays relayed for good (a flapping path). */
  maxFallbacks: number;
  /** On a TCP/WS relay (UDP was blocked): waits before each UDP re-check; the last repeats. */
  udpBackDelaysMs: readonly number[];
}

export const UPGRADE_DEFAULTS: UpgradeTiming = {
  attemptDelaysMs: [0, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000],
  confirmTries: 8,
  confirmEveryMs: 250,
  lingerMs: 2_000,
  probeEveryMs: 150,
  probeTimeoutMs: 500,
  untrustedMs: 600,
  maxFallbacks: 5,
  udpBackDelaysMs: [15_000, 30_000, 60_000],
};

/** After a false alarm, no relay is readied for a new suspicion within this long. */
const READY_QUIET_MS = 5_000;

export interface UpgradeSources {
  /** One traversal attempt to the same home (a connection, not yet carrying anything). */
  traverse(): Promise<ConnectResult>;
  /** A fresh relayed path to the same home, for the fall-back (rejects when there is none);
   *  absent when the relay is off: a dead direct path is then lost (the owner reconnects). */
  relay?(): Promise<Path>;
  /** A traversal already under way (the head-start race's): the first attempt waits for it. */
  pending?: Promise<ConnectResult>;
  /** The session rides a TCP/WS relay because UDP was blocked: how it goes back (startUdpBack). */
  udpBack?: UdpBack;
}

/** Back from a stream relay onto UDP once UDP works again (issue 21, the soak's bug 3). */
export interface UdpBack {
  /** Does the rendezvous answer over UDP again? (a few packets, bounded) */
  probe(): Promise<boolean>;
  /** A fresh relayed path to the same home over UDP. */
  relay(): Promise<Path>;
  /** The session moved onto it: the owner remembers that UDP works on this network. */
  moved(): void;
  /** Then look for a direct path too (background attempts, as a session relayed over UDP does). */
  traverse: boolean;
}

export interface UpgradeStats {
  attempts: number;
  upgrades: number;
  fallbacks: number;
  /** Times the direct path was suspect (then probed), and how many of those it answered. */
  suspicions: number;
  cleared: number;
}

interface Suspicion {
  done: boolean;
  /** The relayed session readied while the direct path is probed. */
  relay: Promise<Path> | undefined;
  timers: TimerHandle[];
}

type State = 'relayed' | 'trying' | 'direct' | 'falling-back' | 'stopped';

export class Upgrader {
  readonly stats: UpgradeStats = {
    attempts: 0,
    upgrades: 0,
    fallbacks: 0,
    suspicions: 0,
    cleared: 0,
  };
  private readonly t: UpgradeTiming;
  private state: State = 'relayed';
  private timer: TimerHandle | undefined;
  private nextAttempt = 0;
  /** The direct path under watch (the current one while 'direct'). */
  private watched: ConnectionPath | undefined;
  private suspicion: Suspicion | undefined;
  /** The direct path's last measured round trip (keepalive or probe), ms. */
  rttMs: number | undefined;
  /** When a suspicion last ended with the path answering (a slow home, not a dead path). */
  private clearedAt = -Infinity;
  private udpTimer: TimerHandle | undefined;
  private udpRound = 0;

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

  /** The session started on a direct path (issue 21): watch it, fall back to the relay if it dies. */
  startDirect(p: ConnectionPath): this {
    this.state = 'direct';
    this.watch(p);
    return this;
  }

  /**
   * The session rides a TCP/WS relay because UDP was blocked: re-check UDP to the rendezvous on a
   * bounded backoff (udpBackDelaysMs), and when it answers, move the session onto a relayed path
   * over UDP the way an upgrade moves it (nudge, follow, linger): the Noise session and requests
   * in flight never notice. Then background traversal starts if the caller's mode allows it.
   */
  startUdpBack(): this {
    if (this.src.udpBack) this.scheduleUdpBack();
    return this;
  }

  private scheduleUdpBack(): void {
    if (this.state === 'stopped') return;
    const d = this.t.udpBackDelaysMs;
    const delay = d[Math.min(this.udpRound++, d.length - 1)] ?? 60_000;
    this.udpTimer = this.env.clock.setTimer(delay, () => this.tryUdpBack());
  }

  private tryUdpBack(): void {
    const back = this.src.udpBack;
    this.udpTimer = undefined;
    if (!back || this.state === 'stopped') return;
    const again = (): void => this.scheduleUdpBack();
    back.probe().then((ok) => {
      if (this.state === 'stopped') return;
      if (!ok) return again();
      this.env.log.info({}, 'UDP reaches the rendezvous again: moving the session onto UDP');
      back.relay().then((p) => {
        if (this.state === 'stopped') return p.close();
        this.confirm(
          p,
          'UDP works again',
          () => {
            this.env.log.info({ remote: p.remote }, 'back on UDP');
            back.moved();
            if (back.traverse && this.state === 'relayed') {
              this.nextAttempt = 0;
              this.schedule();
            }
          },
          again,
        );
      }, again);
    }, again);
  }

  stop(): void {
    this.state = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
    this.udpTimer?.cancel();
    this.udpTimer = undefined;
    this.endSuspicion();
  }

  /**
   * Something says the direct path may be dead (a request unanswered for ~1 s, a missed
   * keepalive): probe it now, ready the relay beside it, and fall back unless a probe comes back
   * within `untrustedMs`. Not direct (relayed, moving): nothing to do.
   */
  suspect(why = 'a request went unanswered'): void {
    const p = this.watched;
    if (this.state !== 'direct' || !p || this.paths.path !== p || this.suspicion) return;
    const s: Suspicion = { done: false, relay: undefined, timers: [] };
    this.suspicion = s;
    this.stats.suspicions++;
    this.env.log.debug({ reason: why }, 'direct path suspect: probing');
    // The relay is readied beside the probes, unless the last suspicion was a false alarm moments
    // ago (a slow home): then it is opened only if the path is found dead.
    const calm = this.env.clock.now() - this.clearedAt >= READY_QUIET_MS;
    if (this.src.relay && calm && this.stats.fallbacks < this.t.maxFallbacks) {
      s.relay = this.src.relay();
      s.relay.catch(() => {}); // the fall-back reports it
    }
    const probe = (): void => {
      if (s.done) return;
      p.ping(this.t.probeTimeoutMs, (rtt) => {
        if (s.done || rtt === undefined) return;
        this.rttMs = rtt;
        this.stats.cleared++;
        this.clearedAt = this.env.clock.now();
        this.endSuspicion();
      });
      s.timers.push(this.env.clock.setTimer(this.t.probeEveryMs, probe));
    };
    s.timers.push(
      this.env.clock.setTimer(this.t.untrustedMs, () => {
        if (s.done) return;
        const readied = s.relay;
        s.relay = undefined; // handed to the fall-back
        this.endSuspicion();
        this.fallBack(p, `${why}; no answer to probes for ${this.t.untrustedMs} ms`, readied);
      }),
    );
    probe();
  }

  private endSuspicion(): void {
    const s = this.suspicion;
    if (!s) return;
    this.suspicion = undefined;
    s.done = true;
    for (const t of s.timers) t.cancel();
    s.relay?.then(
      (r) => r.close(),
      () => {},
    );
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

  /**
   * Watches a direct path through its keepalives (no timer of our own): an answer is its RTT, a
   * miss makes it suspect. Request timeouts reach `suspect()` from the owner.
   */
  private watch(p: ConnectionPath): void {
    this.watched = p;
    p.onKeepalive((rtt) => {
      if (this.watched !== p || this.state !== 'direct') return;
      if (rtt !== undefined) this.rttMs = rtt;
      else this.suspect('a keepalive went unanswered');
    });
  }

  private fallBack(dead: ConnectionPath, why: string, readied?: Promise<Path>): void {
    const src = this.src;
    const relay = src.relay ? (): Promise<Path> => src.relay!() : undefined;
    if (!relay || this.stats.fallbacks >= this.t.maxFallbacks) {
      readied?.then(
        (r) => r.close(),
        () => {},
      );
      return dead.kill(relay ? `${why}; relay fall-backs used up` : why);
    }
    this.state = 'falling-back';
    this.watched = undefined;
    this.stats.fallbacks++;
    this.env.log.info({ reason: why }, 'direct path lost: back onto the relay');
    (readied ?? relay()).then(
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
