// What the connect attempt knows about the two NATs (issue 9): our class (classified beside the
// connect, or cached), the home's (from Ready) and the methods earlier rounds ran, for the
// assist's NAT extension, step 4's routing, the late-class re-plan and the report.
import {
  natFromWire,
  natLabel,
  natToWire,
  UNKNOWN_NAT,
  type NatClass,
} from '../discovery/nat-class.js';
import type { Env, SocketAddr } from '../net/types.js';
import { homeLabelOf, ladder, methodOf, misfits, relayReason } from '../punch/strategy.js';
import { modeMask, type MessageOf, type PunchMode, type WireNat } from '../wire/messages.js';
import type { ConnectOptions, ConnectReport } from './connect-config.js';
import { ClientNatProbe } from './nat-probe.js';

export type NatFacts = Pick<
  ConnectReport,
  'strategy' | 'homeNat' | 'clientNat' | 'discoveryPackets'
>;

export class RoundNats {
  private readonly probe: ClientNatProbe | undefined;
  /** Someone caches what classification learns: it may outlive the connect. */
  private readonly caching: boolean;
  private home: NatClass = UNKNOWN_NAT;
  private readonly tried: PunchMode[] = [];
  /** Our class as the current round's assist named it (unknown: not known then). */
  private roundClient: NatClass = UNKNOWN_NAT;

  constructor(env: Env, opts: ConnectOptions) {
    this.caching = opts.onNat !== undefined;
    if (!opts.discovery && !opts.nat) return;
    const known = opts.nat
      ? { nat: opts.nat, ...(opts.natPublicIp ? { publicIp: opts.natPublicIp } : {}) }
      : undefined;
    this.probe = new ClientNatProbe(
      env,
      opts.rendezvous,
      {
        deadlineMs: opts.discoveryMs ?? 2500,
        ...(opts.bindIp !== undefined ? { bindIp: opts.bindIp } : {}),
        ...(known ? { known } : {}),
      },
      {
        ...(opts.onNatStart ? { started: opts.onNatStart } : {}),
        ...(opts.onNat ? { learned: opts.onNat } : {}),
      },
    );
  }

  /** Starts classification (unless cached); `late` runs whenever one ends during the connect. */
  start(late: () => void): void {
    this.probe?.onSettled(late);
    this.probe?.start();
  }

  /**
   * With discovery on every assist carries the extension: our class, or "unknown" while it is
   * pending (or failed), on which the rendezvous plans from the home's class alone.
   */
  assistExt(): { nat: WireNat; tried: number } | undefined {
    if (!this.probe) return undefined;
    this.roundClient = this.probe.nat;
    return { nat: natToWire(this.roundClient), tried: modeMask(this.tried) };
  }

  /** The address the rendezvous saw us at: a cached class from another network is re-learned. */
  observed(addr: SocketAddr): void {
    this.probe?.observed(addr.ip);
  }

  /**
   * Ready names the round's mode and the home's class: both classes for step 4's routing (ours
   * as the assist named it, so both sides read the mode alike).
   */
  onReady(msg: MessageOf<'ready'>): { home: NatClass; client: NatClass } {
    if (msg.homeNat) this.home = natFromWire(msg.homeNat);
    this.tried.push(msg.mode);
    return { home: this.home, client: this.roundClient };
  }

  /**
   * The running round was planned without our class (or with an old one) and cannot open a
   * path for the pair as now known: better start the next round, or fail towards the relay
   * when no method can work, now than wait for the round's timeout.
   */
  misfit(): undefined | 'next-round' | { relay: string } {
    const mode = this.tried[this.tried.length - 1];
    const now = this.probe?.nat;
    if (mode === undefined || !now || now.mapping === 'unknown') return undefined;
    if (natLabel(now) === natLabel(this.roundClient)) return undefined;
    if (!misfits(this.home, now, methodOf(mode))) return undefined;
    return ladder(this.home, now) === 'relay'
      ? { relay: relayReason(this.home, now) }
      : 'next-round';
  }

  /** The home's class as a NeedsRelay refusal names it (no round ran, so no ready told us). */
  private homeLabel: string | undefined;

  /** The rendezvous said relay: its reason names the home's class, for the report. */
  onNeedsRelay(reason: string): void {
    this.homeLabel = homeLabelOf(reason);
  }

  /** strategy / homeNat / clientNat for the report, once discovery is on. */
  facts(): NatFacts {
    if (!this.probe) return {};
    const last = this.tried[this.tried.length - 1];
    const home = natLabel(this.home);
    return {
      ...(last ? { strategy: methodOf(last) } : {}),
      homeNat: home === 'unknown' ? (this.homeLabel ?? home) : home,
      clientNat: natLabel(this.probe.nat),
      discoveryPackets: this.probe.sent,
    };
  }

  /** The connect ended (see ClientNatProbe.stop). */
  stop(): void {
    this.probe?.stop(this.caching);
  }
}
