// Cross-node assists over Redis pub/sub, one channel per node (`ph:fwd:<node>`). Pub/sub, not
// streams: an assist is worth something for a few seconds only, fire-and-forget has the lowest
// latency (no consumer groups, no acks, nothing left to trim), and a lost message is covered by
// the client's own retransmission of the assist — which is forwarded again and deduplicated by
// session on the owning node. PUBLISH also says how many nodes listen: 0 means the owner is
// gone, and the client is told at once instead of waiting out its retransmissions.
//
// The owner runs figure 2 and sends its answers (AssistAck, Ready, errors and refusals) back to
// the receiving node's channel; that node answers the client only for sessions it forwarded to
// that owner, from that client, with the original request size as the reply bound.
import type { Env, SocketAddr } from '../../net/types.js';
import type { ClusterMetrics } from '../../ops/metrics.js';
import type { Message, MessageOf } from '../../wire/messages.js';
import type { ClientRoute } from './hooks.js';
import type { RedisLink } from './redis.js';
import { encodeEnvelope, parseEnvelope, type ForwardAnswer } from './validate.js';

export const fwdChannel = (node: string): string => `ph:fwd:${node}`;

/** What the forwarder needs from the rendezvous server. */
export interface ForwardTarget {
  handleForwarded(
    msg: MessageOf<'assist'>,
    client: SocketAddr,
    size: number,
    route: ClientRoute,
  ): void;
  answerClient(msg: Message, to: SocketAddr, requestSize: number | undefined): void;
  /** Drop a local registration (the home registered with another node since). */
  forgetHome(homeId: string): void;
}

interface Pending {
  owner: string;
  client: SocketAddr;
  size: number;
  expiresAt: number;
}

export interface ForwarderOptions {
  nodeId: string;
  /** How long answers for a forwarded session are accepted (the server's session TTL). */
  pendingTtlMs: number;
  maxPending: number;
}

export class Forwarder {
  private readonly pending = new Map<string, Pending>();
  private target: ForwardTarget | undefined;
  received = 0;
  rejected = 0;

  constructor(
    private readonly env: Env,
    private readonly link: RedisLink,
    private readonly o: ForwarderOptions,
    private readonly metrics?: ClusterMetrics,
  ) {}

  /** Subscribes to our channel (node-redis resubscribes by itself after a reconnect). */
  async start(target: ForwardTarget): Promise<void> {
    this.target = target;
    await this.link.sub.subscribe(fwdChannel(this.o.nodeId), (text: string) =>
      this.onMessage(text),
    );
  }

  /** Resolves to the number of nodes that received it (0: the owner is not listening). */
  async forward(
    owner: string,
    msg: MessageOf<'assist'>,
    client: SocketAddr,
    size: number,
  ): Promise<number> {
    const now = this.env.clock.now();
    if (this.pending.size >= this.o.maxPending) this.evict(now);
    this.pending.delete(msg.session);
    this.pending.set(msg.session, { owner, client, size, expiresAt: now + this.o.pendingTtlMs });
    this.metrics?.forwarded('out');
    const env = encodeEnvelope({ kind: 'assist', from: this.o.nodeId, client, size, msg });
    return this.link.run('publish', (c) => c.publish(fwdChannel(owner), env));
  }

  /** Drops pending sessions that expired; the oldest too when the map is full. */
  private evict(now: number): void {
    for (const [s, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(s);
    if (this.pending.size >= this.o.maxPending) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
  }

  private reject(why: string): void {
    this.rejected++;
    this.metrics?.rejected('pubsub');
    this.env.log.debug({ why }, 'cluster message rejected');
  }

  private onMessage(text: string): void {
    this.received++;
    const e = parseEnvelope(text);
    if (!e) return this.reject('malformed');
    if (e.kind === 'assist') {
      if (e.from === this.o.nodeId) return this.reject('from-self');
      this.metrics?.forwarded('in');
      const route: ClientRoute = {
        reply: (m) => this.answer(e.from, 'reply', e.msg.session, m),
        send: (m) => this.answer(e.from, 'send', e.msg.session, m),
      };
      return this.target?.handleForwarded(e.msg, e.client, e.size, route);
    }
    if (e.kind === 'moved') return this.onMoved?.(e.from, e.homeId);
    this.onAnswer(e);
  }

  /** Set by the node: checks the directory before acting on a 'moved' notice. */
  onMoved: ((from: string, homeId: string) => void) | undefined;

  /** Tells `previous` that `homeId` registered here now. */
  notifyMoved(previous: string, homeId: string): void {
    const text = encodeEnvelope({ kind: 'moved', from: this.o.nodeId, homeId });
    this.link.run('publish', (c) => c.publish(fwdChannel(previous), text)).catch(() => {});
  }

  /** The owner's message for one of our clients. */
  private onAnswer(e: ForwardAnswer): void {
    const p = this.pending.get(e.session);
    if (!p || p.expiresAt <= this.env.clock.now() || p.owner !== e.from)
      return this.reject('no-pending');
    this.metrics?.forwarded('answer');
    this.target?.answerClient(e.msg, p.client, e.kind === 'reply' ? p.size : undefined);
    if (e.kind === 'send' && e.msg.type === 'error') this.pending.delete(e.session);
  }

  private answer(to: string, kind: 'reply' | 'send', session: string, m: Message): void {
    if (m.type !== 'assistAck' && m.type !== 'error' && m.type !== 'ready') return;
    const text = encodeEnvelope({ kind, from: this.o.nodeId, session, msg: m });
    this.link.run('publish', (c) => c.publish(fwdChannel(to), text)).catch(() => {});
  }
}
