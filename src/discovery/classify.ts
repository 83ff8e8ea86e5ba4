// Client side of RFC 5780 NAT behaviour discovery, as a state machine over Env. The verdict is
// whatever was learned by the deadline (unknown fields stay 'unknown'; the machine never hangs).
// Until filtering is known, every socket talks to the primary endpoint P only:
//
// - test I (socket S) gives the mapping M1 and the server's OTHER-ADDRESS O;
// - filtering (socket F): CHANGE-REQUEST ip+port answered → independent; else change port
//   answered → address; else address-port. Without a second IP (the server answers 420) an
//   answered port change means "at most address-dependent": we say 'address', the stricter.
// - allocation: k fresh sockets, one after the other, each asks P. Every mapped port == its local
//   port → preserving; a constant small step between consecutive mapped ports → sequential
//   (delta); otherwise random.
//
// Hairpin (hairpin.ts), once allocation is done (its socket adds a mapping) and M1 is known.
//
// Then mapping, from S: test II to (O.ip, P.port) and test III to O: M2 == M1 → independent,
// M3 == M2 → address, else address-port. They come last because contacting O opens filters
// (on some NATs for every socket of the host, as the lab's "restricted" router does) and adds
// mappings between the allocation probes. With only a second PORT (O.ip == P.ip) one test to
// (P.ip, O.port) tells port-dependent mapping (M2 != M1 → address-port) from the rest, but not
// independent from address-dependent (that needs a second IP): we then say 'independent',
// because RFC 4787 REQ-1 makes address-dependent mapping rare and the strategy ladder falls
// back when a knock fails.
import type { RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { HairpinTest } from './hairpin.js';
import { sameAddr } from '../wire/addr.js';
import type { Allocation, Filtering, Mapping, NatClass } from './nat-class.js';
import { openClient, type StunClient, type StunAnswer } from './stun-client.js';

export interface ClassifyOptions {
  /** The STUN server's primary endpoint (the rendezvous's port). */
  readonly server: SocketAddr;
  readonly retransmit: RetransmitOptions;
  /** Fresh sockets for the allocation test (≥ 3 to see two equal steps). */
  readonly allocationProbes: number;
  /** Hard bound on the whole classification. */
  readonly deadlineMs: number;
  /** Largest |step| between consecutive mappings still called sequential. */
  readonly maxSequentialStep: number;
  readonly bindIp?: string;
}

export const DEFAULT_CLASSIFY: Omit<ClassifyOptions, 'server'> = {
  // Sends at 0, 100, 300, 500 ms; a silent test gives up at 700 ms.
  retransmit: { rtoMs: 100, maxRtoMs: 200, maxSends: 4 },
  allocationProbes: 3,
  // ~0.8 s when nothing is lost on a short path (the silent tests give up at 700 ms); the
  // deadline leaves room for 200 ms round trips before it cuts a strand short.
  deadlineMs: 2500,
  maxSequentialStep: 16,
};

export interface ClassifyResult {
  readonly nat: NatClass;
  /** Our public address as the primary endpoint saw it (test I). */
  readonly mapped?: SocketAddr;
  /** Mapped != local address (undefined: bound to a wildcard address, so it cannot be told). */
  readonly behindNat?: boolean;
  /** The server's OTHER-ADDRESS. */
  readonly other?: SocketAddr;
  /** What the server offered: a second IP, a second port. */
  readonly altIp: boolean;
  readonly altPort: boolean;
  /** Datagrams sent, retransmissions included. */
  readonly sent: number;
  readonly elapsedMs: number;
  /** Why a field stayed unknown, or what was assumed. */
  readonly notes: readonly string[];
}

/** A filtering probe's outcome: answered, silent (timed out) or refused (420: no such endpoint). */
type Probe = 'answered' | 'silent' | 'refused' | 'pending';

export class NatClassifier {
  private readonly clients: StunClient[] = [];
  private deadline: TimerHandle | undefined;
  private started = 0;
  private finished = false;
  private done: ((r: ClassifyResult) => void) | undefined;
  private mapping: Mapping = 'unknown';
  private filtering: Filtering = 'unknown';
  private allocation: Allocation = 'unknown';
  private delta: number | undefined;
  private mapped: SocketAddr | undefined;
  private other: SocketAddr | undefined;
  private behindNat: boolean | undefined;
  /** Socket S once test I is answered, until tests II/III start. */
  private testI: StunClient | undefined;
  private mappingDone = false;
  private filteringDone = false;
  private allocationDone = false;
  private hairpin: boolean | undefined;
  private hairpinDone = false;
  private hairpinTest: HairpinTest | undefined;
  private readonly notes: string[] = [];
  private readonly probes: { ipPort: Probe; port: Probe } = { ipPort: 'pending', port: 'pending' };

  constructor(
    private readonly env: Env,
    private readonly opts: ClassifyOptions,
  ) {}

  start(done: (r: ClassifyResult) => void): void {
    this.done = done;
    this.started = this.env.clock.now();
    this.deadline = this.env.clock.setTimer(this.opts.deadlineMs, () => {
      this.notes.push(`deadline ${this.opts.deadlineMs} ms reached`);
      this.finish();
    });
    const s = this.client();
    s.request(this.opts.server, (a) => this.onTestI(s, a));
    const f = this.client();
    f.request(this.opts.server, (a) => this.onFilter('ipPort', a), {
      change: { ip: true, port: true },
    });
    f.request(this.opts.server, (a) => this.onFilter('port', a), {
      change: { ip: false, port: true },
    });
    this.startAllocation();
  }

  cancel(): void {
    this.finished = true;
    this.cleanup();
  }

  /** Datagrams sent so far, retransmissions included. */
  get sent(): number {
    return this.clients.reduce((n, c) => n + c.sent, 0);
  }

  private client(): StunClient {
    const c = openClient(this.env, this.opts.server, this.opts.retransmit, this.opts.bindIp);
    this.clients.push(c);
    return c;
  }

  // --- mapping ------------------------------------------------------------------------------

  private onTestI(s: StunClient, a: StunAnswer | undefined): void {
    if (!a?.mapped || a.msg.cls !== 'success') {
      this.notes.push('no answer to test I: STUN blocked or server down');
      return this.finish();
    }
    this.mapped = a.mapped;
    const local = s.socket.localAddress();
    if (local && local.ip !== '0.0.0.0' && local.ip !== '::')
      this.behindNat = !sameAddr(local, a.mapped);
    this.other = concrete(a.msg.otherAddress, this.opts.server);
    this.testI = s;
    this.maybeStartHairpin(s);
    this.maybeStartMapping();
  }

  /**
   * Tests II and III contact the other endpoints, which opens filters for them (on some NATs
   * for every socket of the host, as the lab's "restricted" router does): they wait until the
   * filtering and allocation strands are done.
   */
  private maybeStartMapping(): void {
    const s = this.testI;
    if (!s || !this.filteringDone || !this.allocationDone || this.finished) return;
    this.testI = undefined;
    const p = this.opts.server;
    const o = this.other;
    const m1 = this.mapped as SocketAddr;
    if (!o || sameAddr(o, p)) {
      this.notes.push('server has no OTHER-ADDRESS: mapping unknown');
      this.mappingDone = true;
      return this.maybeFinish();
    }
    if (o.ip === p.ip) {
      s.request({ ip: p.ip, port: o.port }, (b) => {
        if (!b?.mapped) return this.mappingFailed();
        if (sameAddr(b.mapped, m1)) {
          this.notes.push('one server IP: independent and address-dependent mapping look alike');
          this.mapping = 'independent';
        } else this.mapping = 'address-port';
        this.mappingDone = true;
        this.maybeFinish();
      });
      return;
    }
    let m2: SocketAddr | undefined | null = null;
    let m3: SocketAddr | undefined | null = null;
    const decide = (): void => {
      if (m2 === null || m3 === null) return;
      if (!m2 || !m3) return this.mappingFailed();
      this.mapping = sameAddr(m2, m1)
        ? 'independent'
        : sameAddr(m3, m2)
          ? 'address'
          : 'address-port';
      this.mappingDone = true;
      this.maybeFinish();
    };
    s.request({ ip: o.ip, port: p.port }, (b) => ((m2 = b?.mapped), decide()));
    s.request(o, (b) => ((m3 = b?.mapped), decide()));
  }

  private maybeStartHairpin(s: StunClient): void {
    const m1 = this.mapped;
    if (!m1 || !this.allocationDone || this.hairpinTest || this.finished) return;
    const test = new HairpinTest(this.env, this.opts.retransmit, this.opts.server);
    this.hairpinTest = test;
    test.start(s, m1, this.client(), (hairpin) => {
      this.hairpin = hairpin;
      this.hairpinDone = true;
      this.maybeFinish();
    });
  }

  private mappingFailed(): void {
    this.notes.push('a mapping test went unanswered');
    this.mappingDone = true;
    this.maybeFinish();
  }

  // --- filtering ----------------------------------------------------------------------------

  private onFilter(which: 'ipPort' | 'port', a: StunAnswer | undefined): void {
    this.probes[which] = !a ? 'silent' : a.msg.cls === 'success' ? 'answered' : 'refused';
    const { ipPort, port } = this.probes;
    if (ipPort === 'answered') this.filtering = 'independent';
    else if (ipPort === 'pending' || port === 'pending') return;
    else if (port === 'answered') {
      this.filtering = 'address';
      if (ipPort === 'refused')
        this.notes.push('one server IP: filtering is at most address-dependent');
    } else if (port === 'silent') this.filtering = 'address-port';
    else this.notes.push('server refused CHANGE-REQUEST: filtering unknown');
    this.filteringDone = true;
    this.maybeStartMapping();
  }

  // --- allocation ---------------------------------------------------------------------------

  private startAllocation(): void {
    const seen: Array<{ local: number; mapped: number }> = [];
    const next = (): void => {
      if (this.finished) return;
      if (seen.length >= this.opts.allocationProbes) return this.decideAllocation(seen);
      const c = this.client();
      c.request(this.opts.server, (a) => {
        const local = c.socket.localAddress()?.port;
        if (!a?.mapped || local === undefined) {
          this.notes.push('an allocation probe went unanswered');
          this.allocationDone = true;
          return this.afterAllocation();
        }
        seen.push({ local, mapped: a.mapped.port });
        next();
      });
    };
    next();
  }

  private decideAllocation(seen: ReadonlyArray<{ local: number; mapped: number }>): void {
    const steps = seen.slice(1).map((s, i) => s.mapped - (seen[i] as { mapped: number }).mapped);
    const sign = Math.sign(steps[0] ?? 0);
    if (seen.every((s) => s.mapped === s.local)) this.allocation = 'preserving';
    else if (
      sign !== 0 &&
      steps.every((d) => Math.sign(d) === sign && Math.abs(d) <= this.opts.maxSequentialStep)
    ) {
      // Small steps of one sign: sequential. Another socket of the host (a connect running
      // beside us) may take a port between two probes, doubling a step: delta is their gcd.
      this.allocation = 'sequential';
      this.delta = sign * steps.map(Math.abs).reduce(gcd);
    } else this.allocation = 'random';
    this.allocationDone = true;
    this.afterAllocation();
  }

  private afterAllocation(): void {
    if (this.testI) this.maybeStartHairpin(this.testI);
    this.maybeStartMapping();
  }

  // --- end ----------------------------------------------------------------------------------

  private maybeFinish(): void {
    const hairpinDone = !this.hairpinTest || this.hairpinDone;
    if (this.mappingDone && this.filteringDone && this.allocationDone && hairpinDone) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const sent = this.sent;
    this.cleanup();
    const o = this.other;
    const p = this.opts.server;
    this.done?.({
      nat: {
        mapping: this.mapping,
        filtering: this.filtering,
        allocation: this.allocation,
        ...(this.delta !== undefined ? { delta: this.delta } : {}),
        ...(this.hairpin !== undefined ? { hairpin: this.hairpin } : {}),
      },
      mapped: this.mapped,
      behindNat: this.behindNat,
      other: o,
      altIp: o !== undefined && o.ip !== p.ip,
      altPort: o !== undefined && o.port !== p.port,
      sent,
      elapsedMs: this.env.clock.now() - this.started,
      notes: this.notes,
    });
  }

  private cleanup(): void {
    this.deadline?.cancel();
    this.hairpinTest?.cancel();
    for (const c of this.clients) c.close();
  }
}

/** Runs one classification; resolves within opts.deadlineMs. */
export function classifyNat(
  env: Env,
  server: SocketAddr,
  opts: Partial<Omit<ClassifyOptions, 'server'>> = {},
): Promise<ClassifyResult> {
  return new Promise((resolve) =>
    new NatClassifier(env, { ...DEFAULT_CLASSIFY, ...opts, server }).start(resolve),
  );
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A server bound to a wildcard address names it in OTHER-ADDRESS: read it as the server's IP. */
function concrete(o: SocketAddr | undefined, server: SocketAddr): SocketAddr | undefined {
  return o && (o.ip === '0.0.0.0' || o.ip === '::') ? { ip: server.ip, port: o.port } : o;
}
