// Binding transactions from one socket: each request is retransmitted with a bound and matched
// to its answer by transaction id; the callback runs once, with the answer and where it came
// from, or with undefined when the send budget is spent.
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import { isIPv6 } from 'node:net';
import type { Env, SendOptions, SocketAddr, UdpEndpoint } from '../net/types.js';
import { BINDING, decodeStun, encodeStun, isStun, type StunMessage } from './stun-codec.js';

export interface StunAnswer {
  readonly msg: StunMessage;
  readonly from: SocketAddr;
  /** XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (old servers). */
  readonly mapped: SocketAddr | undefined;
}

export type AnswerHandler = (a: StunAnswer | undefined) => void;

/** At most this many transactions in flight per socket (a bound, not a tuning knob). */
const MAX_PENDING = 32;

interface Pending {
  readonly rt: Retransmitter;
  readonly done: AnswerHandler;
}

export interface RequestOptions {
  readonly change?: { ip: boolean; port: boolean };
  /** Sent before each (re)transmission of the request, from the same socket (nat-depth). */
  readonly before?: { data: Uint8Array; to: SocketAddr; send: SendOptions };
}

export class StunClient {
  private readonly pending = new Map<string, Pending>();
  /** Datagrams sent, retransmissions included. */
  sent = 0;
  /** STUN indications that reach this socket (the hairpin test's probe). */
  onIndication: (msg: StunMessage, from: SocketAddr) => void = () => {};

  constructor(
    private readonly env: Env,
    readonly socket: UdpEndpoint,
    private readonly retransmit: RetransmitOptions,
  ) {
    socket.onDatagram((data, from) => this.onDatagram(data, from));
  }

  request(to: SocketAddr, done: AnswerHandler, opts: RequestOptions = {}): void {
    if (this.pending.size >= MAX_PENDING || this.socket.closed) {
      this.env.clock.setTimer(0, () => done(undefined));
      return;
    }
    const txId = this.env.rng.bytes(12);
    const id = hex(txId);
    const data = encodeStun({
      cls: 'request',
      method: BINDING,
      txId,
      changeRequest: opts.change,
      fingerprint: true,
    });
    const rt = new Retransmitter(
      this.env.clock,
      this.retransmit,
      () => {
        if (opts.before) {
          this.socket.send(opts.before.data, opts.before.to, opts.before.send);
          this.sent++;
        }
        this.socket.send(data, to);
        this.sent++;
      },
      () => {
        this.pending.delete(id);
        done(undefined);
      },
    );
    this.pending.set(id, { rt, done });
    rt.start();
  }

  private onDatagram(data: Uint8Array, from: SocketAddr): void {
    if (!isStun(data)) return;
    const d = decodeStun(data);
    if (d.ok && d.msg.cls === 'indication') return this.onIndication(d.msg, from);
    if (!d.ok || (d.msg.cls !== 'success' && d.msg.cls !== 'error')) return;
    const id = hex(d.msg.txId);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.rt.ack();
    p.done({ msg: d.msg, from, mapped: d.msg.xorMapped ?? d.msg.mapped });
  }

  /** Stops every transaction (their callbacks never run) and closes the socket. */
  close(): void {
    for (const p of this.pending.values()) p.rt.cancel();
    this.pending.clear();
    this.socket.close();
  }
}

/** A fresh socket for talking to `server` (an IPv6 server needs an IPv6 socket). */
export function openClient(
  env: Env,
  server: SocketAddr,
  retransmit: RetransmitOptions,
  bindIp?: string,
): StunClient {
  const ip = bindIp ?? (isIPv6(server.ip) ? '::' : undefined);
  const ep = env.net.open(ip === undefined ? {} : { ip });
  ep.onError((err) => env.log.debug({ err: err.message }, 'stun client socket error'));
  return new StunClient(env, ep, retransmit);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
