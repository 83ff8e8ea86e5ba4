// Two Redis connections (commands, and the subscriber pub/sub needs to itself) with a capped
// reconnect backoff, a timeout on every command, fail-fast while disconnected (no offline queue:
// a request must not wait for Redis to come back), latency/error metrics, and one up/down state.
import { createClient } from 'redis';
import type { Env } from '../../net/types.js';
import type { ClusterMetrics, RedisCommand } from '../../ops/metrics.js';

type Client = ReturnType<typeof createClient>;

export interface RedisLinkOptions {
  url: string;
  commandTimeoutMs: number;
  /** Reconnect delay grows 100 ms per attempt up to this; attempts never stop (Redis may return). */
  maxReconnectDelayMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_REDIS_LINK: Omit<RedisLinkOptions, 'url'> = {
  commandTimeoutMs: 1000,
  maxReconnectDelayMs: 2000,
  connectTimeoutMs: 2000,
};

export class RedisUnavailable extends Error {
  override name = 'RedisUnavailable';
}

export class RedisLink {
  readonly cmd: Client;
  readonly sub: Client;
  private cmdUp = false;
  private subUp = false;
  private wasUp = false;
  private closed = false;
  private readonly changeCbs: Array<(up: boolean) => void> = [];

  constructor(
    private readonly env: Env,
    private readonly o: RedisLinkOptions,
    private readonly metrics?: ClusterMetrics,
  ) {
    const make = (): Client =>
      createClient({
        url: o.url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: o.connectTimeoutMs,
          reconnectStrategy: (retries: number) =>
            Math.min((retries + 1) * 100, o.maxReconnectDelayMs),
        },
      });
    this.cmd = make();
    this.sub = make();
    this.watch(this.cmd, (up) => (this.cmdUp = up));
    this.watch(this.sub, (up) => (this.subUp = up));
  }

  get up(): boolean {
    return this.cmdUp && this.subUp;
  }

  onChange(cb: (up: boolean) => void): void {
    this.changeCbs.push(cb);
  }

  /** Starts connecting; never rejects (an unreachable Redis means degraded, not dead). */
  start(): void {
    this.metrics?.degraded(true);
    for (const c of [this.cmd, this.sub]) {
      c.connect().catch((e: Error) =>
        this.env.log.debug({ err: e.message }, 'redis connect attempt failed'),
      );
    }
  }

  /** Runs one command with a timeout; rejects at once while Redis is down. */
  async run<T>(command: RedisCommand, fn: (c: Client) => Promise<T>): Promise<T> {
    if (!this.cmdUp) {
      this.metrics?.redisError(command);
      throw new RedisUnavailable('redis unreachable');
    }
    const t0 = this.env.clock.now();
    let timer: { cancel(): void } | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = this.env.clock.setTimer(this.o.commandTimeoutMs, () =>
          reject(new RedisUnavailable(`redis ${command} timed out`)),
        );
      });
      const r = await Promise.race([fn(this.cmd), timeout]);
      this.metrics?.redisLatency(command, (this.env.clock.now() - t0) / 1000);
      return r;
    } catch (e) {
      this.metrics?.redisError(command);
      throw e;
    } finally {
      timer?.cancel();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(
      [this.cmd, this.sub].map((c) => (c.isOpen ? c.close() : Promise.resolve())),
    );
    for (const c of [this.cmd, this.sub]) if (c.isOpen) c.destroy();
  }

  private watch(c: Client, set: (up: boolean) => void): void {
    let lastError = '';
    c.on('ready', () => {
      set(true);
      lastError = '';
      this.changed();
    });
    c.on('end', () => {
      set(false);
      this.changed();
    });
    c.on('reconnecting', () => {
      set(false);
      this.changed();
    });
    // Without a listener node-redis errors would crash the process; log each distinct one once.
    c.on('error', (e: Error) => {
      set(false);
      if (e.message !== lastError && !this.closed)
        this.env.log.debug({ err: e.message }, 'redis connection error');
      lastError = e.message;
      this.changed();
    });
  }

  private changed(): void {
    const up = this.up;
    if (up === this.wasUp || this.closed) return;
    this.wasUp = up;
    this.metrics?.degraded(!up);
    if (up) this.env.log.info({}, 'redis reachable: cluster mode active');
    else this.env.log.warn({}, 'redis unreachable: degraded (local homes still served)');
    for (const cb of this.changeCbs) cb(up);
  }
}
