// An established path from a client socket to the home: plain datagrams of application payload,
// round-trip pings, and keepalives that hold the NAT mappings open on both sides.
import type { Clock, Random, SocketAddr, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import type { MessageSocket } from '../net/message-socket.js';
import { TxIds } from '../net/tx-ids.js';
import { sameAddr } from '../wire/addr.js';
import type { Message, SessionId } from '../wire/messages.js';

export interface ConnectionOptions {
  homeId: string;
  session: SessionId;
  /** Probe the home this often to keep both NAT mappings alive (0 = off). */
  keepaliveMs: number;
}

export class Connection implements MessageChannel {
  private messageCbs: Array<(data: Uint8Array) => void> = [];
  /** Outstanding pings by tx: calls back with the RTT, or undefined on timeout/close. */
  private pending = new Map<number, (now: number | undefined) => void>();
  private keepaliveTimer: TimerHandle | undefined;
  private closed = false;
  private readonly tx: TxIds;

  constructor(
    private readonly sock: MessageSocket,
    readonly peer: SocketAddr,
    private readonly clock: Clock,
    rng: Random,
    private readonly opts: ConnectionOptions,
  ) {
    this.tx = new TxIds(rng);
    sock.setHandler((msg, from) => this.handle(msg, from));
    this.scheduleKeepalive();
  }

  get local(): SocketAddr | undefined {
    return this.sock.ep.localAddress();
  }

  send(data: Uint8Array): void {
    if (!this.closed) this.sock.send({ type: 'data', payload: data }, this.peer);
  }

  onMessage(cb: (data: Uint8Array) => void): void {
    this.messageCbs.push(cb);
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
      this.peer,
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
      this.ping(this.opts.keepaliveMs, () => {});
      this.scheduleKeepalive();
    });
  }

  private handle(msg: Message, from: SocketAddr): void {
    if (!sameAddr(from, this.peer)) return;
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
}
