// One connect attempt: patent steps 1-5 as a phase machine over the injected Env. It owns the
// sockets and timers; the methods that open the path (punch/patent-knock.ts, punch/reverse-spray.ts)
// run inside a round and stop with it.
//
//   direct ──(no answer)──► assist ──ack──► waitReady ──Ready──► reach ──(answer)──► done
//                              ▲                 │                  │
//                              └──── next round (bounded) ◄─────────┘ (timeout)
//
// "Correctness of the steps is ensured mainly by the client" (patent): every wait here has a
// timeout, every retransmission a bound, and the number of rounds is capped.
import type { Env, SocketAddr } from '../net/types.js';
import type { MessageSocket } from '../net/message-socket.js';
import { TxIds } from '../net/tx-ids.js';
import { withDefaults } from '../options.js';
import type { ClientRoundIo } from '../punch/round-io.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import {
  HOME_ID_PATTERN,
  type Message,
  type MessageOf,
  type PunchMode,
  type SessionId,
} from '../wire/messages.js';
import {
  DEFAULT_CONNECT,
  type ConnectConfig,
  type ConnectOptions,
  type ConnectReport,
  type ConnectResult,
  type StepName,
} from './connect-config.js';
import {
  fromRendezvousError,
  type ConnectErrorDetail,
  type ConnectErrorKind,
} from './connect-error.js';
import { attemptReport, failure } from './attempt-result.js';
import { RoundTimers } from './round-timers.js';
import { Connection } from './connection.js';
import { Progress } from './progress.js';
import { newSessionId } from '../net/tx-ids.js';
import { RendezvousRequests } from './requests.js';
import { ClientSockets } from './sockets.js';
import { knockFromFirstSocket, startMethod, step4Event } from './step4.js';
import { RoundNats } from './round-nats.js';

type Phase = 'direct' | 'assist' | 'waitReady' | 'reach' | 'done';

const MAX_BUSY_RETRIES = 5;

export class ConnectAttempt {
  private readonly cfg: ConnectConfig;
  private readonly progress: Progress;
  /** Step events for the caller (onStep). */
  private readonly say: Progress['emit'];
  private readonly sockets: ClientSockets;
  private phase: Phase = 'direct';
  private round = 0;
  private session: SessionId = '';
  private readonly requests: RendezvousRequests;
  /** One counter for every request and knock of the attempt. */
  private readonly tx: TxIds;
  /** This round's timers and method; ended with the round. */
  private readonly timers: RoundTimers;
  private home: SocketAddr | undefined;
  /** Our address as the rendezvous saw it in the assist ack (for the report). */
  private observed: SocketAddr | undefined;
  /** Learned before the first signed assist, which names it. */
  private selfObserved: SocketAddr | undefined;
  /** Sockets that already answered a spray packet this round. */
  private answeredSpray = new Set<MessageSocket>();
  private busyRetries = 0;
  private readonly io: ClientRoundIo;
  /** Issue 9: both NAT classes and the rounds' methods. */
  private readonly nats: RoundNats;

  constructor(
    private readonly env: Env,
    private readonly opts: ConnectOptions,
    private readonly done: (r: ConnectResult) => void,
  ) {
    this.cfg = withDefaults(DEFAULT_CONNECT, opts);
    this.timers = new RoundTimers(env.clock);
    this.progress = new Progress(env.clock, opts.onStep);
    this.say = (step, name, detail) => this.progress.emit(step, name, detail);
    this.sockets = new ClientSockets(env, opts.bindIp, (s, m, from) => this.handle(s, m, from));
    this.tx = new TxIds(env.rng);
    this.requests = new RendezvousRequests(
      env,
      this.tx,
      this.cfg.assistRetransmit,
      this.sockets.main,
      opts.rendezvous,
      opts.home,
      () => this.fail('no-rendezvous'),
    );
    this.io = {
      clock: env.clock,
      main: this.sockets.main,
      open: () => this.sockets.open(),
      knock: (sock, to) => this.knock(sock, to),
      timer: (ms, fn) => this.timers.add(ms, fn),
      alive: () => this.phase === 'reach',
    };
    this.nats = new RoundNats(env, opts);
  }

