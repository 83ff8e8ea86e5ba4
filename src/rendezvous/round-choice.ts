// The rendezvous's half of issue 9: the round's method for an assist that names the client's
// class, from the home's class as it registered it (the ladder, punch/strategy.ts).
import { natFromWire } from '../discovery/nat-class.js';
import { chooseMethod, methodOf, modeOf, relayReason } from '../punch/strategy.js';
import { modesOf, type MessageOf, type PunchMode, type WireNat } from '../wire/messages.js';

export type RoundChoice =
  | { mode: PunchMode }
  /** Both NATs map per destination: refuse with this text instead of burning rounds. */
  | { relay: string };

/** An assist without the client's class (an older client) gets the mode it asked for. */
export function chooseRound(msg: MessageOf<'assist'>, homeNat: WireNat | undefined): RoundChoice {
  if (!msg.nat) return { mode: msg.mode };
  const home = natFromWire(homeNat);
  const client = natFromWire(msg.nat);
  const m = chooseMethod(home, client, modesOf(msg.tried ?? 0).map(methodOf));
  return m === 'relay' ? { relay: relayReason(home, client) } : { mode: modeOf(m) };
}
