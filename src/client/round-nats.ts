// What the connect attempt knows about the two NATs (issue 9): our class (classified beside
// step 1, or given), the home's (from Ready) and the methods earlier rounds ran, for the assist's
// NAT extension, step 4's routing and the report.
import {
  natFromWire,
  natLabel,
  natToWire,
  UNKNOWN_NAT,
  type NatClass,
} from '../discovery/nat-class.js';
import type { Env } from '../net/types.js';
import { methodOf } from '../punch/strategy.js';
import { modeMask, type MessageOf, type PunchMode, type WireNat } from '../wire/messages.js';
import type { ConnectOptions, ConnectReport } from './connect-config.js';
import { ClientNatProbe } from './nat-probe.js';

export type NatFacts = Pick<
  ConnectReport,
  'strategy' | 'homeNat' | 'clientNat' | 'discoveryPackets'
>;

export class RoundNats {
  private readonly probe: ClientNatProbe | undefined;
  private home: NatClass = UNKNOWN_NAT;
  private readonly tried: PunchMode[] = [];

  constructor(env: Env, opts: ConnectOptions) {
    if (!opts.discovery && !opts.nat) return;
    this.probe = new ClientNatProbe(
      env,
      opts.rendezvous,
      {
        deadlineMs: opts.discoveryMs ?? 1000,
        ...(opts.bindIp !== undefined ? { bindIp: opts.bindIp } : {}),
        ...(opts.nat ? { known: opts.nat } : {}),
      },
      opts.onNat,
    );
  }

  start(): void {
    this.probe?.start();
  }

  /** True when the first assist may go; otherwise `then` runs once classification ended. */
  settledOr(then: () => void): boolean {
    if (!this.probe || this.probe.settled) return true;
    this.probe.whenSettled(then);
    return false;
  }

  /** A known class goes with the assist; the rendezvous then picks the method (strategy.ts). */
  assistExt(): { nat: WireNat; tried: number } | undefined {
    const nat = this.probe?.nat;
    if (!nat || nat.mapping === 'unknown') return undefined;
    return { nat: natToWire(nat), tried: modeMask(this.tried) };
  }

  /** Ready names the round's mode and the home's class: both classes for step 4's routing. */
  onReady(msg: MessageOf<'ready'>): { home: NatClass; client: NatClass } {
    if (msg.homeNat) this.home = natFromWire(msg.homeNat);
    this.tried.push(msg.mode);
    return { home: this.home, client: this.probe?.nat ?? UNKNOWN_NAT };
  }

  /** strategy / homeNat / clientNat for the report, once discovery is on. */
  facts(): NatFacts {
    if (!this.probe) return {};
    const last = this.tried[this.tried.length - 1];
    return {
      ...(last ? { strategy: methodOf(last) } : {}),
      homeNat: natLabel(this.home),
      clientNat: natLabel(this.probe.nat),
      discoveryPackets: this.probe.sent,
    };
  }

  cancel(): void {
    this.probe?.cancel();
  }
}
