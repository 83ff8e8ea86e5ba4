// The home's extra direct candidates (issue 13): a router port mapping of its bound port (only
// once verified through the rendezvous) and a socket on a global IPv6 address. Both are sent to
// the rendezvous (`candidates`, again every `refreshMs`); a client's IPv6 addresses arrive as
// `peerCandidates` and get a short knock from the IPv6 socket, which opens the home's stateful
// firewall to that client while the client knocks towards us.
// A secure home publishes nothing: the rendezvous forwards each client's signed query here, and
// only a client the home would accept for an assist gets the list (others an empty one).
import { boundAddr } from '../net/bound.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { localIpv6 } from '../net/local-ipv6.js';
import type { TxIds } from '../net/tx-ids.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import {
  createPortMapper,
  type HomePortmapOptions,
  type PortMapper,
  type PortmapMode,
  type PortmapStatus,
} from '../portmap/index.js';
import { addrKey, formatAddr } from '../wire/addr.js';
import type { Candidate } from '../wire/candidates.js';
import { encode, type Message, type MessageOf } from '../wire/messages.js';
import { MapCheck } from './map-check.js';

/** `--ipv6`: pick global addresses, none, or these (the lab's documentation prefix). */
export type Ipv6Choice = 'auto' | 'off' | readonly string[];

export interface CandidateOptions {
  /** Default 'off' here; the CLI's default is 'auto'. */
  portmap?: PortmapMode;
  /** Default 'off' here; the CLI's default is 'auto'. */
  ipv6?: Ipv6Choice;
  /** Tests and the lab: replace the router mapper (e.g. a fake, or narrower protocols). */
  mapper?: (o: HomePortmapOptions) => PortMapper | undefined;
}

export interface CandidateDeps {
  id: string;
  /** The rendezvous the home is registered with now (it may rotate between nodes). */
  rendezvous: () => SocketAddr;
  tx: TxIds;
  send: (msg: Message, to: SocketAddr, padTo?: number) => void;
  port: () => number | undefined;
  observedIp: () => string | undefined;
  /** Secure home: may this client's query learn our candidates? (HomeTrust.authorizeCandidates) */
  authorize?: (msg: MessageOf<'candidatesQuery'>) => { ok: true } | { ok: false; reason: string };
  /** Something `status` shows changed (port mapping, IPv6 socket): status file, metrics. */
  changed?: () => void;
  /** Datagrams on the IPv6 socket (probes and data of clients that came that way). */
  onV6Message: (sock: MessageSocket, msg: Message, from: SocketAddr) => void;
}

export interface CandidateStatus {
  portmap: PortmapStatus;
  ipv6: string | undefined;
  knocks: number;
  /** What clients get (a secure home: only clients it accepts), e.g. "mapped 203.0.113.5:7401". */
  advertised: string[];
  /** Candidates queries a secure home refused (not paired, bad signature…). */
  refused: number;
}

const REFRESH_MS = 20_000;
const KNOCKS = 10;
const KNOCK_MS = 50;
const MAX_KNOCK_JOBS = 8;
/** Answers to forwarded queries, kept so a retransmission (same signature) gets the same one. */
const MAX_ANSWERS = 64;

export class HomeCandidates {
  private mapper: PortMapper | undefined;
  private readonly check: MapCheck;
  private v6: MessageSocket | undefined;
  private mapped: SocketAddr | undefined;
  private refresh: TimerHandle | undefined;
  /** Knocks in progress, by the client address they go to. */
  private knockJobs = new Map<string, TimerHandle>();
  private started = false;
  private readonly answers = new Map<string, Candidate[]>();
  knocks = 0;
  refused = 0;

  constructor(
    private readonly env: Env,
    private readonly opts: CandidateOptions,
    private readonly deps: CandidateDeps,
    private readonly drops: DropCounter,
  ) {
    this.check = new MapCheck(env, deps.id, deps.rendezvous, deps.tx, deps.send);
  }

  get status(): CandidateStatus {
    const v6 = this.v6Addr();
    return {
      portmap: this.mapper?.status ?? { state: 'off' },
      ipv6: v6 && formatAddr(v6),
      knocks: this.knocks,
      advertised: this.list().map((c) => `${c.kind} ${formatAddr(c.addr)}`),
      refused: this.refused,
    };
  }

  /** After the first registration: the bound port and the observed IP are known. */
  onRegistered(): void {
    // Both off (the library default): nothing runs, nothing extra is sent.
    if (this.opts.portmap !== 'auto' && (this.opts.ipv6 ?? 'off') === 'off') return;
    if (!this.started) this.begin();
    this.advertise();
  }

  private begin(): void {
    this.started = true;
    const port = this.deps.port();
    if (port) this.startMapper(port);
    const ip = this.chooseIpv6();
    if (ip) {
      const ep = this.env.net.open({ ip });
      this.v6 = new MessageSocket(ep, this.drops, this.env.log, (m, from) =>
        this.deps.onV6Message(this.v6!, m, from),
      );
      // Advertise again once bound (node binds asynchronously; the port is part of the candidate).
      void boundAddr(this.env.clock, ep).then((at) => {
        if (!at) return this.env.log.warn({ ipv6: ip }, 'cannot bind the IPv6 candidate socket');
        this.env.log.info({ ipv6: formatAddr(at) }, 'IPv6 candidate socket open');
        this.advertise();
        this.deps.changed?.();
      });
    }
    const tick = (): void => {
      this.advertise();
      this.refresh = this.env.clock.setTimer(REFRESH_MS, tick);
    };
    this.refresh = this.env.clock.setTimer(REFRESH_MS, tick);
  }

