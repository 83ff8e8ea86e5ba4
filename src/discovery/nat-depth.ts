// The depth of our own NATs, for the TTL of hole-opening packets (issue 9 item 4): the smallest
// TTL t whose packet towards a second server endpoint opens our NATs for that endpoint's answer.
// Then natDepth = t - 1 and the hole TTL is natDepth + 1 = t (2 behind one router, 3 behind a
// CGNAT and a router).
//
// Per t, a FRESH socket (a failed probe may leave a stray entry on its mapping) sends
//   1. a Binding indication with IP TTL t to the second endpoint E (the server ignores it), then
//   2. a full-TTL Binding request to the primary P with CHANGE-REQUEST, so P's answer leaves
//      from E.
// The answer gets in only if packet 1 created the filter entry for E on every NAT of ours. All t
// run at once (separate sockets), each retransmitted with a bound, beside a control socket that
// sends no probe: if the control is answered, the filter was open without our probe (e.g. a
// router that opens an address for every socket of the host once any socket contacted it) and
// the search proves nothing.
//
// It needs what the classifier learned: endpoint-independent mapping (the probe's mapping must
// be the one P answers to), and filtering that tells E from P: address-and-port-dependent (E =
// P's IP, other port) or address-dependent (E = the other IP; needs a server with two IPs).
// Otherwise it returns no depth and says why (the home then keeps its hop-meter TTL).
import type { RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import type { NatClass } from './nat-class.js';
import { BINDING, encodeStun } from './stun-codec.js';
import { openClient, type StunClient } from './stun-client.js';

export interface NatDepthOptions {
  readonly server: SocketAddr;
  /** The server's OTHER-ADDRESS (from the classification). */
  readonly other: SocketAddr;
  readonly nat: NatClass;
  /** TTLs 1..maxTtl are tried. */
  readonly maxTtl: number;
  readonly retransmit: RetransmitOptions;
  readonly deadlineMs: number;
  readonly bindIp?: string;
}

export const DEFAULT_NAT_DEPTH: Pick<NatDepthOptions, 'maxTtl' | 'retransmit' | 'deadlineMs'> = {
  maxTtl: 6,
  retransmit: { rtoMs: 100, maxRtoMs: 200, maxSends: 4 },
  deadlineMs: 1500,
};

export type NatDepthResult =
  | {
      readonly ok: true;
      readonly natDepth: number;
      readonly holeTtl: number;
      readonly sent: number;
    }
  | { readonly ok: false; readonly reason: string; readonly sent: number };

export class NatDepthMeter {
  private readonly clients: StunClient[] = [];
  private readonly opened = new Set<number>();
  private answered = 0;
  private controlOpened = false;
  private timer: TimerHandle | undefined;
  private finished = false;

  constructor(
    private readonly env: Env,
    private readonly opts: NatDepthOptions,
  ) {}

  start(done: (r: NatDepthResult) => void): void {
    const { nat, server, other, maxTtl } = this.opts;
    const why = unmeasurable(nat, server, other);
    if (why) {
      this.env.clock.setTimer(0, () => done({ ok: false, reason: why, sent: 0 }));
      return;
    }
    const viaIp = nat.filtering === 'address';
    const target = viaIp ? other : { ip: server.ip, port: other.port };
    const change = { ip: viaIp, port: true };
    const probe = encodeStun({ cls: 'indication', method: BINDING, txId: this.env.rng.bytes(12) });
    const finish = (): void => {
      if (this.finished) return;
      this.finished = true;
      const sent = this.clients.reduce((n, c) => n + c.sent, 0);
      this.cancel();
      const t = Math.min(...this.opened);
      const reason = this.controlOpened
        ? `${fmt(target)} got in without a probe: the filter is not per socket`
        : `no TTL up to ${maxTtl} opened our NATs for ${fmt(target)}`;
      done(
        !this.controlOpened && Number.isFinite(t)
          ? { ok: true, natDepth: t - 1, holeTtl: t, sent }
          : { ok: false, reason, sent },
      );
    };
    this.timer = this.env.clock.setTimer(this.opts.deadlineMs, finish);
    // ttl 0: the control, without a probe.
    for (let ttl = 0; ttl <= maxTtl; ttl++) {
      const c = openClient(this.env, server, this.opts.retransmit, this.opts.bindIp);
      this.clients.push(c);
      c.request(
        server,
        (a) => {
          // Only an answer that really came from E proves the hole (not one from P).
          if (a?.msg.cls === 'success' && a.from.port === target.port && a.from.ip === target.ip) {
            if (ttl === 0) this.controlOpened = true;
            else this.opened.add(ttl);
          }
          if (++this.answered === maxTtl + 1) finish();
        },
        { change, ...(ttl > 0 ? { before: { data: probe, to: target, send: { ttl } } } : {}) },
      );
    }
  }

  cancel(): void {
    this.finished = true;
    this.timer?.cancel();
    for (const c of this.clients) c.close();
  }
}

function unmeasurable(nat: NatClass, server: SocketAddr, other: SocketAddr): string | undefined {
  if (nat.mapping !== 'independent')
    return 'mapping depends on the destination: the probe mapping cannot be answered';
  if (nat.filtering === 'independent' || nat.filtering === 'unknown')
    return `filtering is ${nat.filtering}: an answer proves nothing about the probe`;
  if (other.port === server.port) return 'the server has no second port';
  if (nat.filtering === 'address' && other.ip === server.ip)
    return 'address-dependent filtering needs a server with a second IP';
  return undefined;
}

const fmt = (a: SocketAddr): string => `${a.ip}:${a.port}`;

/** Runs one measurement; resolves within opts.deadlineMs. */
export function measureNatDepth(
  env: Env,
  opts: Omit<NatDepthOptions, keyof typeof DEFAULT_NAT_DEPTH> & Partial<NatDepthOptions>,
): Promise<NatDepthResult> {
  return new Promise((resolve) =>
    new NatDepthMeter(env, { ...DEFAULT_NAT_DEPTH, ...opts }).start(resolve),
  );
}
