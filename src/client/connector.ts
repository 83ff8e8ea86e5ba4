// The client connector: patent steps 1-5 as one state machine over the injected Env.
//
//   direct ──(no answer)──► assist ──ack──► waitReady ──Ready──► punch ──(answer)──► connected
//                              ▲                 │                  │
//                              └──── next round (bounded) ◄─────────┘ (timeout)
//
// "Correctness of the steps is ensured mainly by the client" (patent): every wait here has a
// timeout, every retransmission a bound, and the number of rounds is capped.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { withDefaults } from '../options.js';
import { DEFAULT_PORT_RANGE, pickSprayPorts } from '../punch/spray.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import {
  ErrorCode,
  HOME_ID_PATTERN,
  REQUEST_PAD,
  type Message,
  type PunchMode,
  type SessionId,
} from '../wire/messages.js';
import { Connection } from './connection.js';

export interface ConnectConfig {
  /** M: extra sockets that each probe the home's mapped port (patent: 500). */
  sockets: number;
  /** "Several" probes from the first socket to the home's mapped port (the cone case). */
  probes: number;
  probeSpacingMs: number;
  /** Socket opening pace: this many, then wait socketPaceMs (cheap routers drop bursts). */
  socketBatch: number;
  socketPaceMs: number;
  /** Each punch socket sends its probe this many times, socketRepeatMs apart (loss). */
  socketProbeRepeats: number;
  socketRepeatMs: number;
  /** After Ready: how long to wait for the home to answer before a new round. */
  punchTimeoutMs: number;
  /** After the assist ack: how long to wait for Ready. */
  readyTimeoutMs: number;
  /** Assisted rounds (patent step 5 loops back to step 2) before giving up. */
  rounds: number;
  directTimeoutMs: number;
  directProbes: number;
  assistRetransmit: RetransmitOptions;
  /** Keepalive period of the established path. */
  keepaliveMs: number;
  /** Skip step 1 even when a direct address is known. */
  forceAssist: boolean;
  /**
   * Every second round swaps roles (the client sprays ports of the home's IP, the home knocks
   * from many sockets): the way in when the home is the symmetric side.
   */
  reverseRounds: boolean;
  /** N for reversed rounds: ports of the home's IP the client sprays. */
  reverseSpray: number;
}

export const DEFAULT_CONNECT: ConnectConfig = {
  sockets: 500,
  probes: 3,
  probeSpacingMs: 20,
  socketBatch: 50,
  socketPaceMs: 2,
  socketProbeRepeats: 2,
  socketRepeatMs: 400,
  punchTimeoutMs: 2000,
  readyTimeoutMs: 3000,
  rounds: 3,
  directTimeoutMs: 400,
  directProbes: 3,
  assistRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  keepaliveMs: 15_000,
  forceAssist: false,
  reverseRounds: true,
  reverseSpray: 500,
};

export type StepName = 'direct' | 'assist' | 'spray' | 'knock' | 'settle';

export interface StepEvent {
  /** Patent step number 1-5. */
  step: 1 | 2 | 3 | 4 | 5;
  name: StepName;
  /** ms since connect() started. */
  atMs: number;
  detail: string;
}

export interface ConnectOptions extends Partial<ConnectConfig> {
  home: string;
  rendezvous: SocketAddr;
  direct?: SocketAddr;
  /** Local IP for every client socket (default: any). */
  bindIp?: string;
  onStep?: (e: StepEvent) => void;
  /** Signs assist requests (porthole client --state); without it the request is anonymous. */
  trust?: ClientTrust;
}

export interface ClientTrust {
  /** Proof over (home, session, the client's address as the rendezvous sees it). */
  assistAuth(homeId: string, session: string, observed: SocketAddr): Uint8Array;
}

export interface ConnectReport {
  path: 'direct' | 'punched';
  ms: number;
  steps: Record<string, number>;
  attempts: number;
  packetsSent: number;
  socketsOpened: number;
  home: string;
  clientObserved?: string;
  winner?: 'first-socket' | 'extra-socket';
}

