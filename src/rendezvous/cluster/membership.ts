// Live nodes: each node refreshes `ph:node:<id>` (its public address, TTL = 3 heartbeats) and
// keeps its id in the set `ph:nodes`. A node that stops heartbeating disappears within 3
// heartbeats; readers drop ids whose key is gone. Used for /readyz, logs and the node list an
// operator (or a home's rendezvous list) is given.
import type { Env, SocketAddr, TimerHandle } from '../../net/types.js';
import type { ClusterMetrics } from '../../ops/metrics.js';
import type { RedisLink } from './redis.js';
import { NODE_ID_PATTERN, encodeNode, parseNode, type NodeEntry } from './validate.js';

export const NODES_KEY = 'ph:nodes';
export const nodeKey = (id: string): string => `ph:node:${id}`;
const MAX_NODES = 256;

export class Membership {
  private timer: TimerHandle | undefined;
  private last: NodeEntry[] = [];

  constructor(
    private readonly env: Env,
    private readonly link: RedisLink,
    private readonly o: { nodeId: string; advertise: SocketAddr; heartbeatMs: number },
    private readonly metrics?: ClusterMetrics,
  ) {}

  start(): void {
    this.timer = this.env.clock.setTimer(this.o.heartbeatMs, () => this.start());
    this.refresh();
  }

  /** The nodes seen at the last heartbeat. */
  get known(): readonly NodeEntry[] {
    return this.last;
  }

  /** One heartbeat now (also when Redis comes back, so peers see us without waiting). */
  refresh(): void {
    if (!this.link.up) return;
    const value = encodeNode({ node: this.o.nodeId, addr: this.o.advertise });
    this.link
      .run('heartbeat', async (c) => {
        await c.set(nodeKey(this.o.nodeId), value, {
          expiration: { type: 'PX', value: 3 * this.o.heartbeatMs },
        });
        await c.sAdd(NODES_KEY, this.o.nodeId);
      })
      .then(() => this.nodes())
      .then(
        (n) => (this.last = n),
        () => {},
      );
  }

  /** Live nodes, validated; ids whose heartbeat key expired are removed from the set. */
  async nodes(): Promise<NodeEntry[]> {
    return this.link.run('nodes', async (c) => {
      const ids = (await c.sMembers(NODES_KEY)).slice(0, MAX_NODES);
      const valid = ids.filter((id) => NODE_ID_PATTERN.test(id));
      if (valid.length < ids.length) this.metrics?.rejected('membership');
      if (valid.length === 0) return [];
      const values = await c.mGet(valid.map(nodeKey));
      const out: NodeEntry[] = [];
      const dead: string[] = [];
      values.forEach((v, i) => {
        const id = valid[i] as string;
        if (v === null) return void dead.push(id);
        const e = parseNode(v);
        if (e && e.node === id) out.push(e);
        else this.metrics?.rejected('membership');
      });
      if (dead.length) await c.sRem(NODES_KEY, dead);
      return out;
    });
  }

  /** graceful: remove our key now (peers stop forwarding at once); a crash just lets it expire. */
  async close(graceful: boolean): Promise<void> {
    this.timer?.cancel();
    if (!graceful || !this.link.up) return;
    await this.link
      .run('heartbeat', async (c) => {
        await c.del(nodeKey(this.o.nodeId));
        await c.sRem(NODES_KEY, this.o.nodeId);
      })
      .catch(() => {});
  }
}