  start(): void {
    if (!HOME_ID_PATTERN.test(this.opts.home)) return this.fail('bad-home-id');
    // Classification runs beside the connect; no assist waits for it (round-nats.ts).
    this.nats.start(() => this.phase === 'reach' && this.replan());
    if (this.opts.direct && !this.cfg.forceAssist) return this.tryDirect(this.opts.direct);
    const why = this.cfg.forceAssist ? 'assisted path forced' : 'no direct address known';
    this.say(1, 'direct', `skipped (${why})`);
    this.startRound();
  }

  cancel(): void {
    this.fail('cancelled');
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private knock(sock: MessageSocket, to: SocketAddr): void {
    const homeId = this.opts.home;
    sock.send({ type: 'probe', tx: this.tx.next(), homeId, session: this.session }, to);
  }

  private report(
    path: ConnectReport['path'],
    peer?: SocketAddr,
    winner?: MessageSocket,
  ): ConnectReport {
    const { progress, sockets, nats, round, home, observed } = this;
    return attemptReport({ progress, sockets, nats, round, home, observed }, path, peer, winner);
  }

  private fail(kind: ConnectErrorKind, detail: Partial<ConnectErrorDetail> = {}): void {
    if (this.phase === 'done') return;
    // A failure claims no path: the report keeps what was tried and learned.
    const report = this.report('punched');
    this.finish();
    this.sockets.closeExtra();
    this.sockets.main.close();
    this.done(failure(kind, detail, report, this.opts));
  }

  private finish(): void {
    this.phase = 'done';
    this.timers.clear();
    this.requests.cancel();
    this.nats.stop();
  }

  // --- step 1: direct ---------------------------------------------------------------------------

  private tryDirect(addr: SocketAddr): void {
    this.phase = 'direct';
    this.session = newSessionId(this.env.rng);
    this.say(1, 'direct', `probing ${formatAddr(addr)} directly`);
    this.timers.spread(this.cfg.directProbes, this.cfg.directTimeoutMs, () =>
      this.knock(this.sockets.main, addr),
    );
    this.timers.add(this.cfg.directTimeoutMs, () => {
      this.progress.lap('direct');
      this.say(1, 'direct', `no answer in ${this.cfg.directTimeoutMs} ms; asking the rendezvous`);
      this.startRound();
    });
  }

  // --- step 2: assist request ------------------------------------------------------------------

  private startRound(): void {
    this.timers.clear();
    this.sockets.closeExtra();
    this.answeredSpray.clear();
    if (this.round >= this.cfg.rounds) return this.fail('no-path', { rounds: this.round });
    // A signed assist names our address as the rendezvous sees it, so learn it first.
    if (this.opts.trust && !this.selfObserved) {
      this.phase = 'assist';
      return this.requests.observe();
    }
    this.round++;
    this.phase = 'assist';
    this.session = newSessionId(this.env.rng);
    const rv = formatAddr(this.opts.rendezvous);
    this.say(2, 'assist', `round ${this.round}: assist request to ${rv}`);
    const session = this.session;
    const observed = this.selfObserved;
    this.requests.assist(
      session,
      this.mode(),
      () =>
        this.opts.trust && observed
          ? this.opts.trust.assistAuth(this.opts.home, session, observed)
          : new Uint8Array(0),
      this.nats.assistExt(),
    );
  }

  /** Round 1 (and every odd round) is the patent's; even rounds are reversed. */
  private mode(): PunchMode {
    return this.cfg.reverseRounds && this.round % 2 === 0 ? 'reverse' : 'patent';
  }

  private onObserved(msg: MessageOf<'observed'>): void {
    if (msg.tx !== this.requests.observeTx || this.selfObserved) return;
    this.requests.ack();
    this.selfObserved = msg.addr;
    this.startRound();
  }

  private onAssistAck(msg: MessageOf<'assistAck'>): void {
    if (this.phase !== 'assist' || msg.tx !== this.requests.assistTx) return;
    if (msg.session !== this.session) return;
    this.requests.ack();
    this.observed = msg.observed;
    this.nats.observed(msg.observed);
    this.progress.lap('assist');
    this.phase = 'waitReady';
    const seen = `rendezvous saw us at ${formatAddr(msg.observed)}`;
    this.say(3, this.step3(), `${seen}; home is opening holes`);
    this.timers.add(this.cfg.readyTimeoutMs, () => {
      this.progress.lap('spray');
      this.say(3, this.step3(), `no Ready in ${this.cfg.readyTimeoutMs} ms; retrying`);
      this.startRound();
    });
  }

  /** Step 3's verb: the home sprays in a patent round and knocks in a reversed one. */
  private step3(): StepName {
    return this.mode() === 'reverse' ? 'knock' : 'spray';
  }

  // --- step 4: reach the home -------------------------------------------------------------------

  private onReady(msg: MessageOf<'ready'>): void {
    if (msg.session !== this.session) return;
    if (this.phase === 'assist') this.requests.ack(); // the ack was lost; Ready implies it
    if (this.phase !== 'assist' && this.phase !== 'waitReady') return;
    this.timers.clear();
    this.progress.lap('spray');
    this.phase = 'reach';
    this.home = msg.home;
    const nats = this.nats.onReady(msg);
    if (this.replan()) return;
    this.say(4, ...step4Event(msg, this.cfg, nats));
    knockFromFirstSocket(this.io, msg, this.cfg);
    this.requests.addrQuery();
    this.timers.method = startMethod(this.io, this.env.rng, msg, this.cfg, nats);
    this.timers.add(this.cfg.punchTimeoutMs, () => {
      this.progress.lap('knock');
      this.say(5, 'settle', `no answer from the home in ${this.cfg.punchTimeoutMs} ms; new round`);
      this.startRound();
    });
  }

  /** Our class rules this round's method out: act now (true); the round doesn't count. */
  private replan(): boolean {
    const m = this.nats.misfit();
    if (m !== undefined && m !== 'next-round') this.fail('needs-relay', { reason: m.relay });
    else if (m === 'next-round') {
      this.progress.lap('knock');
      this.say(5, 'settle', `our NAT is ${this.nats.facts().clientNat}: new round`);
      this.round--;
      this.startRound();
    }
    return m !== undefined;
  }

  private onAddrReply(msg: MessageOf<'addrReply'>): void {
    if (msg.tx !== this.requests.addrTx || this.phase !== 'reach' || !this.home) return;
    if (!sameAddr(msg.home, this.home)) {
      // The home re-registered from a new mapping since Ready: knock there too.
      this.home = msg.home;
      for (let i = 0; i < this.cfg.probes; i++) this.knock(this.sockets.main, msg.home);
    }
  }

  // --- dispatch --------------------------------------------------------------------------------

  private handle(sock: MessageSocket, msg: Message, from: SocketAddr): void {
    if (this.phase === 'done') return;
    const fromRendezvous = sock === this.sockets.main && sameAddr(from, this.opts.rendezvous);
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
        if (
          msg.session === this.session &&
          !this.answeredSpray.has(sock) &&
          this.phase === 'reach'
        ) {
          this.answeredSpray.add(sock);
          this.knock(sock, from);
        }
        return;
      default:
        this.sockets.drops.count(`unexpected-${msg.type}`);
    }
  }