export type ConnectResult =
  | { ok: true; report: ConnectReport; connection: Connection }
  | { ok: false; error: string; report: ConnectReport };

type Phase = 'direct' | 'assist' | 'waitReady' | 'punch' | 'done';

const MAX_BUSY_RETRIES = 5;

class ConnectAttempt {
  private readonly cfg: ConnectConfig;
  private readonly drops = new DropCounter();
  private readonly started: number;
  private readonly main: MessageSocket;
  private extra: MessageSocket[] = [];
  private closedSent = 0;
  private socketsOpened = 1;
  private phase: Phase = 'direct';
  private round = 0;
  private session: SessionId = '';
  private assist: Retransmitter | undefined;
  private assistTx = -1;
  private addrTx = -1;
  private timers: TimerHandle[] = [];
  private home: SocketAddr | undefined;
  private observed: SocketAddr | undefined;
  private readonly steps: Record<string, number> = {};
  private stepStart: number;
  private punched = new Set<MessageSocket>();
  private busyRetries = 0;

  constructor(
    private readonly env: Env,
    private readonly opts: ConnectOptions,
    private readonly done: (r: ConnectResult) => void,
  ) {
    this.cfg = withDefaults(DEFAULT_CONNECT, opts);
    this.started = env.clock.now();
    this.stepStart = this.started;
    this.main = this.openSocket();
  }

  start(): void {
    if (!HOME_ID_PATTERN.test(this.opts.home)) {
      return this.fail(`home id "${this.opts.home}" is not valid (1-64 of A-Z a-z 0-9 . _ -)`);
    }
    if (this.opts.direct && !this.cfg.forceAssist) return this.tryDirect(this.opts.direct);
    this.emit(
      1,
      'direct',
      this.cfg.forceAssist ? 'skipped (assisted path forced)' : 'skipped (no direct address known)',
    );
    this.startRound();
  }

