// One rendezvous node's part in the cluster: it implements the server's ClusterHooks with the
// directory, membership and forwarder over one Redis link. Redis unreachable = degraded: local
// homes are served as before, cross-node assists are refused with Busy (the client retries a
// few times, then fails with the reason), /readyz says so; all of it recovers by itself.
import type { Env, SocketAddr, TimerHandle } from '../../net/types.js';
import type { ClusterMetrics, RendezvousMetrics } from '../../ops/metrics.js';
import type { Readiness } from '../../ops/http.js';
import { formatAddr } from '../../wire/addr.js';
import { ErrorCode, type Message, type MessageOf } from '../../wire/messages.js';
import { Directory } from './directory.js';
import { Forwarder, type ForwardTarget } from './forward.js';
import type { ClusterHooks } from './hooks.js';
import { Membership } from './membership.js';
import { DEFAULT_REDIS_LINK, RedisLink, type RedisLinkOptions } from './redis.js';
import { NODE_ID_PATTERN } from './validate.js';

export interface ClusterOptions {
  redisUrl: string;
  nodeId: string;
  /** This node's public UDP address (what homes and clients send to). */
  advertise: SocketAddr;
  /** The server's registration TTL: directory entries live as long. */
  registrationTtlMs: number;
  /** The server's assist session TTL: answers for a forwarded session are accepted as long. */
  sessionTtlMs: number;
  heartbeatMs?: number;
  maxPending?: number;
  wallClock?: () => number;
  redis?: Partial<Omit<RedisLinkOptions, 'url'>>;
  metrics?: ClusterMetrics;
  rendezvousMetrics?: RendezvousMetrics;
}

export class ClusterNode implements ClusterHooks {
  readonly link: RedisLink;
  readonly directory: Directory;
  readonly membership: Membership;
  readonly forwarder: Forwarder;
  private target: ForwardTarget | undefined;
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private readonly env: Env,
    private readonly o: ClusterOptions,
  ) {
    if (!NODE_ID_PATTERN.test(o.nodeId))
      throw new Error(`"${o.nodeId}" is not a node id (1-64 of A-Z a-z 0-9 . _ -)`);
    this.link = new RedisLink(
      env,
      { url: o.redisUrl, ...DEFAULT_REDIS_LINK, ...o.redis },
      o.metrics,
    );
    this.directory = new Directory(
      env,
      this.link,
      {
        nodeId: o.nodeId,
        advertise: o.advertise,
        ttlMs: o.registrationTtlMs,
        refreshMs: o.registrationTtlMs / 2,
        // The cluster adapter, like node-udp, is the edge where real time comes in.
        wallClock: o.wallClock ?? (() => Date.now()),
      },
      o.metrics,
    );
    this.membership = new Membership(
      env,
      this.link,
      { nodeId: o.nodeId, advertise: o.advertise, heartbeatMs: o.heartbeatMs ?? 5000 },
      o.metrics,
    );
    this.forwarder = new Forwarder(
      env,
      this.link,
      { nodeId: o.nodeId, pendingTtlMs: o.sessionTtlMs, maxPending: o.maxPending ?? 10_000 },
      o.metrics,
    );
    // A home that moved (its old node was only cut off, or its mapping now points elsewhere):
    // the old node drops its stale registration once the directory confirms the move.
    this.directory.onMoved = (homeId, previous) => this.forwarder.notifyMoved(previous, homeId);
    this.forwarder.onMoved = (from, homeId) => {
      this.directory.lookup(homeId).then(
        (e) => {
          if (e && e !== 'invalid' && e.node === from) this.target?.forgetHome(homeId);
        },
        () => {},
      );
    };
    this.link.onChange((up) => {
      if (!up) return;
      this.directory.forgetWrites();
      this.membership.refresh();
    });
  }

  /** Connects (in the background: an unreachable Redis only means degraded) and subscribes. */
  start(target: ForwardTarget): void {
    this.target = target;
    this.link.start();
    this.forwarder
      .start(target)
      .catch((e: Error) => this.env.log.warn({ err: e.message }, 'cluster subscribe failed'));
    this.membership.start();
    const sweep = (): void => {
      this.directory.sweep();
      this.sweepTimer = this.env.clock.setTimer(this.o.registrationTtlMs / 2, sweep);
    };
    sweep();
  }

  readiness(): Readiness {
    if (!this.link.up)
      return { ready: false, detail: 'degraded: redis unreachable, serving local homes only' };
    const nodes = this.membership.known.map((n) => `${n.node}@${formatAddr(n.addr)}`);
    return { ready: true, detail: `ready: cluster of ${nodes.length} (${nodes.join(', ')})` };
  }

  /** graceful: leave the membership at once; otherwise behave like a crash (keys expire). */
  async close(graceful = true): Promise<void> {
    this.sweepTimer?.cancel();
    await this.membership.close(graceful);
    await this.link.close();
  }

  // --- ClusterHooks ---------------------------------------------------------------------------

  onLocalRegister(homeId: string): void {
    this.directory.publish(homeId, true);
  }

  onLocalKeepalive(homeId: string): void {
    this.directory.publish(homeId, false);
  }

  onLocalDeregister(homeId: string): void {
    this.directory.remove(homeId);
  }

  forwardAssist(msg: MessageOf<'assist'>, client: SocketAddr, size: number): boolean {
    if (!this.target) return false;
    const unreachable = (): void =>
      this.refuse(
        msg,
        client,
        size,
        'cluster_unavailable',
        ErrorCode.Busy,
        'cluster unreachable; retry',
      );
    if (!this.link.up) unreachable();
    else this.route(msg, client, size).catch(unreachable);
    return true;
  }

  async ownerOf(homeId: string): Promise<SocketAddr | undefined> {
    if (!this.link.up) throw new Error('cluster unreachable');
    const entry = await this.directory.lookup(homeId);
    // Absent, garbage, or stale (names us although we do not hold it): nowhere to send the client.
    if (entry === null || entry === 'invalid' || entry.node === this.o.nodeId) return undefined;
    return entry.addr;
  }

  private async route(msg: MessageOf<'assist'>, client: SocketAddr, size: number): Promise<void> {
    const entry = await this.directory.lookup(msg.homeId);
    // Absent, garbage, or pointing at us although we do not hold it (stale): not registered.
    if (entry === null || entry === 'invalid' || entry.node === this.o.nodeId) {
      const text = `home ${msg.homeId} is not registered`;
      return this.refuse(msg, client, size, 'unknown_home', ErrorCode.UnknownHome, text);
    }
    const receivers = await this.forwarder.forward(entry.node, msg, client, size);
    if (receivers === 0) {
      // The owner died; its homes re-register elsewhere within their failover bound.
      const text = 'the node holding this home is down; retry';
      return this.refuse(msg, client, size, 'cluster_unavailable', ErrorCode.Busy, text);
    }
    this.o.rendezvousMetrics?.assist('forwarded');
  }

  private refuse(
    msg: MessageOf<'assist'>,
    client: SocketAddr,
    size: number,
    outcome: 'unknown_home' | 'cluster_unavailable',
    code: ErrorCode,
    message: string,
  ): void {
    this.o.rendezvousMetrics?.assist(outcome);
    const err: Message = { type: 'error', tx: msg.tx, code, message };
    this.target?.answerClient(err, client, size);
  }
}