  private onError(msg: MessageOf<'error'>): void {
    const { assistTx, addrTx } = this.requests;
    if (msg.tx !== assistTx && msg.tx !== addrTx) return;
    const verdict = fromRendezvousError(msg.code, msg.message, msg.tx === assistTx);
    if (!verdict.retry && verdict.kind === 'needs-relay') this.nats.onNeedsRelay(msg.message);
    if (!verdict.retry) return this.fail(verdict.kind, verdict.detail);
    this.requests.cancel();
    if (++this.busyRetries > MAX_BUSY_RETRIES)
      return this.fail('rate-limited', { reason: msg.message });
    this.say(2, 'assist', `rendezvous busy (${msg.message}); retrying in 1 s`);
    this.round--;
    this.timers.add(1000, () => this.startRound());
  }

  // --- step 5: settle ---------------------------------------------------------------------------

  private win(sock: MessageSocket, from: SocketAddr): void {
    const path: ConnectReport['path'] = this.phase === 'direct' ? 'direct' : 'punched';
    this.progress.lap(this.phase === 'direct' ? 'direct' : 'knock');
    const report = this.report(path, from, sock);
    this.finish();
    this.sockets.closeExtra(sock);
    if (sock !== this.sockets.main) this.sockets.closeMain();
    this.say(5, 'settle', `${path}: home answered from ${formatAddr(from)} after ${report.ms} ms`);
    const connection = new Connection(sock, from, this.env.clock, this.env.rng, {
      homeId: this.opts.home,
      session: this.session,
      keepaliveMs: this.cfg.keepaliveMs,
    });
    this.done({ ok: true, report, connection });
  }
}
