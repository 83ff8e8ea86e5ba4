// Home-side failover across the nodes of a rendezvous cluster, kept apart from agent.ts (which is
// being refactored). The home is given every node's address (several --rendezvous values, or one
// DNS name resolved to several A records by the CLI). One HomeAgent runs at a time against the
// current node; a stateless `observe` probe from a separate small socket checks that node every
// probeMs, and after `misses` unanswered probes the agent is replaced by a fresh one registering
// with the next node. That node writes the directory entry, so every node finds the home again.
// Bound: misses × probeMs + one registration round trip (defaults: 1.5 keepalive periods).
//
// Integration once the agent refactor lands: the agent holds a RendezvousRotation instead of one
// address and calls advance() where it now logs "keepalives unanswered; registering again" (and
// when a registration round gives up); then no probe socket is needed at all.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { REQUEST_PAD } from '../wire/messages.js';
import { DEFAULT_HOME, HomeAgent, type HomeOptions } from './agent.js';

/** The cluster's nodes in a fixed order; advance() moves to the next one, wrapping around. */
export class RendezvousRotation {
  private i = 0;
  constructor(private readonly addrs: readonly SocketAddr[]) {
    if (addrs.length === 0) throw new Error('at least one rendezvous address is needed');
  }
  current(): SocketAddr {
    return this.addrs[this.i] as SocketAddr;
  }
  advance(): SocketAddr {
    this.i = (this.i + 1) % this.addrs.length;
    return this.current();
  }
  get size(): number {
    return this.addrs.length;
  }
}

export interface FailoverOptions {
  home: Omit<HomeOptions, 'rendezvous'>;
  rendezvous: readonly SocketAddr[];
  /** Default: half the keepalive period. */
  probeMs?: number;
  /** Unanswered probes in a row before moving on. */
  misses?: number;
}

export class FailoverHome {
  private readonly rotation: RendezvousRotation;
  private readonly probeMs: number;
  private readonly misses: number;
  private agent: HomeAgent | undefined;
  private probe: MessageSocket | undefined;
  private timer: TimerHandle | undefined;
  private probeTx = -1;
  private answered = true;
  private missed = 0;
  private readonly registeredCbs: Array<(observed: SocketAddr, via: SocketAddr) => void> = [];
  switches = 0;

  constructor(
    private readonly env: Env,
    private readonly o: FailoverOptions,
  ) {
    this.rotation = new RendezvousRotation(o.rendezvous);
    this.probeMs = o.probeMs ?? (o.home.keepaliveMs ?? DEFAULT_HOME.keepaliveMs) / 2;
    this.misses = o.misses ?? 3;
  }

  get current(): HomeAgent | undefined {
    return this.agent;
  }

  get rendezvous(): SocketAddr {
    return this.rotation.current();
  }

  onRegistered(cb: (observed: SocketAddr, via: SocketAddr) => void): void {
    this.registeredCbs.push(cb);
  }

  start(): void {
    this.probe = new MessageSocket(
      this.env.net.open({ ip: this.o.home.listen?.ip }),
      new DropCounter(),
      this.env.log,
      (m, from) => {
        if (m.type === 'observed' && m.tx === this.probeTx && sameAddr(from, this.rendezvous))
          this.answered = true;
      },
    );
    this.startAgent();
    this.tick();
  }

  close(): void {
    this.timer?.cancel();
    this.agent?.close();
    this.probe?.close();
  }

  private startAgent(): void {
    const via = this.rotation.current();
    const agent = new HomeAgent(this.env, { ...this.o.home, rendezvous: via });
    agent.onRegistered((observed) => {
      if (agent === this.agent) for (const cb of this.registeredCbs) cb(observed, via);
    });
    this.agent = agent;
    agent.start();
  }

  private tick(): void {
    this.missed = this.answered ? 0 : this.missed + 1;
    if (this.missed >= this.misses && this.rotation.size > 1) {
      const from = this.rotation.current();
      const to = this.rotation.advance();
      this.switches++;
      this.env.log.warn(
        { from: formatAddr(from), to: formatAddr(to) },
        'rendezvous node unreachable; moving to the next node',
      );
      this.agent?.close();
      this.startAgent();
      this.missed = 0;
    }
    this.answered = false;
    this.probeTx = this.env.rng.int(0xffffffff);
    this.probe?.send({ type: 'observe', tx: this.probeTx }, this.rotation.current(), {
      padTo: REQUEST_PAD,
    });
    this.timer = this.env.clock.setTimer(this.probeMs, () => this.tick());
  }
}
