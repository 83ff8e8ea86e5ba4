// Hand-driven fakes for unit tests of the role state machines: a manual clock, a network that
// records every send and lets the test inject datagrams, and a deterministic random source.
import type {
  BindOptions,
  Clock,
  DatagramHandler,
  Env,
  Random,
  SendOptions,
  SocketAddr,
  TimerHandle,
  UdpEndpoint,
  UdpNet,
} from '../../src/net/types.js';
import { silentLogger } from '../../src/net/types.js';
import { decode, encode, REQUEST_PAD, type Message } from '../../src/wire/messages.js';

export class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];

  now(): number {
    return this.t;
  }

  /** Real time at construction plus the fake advance (signed registrations check it). */
  private readonly epoch = Date.now();
  wallNow(): number {
    return this.epoch + this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  /** Advance time, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((x) => x.live && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.t = due.at;
      due.fn();
    }
    this.timers = this.timers.filter((x) => x.live);
    this.t = end;
  }
}

export class SeqRandom implements Random {
  private s: number;
  constructor(seed = 1) {
    this.s = seed >>> 0 || 1;
  }
  private next(): number {
    // xorshift32: deterministic, good enough for tests
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(max: number): number {
    return max <= 1 ? 0 : this.next() % max;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

export interface Sent {
  from: FakeEndpoint;
  to: SocketAddr;
  msg: Message;
  ttl: number | undefined;
}

export class FakeEndpoint implements UdpEndpoint {
  closed = false;
  private handler: DatagramHandler = () => {};
  constructor(
    private readonly net: FakeNet,
    readonly local: SocketAddr,
  ) {}
  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void {
    if (this.closed) return;
    const r = decode(data);
    if (!r.ok) throw new Error(`role sent an undecodable datagram: ${r.error}`);
    this.net.sent.push({ from: this, to, msg: r.msg, ttl: opts?.ttl });
  }
  onDatagram(h: DatagramHandler): void {
    this.handler = h;
  }
  onError(): void {}
  localAddress(): SocketAddr {
    return this.local;
  }
  close(): void {
    this.closed = true;
  }
  /** Test injects a message as if it arrived from `from` (padded as real requests are). */
  deliver(msg: Message | Uint8Array, from: SocketAddr, padTo = REQUEST_PAD): void {
    if (!this.closed) this.handler(msg instanceof Uint8Array ? msg : encode(msg, padTo), from);
  }
}

export class FakeNet implements UdpNet {
  readonly endpoints: FakeEndpoint[] = [];
  sent: Sent[] = [];
  private nextPort = 40000;
  constructor(private readonly ip: string) {}
  open(opts: BindOptions = {}): FakeEndpoint {
    const ep = new FakeEndpoint(this, {
      ip: opts.ip ?? this.ip,
      port: opts.port || this.nextPort++,
    });
    this.endpoints.push(ep);
    return ep;
  }
  /** Sends so far, optionally only of one type; `take` also clears the log. */
  of<T extends Message['type']>(type: T): Array<Sent & { msg: Extract<Message, { type: T }> }> {
    return this.sent.filter((s) => s.msg.type === type) as Array<
      Sent & { msg: Extract<Message, { type: T }> }
    >;
  }
  clear(): void {
    this.sent = [];
  }
}

export function fakeEnv(ip: string, seed = 1): { env: Env; net: FakeNet; clock: FakeClock } {
  const net = new FakeNet(ip);
  const clock = new FakeClock();
  return { env: { net, clock, rng: new SeqRandom(seed), log: silentLogger }, net, clock };
}

/** Flips `count` random bits of `b` in place. */
export function flipBits(rng: Random, b: Uint8Array, count: number): void {
  for (let f = 0; f < count && b.length > 0; f++) {
    const i = rng.int(b.length);
    b[i] = (b[i] as number) ^ (1 << rng.int(8));
  }
}

/** Two MessageChannels wired to each other; `tap` sees (and may alter or drop) every frame. */
export function channelPair(
  clock: Clock,
  tap: (frame: Uint8Array, dir: 'ab' | 'ba') => Uint8Array | undefined = (f) => f,
): [MessageChannelLike, MessageChannelLike] {
  const cbs: [Array<(d: Uint8Array) => void>, Array<(d: Uint8Array) => void>] = [[], []];
  const mk = (me: 0 | 1): MessageChannelLike => ({
    send: (d) => {
      const f = tap(d, me === 0 ? 'ab' : 'ba');
      if (f) clock.setTimer(1, () => cbs[me === 0 ? 1 : 0].forEach((cb) => cb(f)));
    },
    onMessage: (cb) => void cbs[me].push(cb),
    close: () => {},
  });
  return [mk(0), mk(1)];
}

export interface MessageChannelLike {
  send(data: Uint8Array): void;
  onMessage(cb: (data: Uint8Array) => void): void;
  close(): void;
}
