// The client's end-to-end check that the home is still there (issue 21; the CLI agent's and the
// phone page's — platform-neutral): a ping through the home's
// RPC (answered by the home process itself, on any path, inside the secure channel) every few
// seconds. A relayed path has no ping of its own, and a home that crashed (SIGKILL) says no
// goodbye: without this the agent kept a dead relayed session "up" for good, and a punched one
// until a keepalive 15 s later. One unanswered ping is not enough (5% loss, a 1 s blip, a direct
// path falling back onto the relay): pings then go back to back, and only `misses` in a row
// (~4 s) make the session lost; the keeper then reconnects with backoff until the home is back.
import type { Clock, TimerHandle } from '../net/types.js';

export interface LivenessConfig {
  /** Ping period while the home answers. */
  everyMs: number;
  /** A ping unanswered this long is missed; the next one goes at once. */
  timeoutMs: number;
  /** Missed pings in a row before the home counts as unreachable. */
  misses: number;
}

export const DEFAULT_LIVENESS: LivenessConfig = { everyMs: 3_000, timeoutMs: 1_000, misses: 4 };

export class Liveness {
  private timer: TimerHandle | undefined;
  private inFlight = false;
  private missed = 0;
  private firstMissAt = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly ping: (timeoutMs: number, cb: (ok: boolean) => void) => void,
    private readonly dead: (reason: string) => void,
    private readonly cfg: LivenessConfig = DEFAULT_LIVENESS,
  ) {}

  start(): this {
    this.schedule(this.cfg.everyMs);
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** A request went unanswered: ping now instead of at the next period. */
  suspect(): void {
    if (!this.stopped && !this.inFlight) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimer(ms, () => this.probe());
  }

  private probe(): void {
    this.timer = undefined;
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    this.ping(this.cfg.timeoutMs, (ok) => {
      this.inFlight = false;
      if (this.stopped) return;
      if (ok) {
        this.missed = 0;
        return this.schedule(this.cfg.everyMs);
      }
      if (this.missed++ === 0) this.firstMissAt = this.clock.now() - this.cfg.timeoutMs;
      if (this.missed < this.cfg.misses) return this.schedule(0);
      this.stop();
      const s = ((this.clock.now() - this.firstMissAt) / 1000).toFixed(1);
      this.dead(
        `home unreachable: no answer to ${this.missed} pings in ${s} s (the home is down or offline)`,
      );
    });
  }
}