  private startMapper(internalPort: number): void {
    const o: HomePortmapOptions = {
      env: this.env,
      mode: this.opts.portmap ?? 'off',
      internalPort,
      observedIp: this.deps.observedIp,
      verify: (external) => this.check.verify(external),
      onChange: (s) => this.onPortmap(s),
    };
    this.mapper = (this.opts.mapper ?? createPortMapper)(o);
    this.mapper?.start();
  }

  private onPortmap(s: PortmapStatus): void {
    this.env.log.info(
      {
        portmap: s.state,
        protocol: s.protocol,
        external: s.external && formatAddr(s.external),
        reason: s.reason,
      },
      'port mapping',
    );
    const next = s.state === 'mapped' ? s.external : undefined;
    const moved = next?.ip !== this.mapped?.ip || next?.port !== this.mapped?.port;
    this.mapped = next;
    // After the update, so `home status` never shows a mapping without its advert; renewals
    // report too (the lease restarts).
    this.deps.changed?.();
    if (moved) this.advertise();
  }

  private chooseIpv6(): string | undefined {
    const c = this.opts.ipv6 ?? 'off';
    if (c === 'off') return undefined;
    if (c !== 'auto') return c[0];
    return localIpv6();
  }

  private v6Addr(): SocketAddr | undefined {
    const a = this.v6?.ep.localAddress();
    return a && a.port ? a : undefined;
  }

  list(): Candidate[] {
    const out: Candidate[] = [];
    if (this.mapped) out.push({ kind: 'mapped', addr: this.mapped });
    const v6 = this.v6Addr();
    if (v6) out.push({ kind: 'ipv6', addr: v6 });
    return out;
  }

  private advertise(): void {
    if (this.deps.authorize) return; // secure: answered per signed query instead
    const msg = {
      type: 'candidates',
      tx: this.deps.tx.next(),
      homeId: this.deps.id,
      list: this.list(),
    } as const;
    this.deps.send(msg, this.deps.rendezvous());
  }

  onMapNonce(msg: MessageOf<'mapNonce'>): void {
    this.check.onNonce(msg);
  }

  /** A secure home's answer to a client's query the rendezvous forwarded (same tx back). */
  onQuery(msg: MessageOf<'candidatesQuery'>, from: SocketAddr): void {
    const key = `${msg.session}/${Buffer.from(msg.auth).toString('hex')}`;
    let list = this.answers.get(key);
    if (!list) {
      const v = this.deps.authorize?.(msg) ?? { ok: true };
      if (v.ok) this.knockTowards(msg.session, msg.list);
      else {
        this.refused++;
        this.drops.count('candidates-refused');
        this.env.log.debug({ session: msg.session, reason: v.reason }, 'candidates query refused');
      }
      list = v.ok ? this.list() : [];
      if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(key, list);
    }
    this.deps.send({ type: 'peerCandidates', tx: msg.tx, session: msg.session, list }, from);
  }

  /** A client's IPv6 addresses for `session`: knock towards them so our firewall lets it in. */
  onPeerCandidates(msg: MessageOf<'peerCandidates'>): void {
    this.knockTowards(msg.session, msg.list);
  }

  private knockTowards(session: string, list: readonly Candidate[]): void {
    const sock = this.v6;
    if (!sock) return;
    for (const c of list.filter((x) => x.kind === 'ipv6').slice(0, 2)) {
      const key = addrKey(c.addr);
      if (this.knockJobs.has(key)) continue;
      if (this.knockJobs.size >= MAX_KNOCK_JOBS) return this.drops.count('knock6-busy');
      const payload = encode({ type: 'punch', session });
      let n = 0;
      const step = (): void => {
        this.knockJobs.delete(key);
        if (sock.ep.closed || n++ >= KNOCKS) return;
        sock.ep.send(payload, c.addr);
        this.knocks++;
        this.knockJobs.set(key, this.env.clock.setTimer(KNOCK_MS, step));
      };
      this.knockJobs.set(key, this.env.clock.setTimer(0, step));
    }
  }

  /** A client's probe reached the IPv6 socket: stop knocking towards it (all: on close). */
  stopKnocks(to?: SocketAddr): void {
    for (const [key, job] of this.knockJobs) {
      if (to && key !== addrKey(to)) continue;
      job.cancel();
      this.knockJobs.delete(key);
    }
  }

  /**
   * Deletes the router mapping (bounded by the mapper's own deadline). Not `async`: without a
   * mapper nothing is left pending — an `await` here would park a continuation holding this
   * home (and through its Env the whole virtual world) in the microtask queue, which a
   * synchronous simulation loop never drains (issue 21 item 8: ~0.6 MB kept per trial).
   */
  close(): Promise<void> {
    this.refresh?.cancel();
    this.stopKnocks();
    this.check.close();
    this.v6?.close();
    return this.mapper ? this.mapper.close() : Promise.resolve();
  }
}
