// An established path from a client socket to the home: plain datagrams of application payload,
// round-trip pings, and keepalives that hold the NAT mappings open on both sides.
import type { Clock, Random, SocketAddr, TimerHandle, UdpEndpoint } from '../net/types.js';
import type { MessageSocket } from '../net/message-socket.js';
import { RoamGate, type RoamableChannel, type RoamCheck } from '../net/roam.js';
import { TxIds } from '../net/tx-ids.js';
import { sameAddr } from '../wire/addr.js';
import type { Message, SessionId } from '../wire/messages.js';

/** A keepalive unanswered this long counts as missed. */
const KEEPALIVE_ANSWER_MS = 2_000;

export interface ConnectionOptions {
  homeId: string;
  session: SessionId;
  /** Probe the home this often to keep both NAT mappings alive (0 = off). */
  keepaliveMs: number;
}

export class Connection implements RoamableChannel {
  private messageCbs: Array<(data: Uint8Array) => void> = [];
  /** Outstanding pings by tx: calls back with the RTT, or undefined on timeout/close. */
  private pending = new Map<number, (now: number | undefined) => void>();
  private keepaliveTimer: TimerHandle | undefined;
  private keepaliveCbs: Array<(rttMs: number | undefined) => void> = [];
  private closed = false;
  private readonly tx: TxIds;
  private roamCheck: RoamCheck | undefined;
  /** Moves to the home's new address (an authenticated frame from it), bounded in rate. */
  readonly roams = new RoamGate();

  constructor(
    private readonly sock: MessageSocket,
    private home: SocketAddr,
    private readonly clock: Clock,
    rng: Random,
    private readonly opts: ConnectionOptions,
  ) {
    this.tx = new TxIds(rng);
    sock.setHandler((msg, from) => this.handle(msg, from));
    this.scheduleKeepalive();
  }

  /** The home's address: where it was reached, or where its authenticated frames came from last. */
  get peer(): SocketAddr {
    return this.home;
  }

  onRoamCandidate(check: RoamCheck): void {
    this.roamCheck = check;
  }

  /** The socket this connection runs on (forwarded streams send on it too, when it is UDX). */
  get endpoint(): UdpEndpoint {
    return this.sock.ep;
  }

  get local(): SocketAddr | undefined {
    return this.sock.ep.localAddress();
  }

  send(data: Uint8Array): void {
    if (!this.closed) this.sock.send({ type: 'data', payload: data }, this.home);
  }

  onMessage(cb: (data: Uint8Array) => void): void {
    this.messageCbs.push(cb);
  }

  /**
   * Each keepalive's outcome (its RTT, or undefined: no answer within 2 s): the path's owner reads
   * these instead of pinging on a timer of its own (docs/upgrade.md "Liveness").
   */
  onKeepalive(cb: (rttMs: number | undefined) => void): void {
    this.keepaliveCbs.push(cb);
  }

  /** One probe round trip; calls back with the RTT in ms, or undefined on timeout. */
  ping(timeoutMs: number, cb: (rttMs: number | undefined) => void): void {
    if (this.closed) return cb(undefined);
    const tx = this.tx.next();
    const start = this.clock.now();
    const timer = this.clock.setTimer(timeoutMs, () => {
      this.pending.delete(tx);
      cb(undefined);
    });
    this.pending.set(tx, (now) => {
      timer.cancel();
      cb(now === undefined ? undefined : now - start);
    });
    this.sock.send(
      { type: 'probe', tx, homeId: this.opts.homeId, session: this.opts.session },
      this.home,
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keepaliveTimer?.cancel();
    for (const cb of this.pending.values()) cb(undefined);
    this.pending.clear();
    this.sock.close();
  }

  private scheduleKeepalive(): void {
    if (this.opts.keepaliveMs <= 0) return;
    this.keepaliveTimer = this.clock.setTimer(this.opts.keepaliveMs, () => {
      this.ping(Math.min(this.opts.keepaliveMs, KEEPALIVE_ANSWER_MS), (rtt) => {
        if (!this.closed) for (const cb of this.keepaliveCbs) cb(rtt);
      });
      this.scheduleKeepalive();
    });
  }

  private handle(msg: Message, from: SocketAddr): void {
    if (!sameAddr(from, this.home)) return this.roam(msg, from);
    if (msg.type === 'data') {
      for (const cb of this.messageCbs) cb(msg.payload);
    } else if (msg.type === 'probeReply') {
      const done = this.pending.get(msg.tx);
      if (done) {
        this.pending.delete(msg.tx);
        done(this.clock.now());
      }
    }
  }

  /** The home's mapping changed: only a frame that authenticates on the session moves us. */
  private roam(msg: Message, from: SocketAddr): void {
    const now = this.clock.now();
    if (msg.type !== 'data' || !this.roamCheck || !this.roams.open(now)) return;
    // Move first, so a reply the delivered frame triggers already goes to the new address.
    const old = this.home;
    this.home = from;
    if (this.roamCheck(msg.payload)) this.roams.moved(now);
    else this.home = old;
  }
}
