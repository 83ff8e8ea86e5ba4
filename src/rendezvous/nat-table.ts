// The rendezvous's half of issue 9: each home's NAT class as it registered it, and the round's
// method for an assist that names the client's class (the ladder, punch/strategy.ts).
import { natFromWire } from '../discovery/nat-class.js';
import { chooseMethod, methodOf, modeOf, relayReason } from '../punch/strategy.js';
import { modesOf, type MessageOf, type PunchMode, type WireNat } from '../wire/messages.js';

export type RoundChoice =
  | { mode: PunchMode }
  /** Both NATs map per destination: refuse with this text instead of burning rounds. */
  | { relay: string };

export class NatTable {
  private readonly homes = new Map<string, WireNat>();

  constructor(private readonly max: number) {}

  get(homeId: string): WireNat | undefined {
    return this.homes.get(homeId);
  }

  /** Bounded like the registry: a full table keeps the classes it has. */
  remember(homeId: string, nat: WireNat | undefined): void {
    if (!nat) this.homes.delete(homeId);
    else if (this.homes.has(homeId) || this.homes.size < this.max) this.homes.set(homeId, nat);
  }

  /** An assist without the client's class (an older client) gets the mode it asked for. */
  choose(msg: MessageOf<'assist'>, homeNat: WireNat | undefined): RoundChoice {
    if (!msg.nat) return { mode: msg.mode };
    const home = natFromWire(homeNat);
    const client = natFromWire(msg.nat);
    const m = chooseMethod(home, client, modesOf(msg.tried ?? 0).map(methodOf));
    return m === 'relay' ? { relay: relayReason(home, client) } : { mode: modeOf(m) };
  }
}