  cancel(): void {
    this.fail('cancelled');
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private now(): number {
    return this.env.clock.now() - this.started;
  }

  private emit(step: StepEvent['step'], name: StepName, detail: string): void {
    this.opts.onStep?.({ step, name, atMs: Math.round(this.now() * 10) / 10, detail });
  }

  /** Close the current step's stopwatch under `name`. */
  private lap(name: string): void {
    const t = this.env.clock.now();
    this.steps[name] = Math.round(((this.steps[name] ?? 0) + t - this.stepStart) * 10) / 10;
    this.stepStart = t;
  }

  private openSocket(): MessageSocket {
    const ep = this.env.net.open(this.opts.bindIp ? { ip: this.opts.bindIp } : {});
    const sock: MessageSocket = new MessageSocket(ep, this.drops, this.env.log, (m, from) =>
      this.handle(sock, m, from),
    );
    return sock;
  }

  private timer(ms: number, fn: () => void): void {
    this.timers.push(this.env.clock.setTimer(ms, fn));
  }

  private clearTimers(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  private newSession(): SessionId {
    return Buffer.from(this.env.rng.bytes(8)).toString('hex');
  }

  private probe(sock: MessageSocket, to: SocketAddr): void {
    sock.send(
      {
        type: 'probe',
        tx: this.env.rng.int(0xffffffff),
        homeId: this.opts.home,
        session: this.session,
      },
      to,
    );
  }

  private closeExtra(keep?: MessageSocket): void {
    for (const s of this.extra) {
      if (s === keep) continue;
      this.closedSent += s.sent;
      s.close();
    }
    this.extra = keep && keep !== this.main ? [keep] : [];
  }

  private packetsSent(): number {
    return this.closedSent + this.main.sent + this.extra.reduce((n, s) => n + s.sent, 0);
  }

  private report(
    path: ConnectReport['path'],
    peer?: SocketAddr,
    winner?: MessageSocket,
  ): ConnectReport {
    return {
      path,
      ms: Math.round(this.now() * 10) / 10,
      steps: { ...this.steps },
      attempts: Math.max(1, this.round),
      packetsSent: this.packetsSent(),
      socketsOpened: this.socketsOpened,
      home: peer ? formatAddr(peer) : this.home ? formatAddr(this.home) : '',
      ...(this.observed ? { clientObserved: formatAddr(this.observed) } : {}),
      ...(winner ? { winner: winner === this.main ? 'first-socket' : 'extra-socket' } : {}),
    };
  }

  private fail(error: string): void {
    if (this.phase === 'done') return;
    const report = this.report(this.opts.direct && this.round === 0 ? 'direct' : 'punched');
    this.finish();
    this.closeExtra();
    this.main.close();
    this.done({ ok: false, error, report });
  }

  private finish(): void {
    this.phase = 'done';
    this.clearTimers();
    this.assist?.cancel();
  }

  // --- step 1: direct ---------------------------------------------------------------------------

  private tryDirect(addr: SocketAddr): void {
    this.phase = 'direct';
    this.session = this.newSession();
    this.emit(1, 'direct', `probing ${formatAddr(addr)} directly`);
    for (let i = 0; i < this.cfg.directProbes; i++) {
      const spacing = this.cfg.directTimeoutMs / Math.max(1, this.cfg.directProbes);
      this.timer(i * spacing, () => this.probe(this.main, addr));
    }
    this.timer(this.cfg.directTimeoutMs, () => {
      this.lap('direct');
      this.emit(1, 'direct', `no answer in ${this.cfg.directTimeoutMs} ms; asking the rendezvous`);
      this.startRound();
    });
  }

  // --- step 2: assist request ------------------------------------------------------------------

  private startRound(): void {
    this.clearTimers();
    this.closeExtra();
    this.punched.clear();
    if (this.round >= this.cfg.rounds) {
      return this.fail(
        `no path to home ${this.opts.home} after ${this.round} assisted rounds ` +
          `(both sides may be behind symmetric NATs; a relay is needed)`,
      );
    }
    // A signed assist names our address as the rendezvous sees it, so learn it first.
    if (this.opts.trust && !this.selfObserved) return this.observeSelf();
    this.round++;
    this.phase = 'assist';
    this.session = this.newSession();
    const tx = this.env.rng.int(0xffffffff);
    this.assistTx = tx;
    const auth =
      this.opts.trust && this.selfObserved
        ? this.opts.trust.assistAuth(this.opts.home, this.session, this.selfObserved)
        : new Uint8Array(0);
    this.emit(
      2,
      'assist',
      `round ${this.round}: assist request to ${formatAddr(this.opts.rendezvous)}`,
    );
    this.assist = new Retransmitter(
      this.env.clock,
      this.cfg.assistRetransmit,
      () =>
        this.main.send(
          {
            type: 'assist',
            tx,
            homeId: this.opts.home,
            session: this.session,
            mode: this.mode(),
            auth,
          },
          this.opts.rendezvous,
          { padTo: REQUEST_PAD },
        ),
      () =>
        this.fail(
          `rendezvous ${formatAddr(this.opts.rendezvous)} did not answer; is it running and reachable?`,
        ),
    ).start();
  }

  /** Round 1 (and every odd round) is the patent's; even rounds are reversed. */
  private mode(): PunchMode {
    return this.cfg.reverseRounds && this.round % 2 === 0 ? 'reverse' : 'patent';
  }

  private selfObserved: SocketAddr | undefined;
  private observeTx = -1;

  private observeSelf(): void {
    this.phase = 'assist';
    const tx = this.env.rng.int(0xffffffff);
    this.observeTx = tx;
    this.assist = new Retransmitter(
      this.env.clock,
      this.cfg.assistRetransmit,
      () => this.main.send({ type: 'observe', tx }, this.opts.rendezvous, { padTo: REQUEST_PAD }),
      () =>
        this.fail(
          `rendezvous ${formatAddr(this.opts.rendezvous)} did not answer; is it running and reachable?`,
        ),
    ).start();
  }

  private onObserved(msg: Extract<Message, { type: 'observed' }>): void {
    if (msg.tx !== this.observeTx || this.selfObserved) return;
    this.assist?.ack();
    this.selfObserved = msg.addr;
    this.startRound();
  }

  private onAssistAck(msg: Extract<Message, { type: 'assistAck' }>): void {
    if (this.phase !== 'assist' || msg.tx !== this.assistTx || msg.session !== this.session) return;
    this.assist?.ack();
    this.observed = msg.observed;
    this.lap('assist');
    this.phase = 'waitReady';
    this.emit(
      3,
      'spray',
      `rendezvous saw us at ${formatAddr(msg.observed)}; home is opening holes`,
    );
    this.timer(this.cfg.readyTimeoutMs, () => {
      this.lap('spray');
      this.emit(3, 'spray', `no Ready in ${this.cfg.readyTimeoutMs} ms; retrying`);
      this.startRound();
    });
  }

  // --- step 4: knock ---------------------------------------------------------------------------

  private onReady(msg: Extract<Message, { type: 'ready' }>): void {
    if (msg.session !== this.session) return;
    if (this.phase === 'assist') this.assist?.ack(); // the ack was lost; Ready implies it
    if (this.phase !== 'assist' && this.phase !== 'waitReady') return;
    this.clearTimers();
    this.lap('spray');
    this.phase = 'punch';
    this.home = msg.home;
    const home = msg.home;
    const reverse = msg.mode === 'reverse';
    this.emit(
      4,
      'knock',
      reverse
        ? `home knocked from its sockets; spraying ${this.cfg.reverseSpray} ports of ${home.ip}`
        : `home sprayed; probing ${formatAddr(home)} from 1 + ${this.cfg.sockets} sockets`,
    );
    this.probe(this.main, home);
    // Behind the same public IP as the home: its LAN addresses may be the shortest way in.
    for (const local of msg.locals) this.probe(this.main, local);
    for (let i = 1; i < this.cfg.probes; i++)
      this.timer(i * this.cfg.probeSpacingMs, () => this.probe(this.main, home));
    this.addrTx = this.env.rng.int(0xffffffff);
    this.main.send(
      { type: 'addrQuery', tx: this.addrTx, homeId: this.opts.home },
      this.opts.rendezvous,
      { padTo: REQUEST_PAD },
    );
    if (reverse) this.sprayHome(home);
    else this.openPunchSockets(home, 0);
    this.timer(this.cfg.punchTimeoutMs, () => {
      this.lap('knock');
      this.emit(5, 'settle', `no answer from the home in ${this.cfg.punchTimeoutMs} ms; new round`);
      this.startRound();
    });
  }

  /**
   * Reversed round: probes from our first socket to N random ports of the home's IP. One of
   * them may hit a port the home's many sockets opened towards us; that socket answers.
   */
  private sprayHome(home: SocketAddr): void {
    const ports = pickSprayPorts(
      this.env.rng,
      this.cfg.reverseSpray,
      DEFAULT_PORT_RANGE,
      home.port,
    );
    let i = 0;
    const batch = (): void => {
      if (this.phase !== 'punch') return;
      const end = Math.min(ports.length, i + this.cfg.socketBatch * 2);
      for (; i < end; i++) this.probe(this.main, { ip: home.ip, port: ports[i] as number });
      if (i < ports.length) this.timer(this.cfg.socketPaceMs, batch);
    };
    batch();
  }

  private openPunchSockets(home: SocketAddr, from: number): void {
    if (this.phase !== 'punch') return;
    const end = Math.min(this.cfg.sockets, from + this.cfg.socketBatch);
    for (let i = from; i < end; i++) {
      const s = this.openSocket();
      this.extra.push(s);
      this.socketsOpened++;
      this.probe(s, home);
      for (let r = 1; r < this.cfg.socketProbeRepeats; r++) {
        this.timer(r * this.cfg.socketRepeatMs, () => {
          if (!s.ep.closed) this.probe(s, home);
        });
      }
    }
    if (end < this.cfg.sockets)
      this.timer(this.cfg.socketPaceMs, () => this.openPunchSockets(home, end));
  }

  private onAddrReply(msg: Extract<Message, { type: 'addrReply' }>): void {
    if (msg.tx !== this.addrTx || this.phase !== 'punch' || !this.home) return;
    if (!sameAddr(msg.home, this.home)) {
      // The home re-registered from a new mapping since Ready: knock there too.
      this.home = msg.home;
      for (let i = 0; i < this.cfg.probes; i++) this.probe(this.main, msg.home);
    }
  }

  // --- dispatch --------------------------------------------------------------------------------

  private handle(sock: MessageSocket, msg: Message, from: SocketAddr): void {
    if (this.phase === 'done') return;
    const fromRendezvous = sock === this.main && sameAddr(from, this.opts.rendezvous);
    switch (msg.type) {
      case 'assistAck':
        if (fromRendezvous) this.onAssistAck(msg);
        return;
      case 'ready':
        if (fromRendezvous) this.onReady(msg);
        return;
      case 'addrReply':
        if (fromRendezvous) this.onAddrReply(msg);
        return;
      case 'observed':
        if (fromRendezvous) this.onObserved(msg);
        return;
      case 'error':
        if (fromRendezvous) this.onError(msg);
        return;
      case 'probeReply':
        if (msg.session === this.session) this.win(sock, from);
        return;
      case 'punch':
        // A spray packet got through to this socket (the client's NAT let it in): answer it, so
        // the home's reply completes the path even when its mapping differs from the registered one.
        if (msg.session === this.session && !this.punched.has(sock) && this.phase === 'punch') {
          this.punched.add(sock);
          this.probe(sock, from);
        }
        return;
      default:
        this.drops.count(`unexpected-${msg.type}`);
    }
  }

  private onError(msg: Extract<Message, { type: 'error' }>): void {
    if (msg.tx !== this.assistTx && msg.tx !== this.addrTx) return;
    if (msg.code === ErrorCode.UnknownHome) {
      return this.fail(
        `home ${this.opts.home} is not registered with the rendezvous (is the home agent running?)`,
      );
    }
    if (msg.code === ErrorCode.Unauthorized) return this.fail(`the home refused: ${msg.message}`);
    if (
      (msg.code === ErrorCode.Busy || msg.code === ErrorCode.RateLimited) &&
      msg.tx === this.assistTx
    ) {
      this.assist?.cancel();
      // Busy is not a failed punch: retry without spending a round, a bounded number of times.
      if (++this.busyRetries > MAX_BUSY_RETRIES)
        return this.fail(`rendezvous busy: ${msg.message}`);
      this.emit(2, 'assist', `rendezvous busy (${msg.message}); retrying in 1 s`);
      this.round--;
      this.timer(1000, () => this.startRound());
      return;
    }
    this.fail(`rendezvous refused: ${msg.message}`);
  }

  // --- step 5: settle ---------------------------------------------------------------------------

  private win(sock: MessageSocket, from: SocketAddr): void {
    const path: ConnectReport['path'] = this.phase === 'direct' ? 'direct' : 'punched';
    this.lap(this.phase === 'direct' ? 'direct' : 'knock');
    const report = this.report(path, from, sock);
    this.finish();
    this.closeExtra(sock);
    if (sock !== this.main) {
      this.closedSent += this.main.sent;
      this.main.close();
    }
    this.emit(5, 'settle', `${path}: home answered from ${formatAddr(from)} after ${report.ms} ms`);
    const connection = new Connection(sock, from, this.env.clock, this.env.rng, {
      homeId: this.opts.home,
      session: this.session,
      keepaliveMs: this.cfg.keepaliveMs,
    });
    this.done({ ok: true, report, connection });
  }
}

/** Runs patent steps 1-5 towards `opts.home`; `done` is called exactly once. */
export function connect(
  env: Env,
  opts: ConnectOptions,
  done: (r: ConnectResult) => void,
): { cancel(): void } {
  const attempt = new ConnectAttempt(env, opts, done);
  attempt.start();
  return { cancel: () => attempt.cancel() };
}

/** Promise form for callers outside the protocol core (CLI, app). */
export function connectAsync(env: Env, opts: ConnectOptions): Promise<ConnectResult> {
  return new Promise((resolve) => connect(env, opts, resolve));
}
