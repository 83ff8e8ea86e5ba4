// The one ladder (issue 9, docs/seams.md §2): from what each side learned about its NAT, the
// cheapest method that works. "What happens for a symmetric home" is answered here.
//
//   both map independently (cone × cone)      → knock   (a few packets, one socket each)
//   one side per destination, the other's filter lets any port of its IP in (full / restricted
//   cone, no NAT)                             → knock   (the per-destination side's new mapping
//                                                        is let in; no port needs guessing)
//   client per destination, home not          → [predict if the client allocates sequentially] → spray
//   home per destination, client not         → [predict if the home allocates sequentially]   → reverse
//   both per destination                      → relay   (no punching method works)
//   home unknown                              → spray, then reverse (the behaviour before discovery)
//   client not known (yet)                    → planned for a port-restricted cone client (ASSUMED_CLIENT)
//
// Each method then lives in its own file: knock.ts, spray.ts (+ patent-knock.ts), reverse-spray.ts
// (+ knock-back.ts), predict.ts. When a side's list is exhausted the birthday rounds alternate.
import type { NatClass } from '../discovery/nat-class.js';
import { natLabel } from '../discovery/nat-class.js';
import type { PunchMode } from '../wire/messages.js';

export type Method = 'knock' | 'spray' | 'reverse' | 'predict';

/** Maps per destination: a new external port per remote endpoint (a "symmetric" NAT). */
export function mapsPerDestination(c: NatClass): boolean {
  return c.mapping === 'address' || c.mapping === 'address-port';
}

/** The order of methods to try for a pair; the first untried one runs. */
export function ladder(home: NatClass, client: NatClass): readonly Method[] | 'relay' {
  if (home.mapping === 'unknown' || client.mapping === 'unknown') return ['spray', 'reverse'];
  const homePer = mapsPerDestination(home);
  const clientPer = mapsPerDestination(client);
  if (homePer && clientPer) return 'relay';
  // A knock that fails (an address-dependent NAT read as independent with one server IP) falls
  // back to the patent round, then the reversed one.
  if (!homePer && !clientPer) return ['knock', 'spray', 'reverse'];
  const peer = clientPer ? home : client;
  const knock: Method[] = lenientFilter(peer) ? ['knock'] : [];
  if (clientPer)
    return client.allocation === 'sequential'
      ? [...knock, 'predict', 'spray', 'reverse']
      : [...knock, 'spray', 'reverse'];
  return home.allocation === 'sequential'
    ? [...knock, 'predict', 'reverse', 'spray']
    : [...knock, 'reverse', 'spray'];
}

/** Lets in any port of an IP it sent to: the other side's fresh mapping gets through. */
function lenientFilter(c: NatClass): boolean {
  return c.filtering === 'independent' || c.filtering === 'address';
}

/**
 * Who the rendezvous plans for while the client's class is not known (its classification runs
 * beside the first round, which never waits for it, or it failed): the common client, a cone
 * NAT filtering by address and port. A cone home then knocks, a per-destination home reverses
 * first (or predicts): both work for a cone client of any filtering. When the real class
 * arrives and the round's method cannot work for it, the client starts the next round at once
 * (`misfits`, client/round-nats.ts). A home of unknown class keeps today's order.
 */
export const ASSUMED_CLIENT: NatClass = {
  mapping: 'independent',
  filtering: 'address-port',
  allocation: 'unknown',
};

/** True when a round of `method` cannot open a path for the pair (the ladder doesn't list it). */
export function misfits(home: NatClass, client: NatClass, method: Method): boolean {
  const order = ladder(home, client);
  return order === 'relay' || !order.includes(method);
}

/**
 * The method for the next round, given the methods earlier rounds of this connect tried. An
 * unknown client class is planned as ASSUMED_CLIENT.
 */
export function chooseMethod(
  home: NatClass,
  clientNat: NatClass,
  tried: readonly Method[],
): Method | 'relay' {
  const client = clientNat.mapping === 'unknown' ? ASSUMED_CLIENT : clientNat;
  const order = ladder(home, client);
  if (order === 'relay') return 'relay';
  const next = order.find((m) => !tried.includes(m));
  if (next) return next;
  // Every method had its round: the birthday rounds (never knock/predict again) alternate.
  const birthday = order.filter((m) => m === 'spray' || m === 'reverse');
  return birthday[tried.length % birthday.length] as Method;
}

/** Why no method is tried, in words that name what was learned. */
export function relayReason(home: NatClass, client: NatClass): string {
  return `both NATs map per destination (home: ${natLabel(home)}, client: ${natLabel(client)})`;
}

/**
 * The home's class label out of a relayReason text (the rendezvous's NeedsRelay error carries
 * it; issue 21 item 5: the relayed report names the home's NAT). Untrusted text: a label of
 * printable characters, at most 80, or nothing.
 */
export function homeLabelOf(reason: string): string | undefined {
  const m = /\(home: ([ -~]{1,80}?), client: /.exec(reason);
  return m?.[1] && m[1] !== 'unknown' ? m[1] : undefined;
}

// The wire's round mode (wire/messages.ts PunchMode) for a method, and back.
const MODE_OF: Record<Method, PunchMode> = {
  knock: 'knock',
  spray: 'patent',
  reverse: 'reverse',
  predict: 'predict',
};
export const modeOf = (m: Method): PunchMode => MODE_OF[m];
export function methodOf(mode: PunchMode): Method {
  return mode === 'patent' ? 'spray' : mode;
}

/**
 * In a 'predict' round, who is knocked at: the side whose NAT maps per destination with a
 * sequential allocator. 'client' means the home sprays (the patent round's direction).
 */
export function predictTarget(home: NatClass, client: NatClass): 'client' | 'home' {
  return mapsPerDestination(client) && client.allocation === 'sequential' ? 'client' : 'home';
}

/** What each side does in a round of this mode (both sides call this with both classes). */
export type RoundShape =
  | { kind: 'knock' }
  /** The patent's direction: the home sprays the client's ports, the client knocks from M sockets. */
  | { kind: 'home-sprays'; predict: boolean }
  /** Reversed: the home knocks from many sockets, the client sprays the home's ports. */
  | { kind: 'client-sprays'; predict: boolean };

export function roundShape(mode: PunchMode, home: NatClass, client: NatClass): RoundShape {
  switch (mode) {
    case 'knock':
      return { kind: 'knock' };
    case 'patent':
      return { kind: 'home-sprays', predict: false };
    case 'reverse':
      return { kind: 'client-sprays', predict: false };
    case 'predict':
      return predictTarget(home, client) === 'client'
        ? { kind: 'home-sprays', predict: true }
        : { kind: 'client-sprays', predict: true };
  }
}
