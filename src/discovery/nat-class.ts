// What one side learned about its own NAT (docs/seams.md §1), its one-byte wire encodings and a
// short human label for reports. Unknown is always legal: a side that could not classify
// behaves as before (patent round, then reversed).
import type { WireNat } from '../wire/messages.js';

/** RFC 4787 §4.1: on what the external mapping of one inside socket depends. */
export type Mapping = 'independent' | 'address' | 'address-port' | 'unknown';
/** RFC 4787 §5: which remote endpoints may send in through a mapping. */
export type Filtering = 'independent' | 'address' | 'address-port' | 'unknown';
/** How the NAT picks the external port of a new mapping. */
export type Allocation = 'preserving' | 'sequential' | 'random' | 'unknown';

export interface NatClass {
  readonly mapping: Mapping;
  readonly filtering: Filtering;
  readonly allocation: Allocation;
  /** Sequential allocators: the external port step between consecutive new mappings. */
  readonly delta?: number;
  readonly hairpin?: boolean;
  /** Own NAT hops (a hole-opening packet needs TTL natDepth + 1). */
  readonly natDepth?: number;
}

export const UNKNOWN_NAT: NatClass = {
  mapping: 'unknown',
  filtering: 'unknown',
  allocation: 'unknown',
};

// Wire bytes: index in these lists (0 = unknown). Append only: the order is the protocol.
const MAPPINGS: readonly Mapping[] = ['unknown', 'independent', 'address', 'address-port'];
const FILTERINGS: readonly Filtering[] = ['unknown', 'independent', 'address', 'address-port'];
const ALLOCATIONS: readonly Allocation[] = ['unknown', 'preserving', 'sequential', 'random'];

export const mappingByte = (m: Mapping): number => MAPPINGS.indexOf(m);
export const filteringByte = (f: Filtering): number => FILTERINGS.indexOf(f);
export const allocationByte = (a: Allocation): number => ALLOCATIONS.indexOf(a);
/** Bytes from a peer: anything out of range (a newer peer's value) reads as unknown. */
export const mappingOf = (b: number): Mapping => MAPPINGS[b] ?? 'unknown';
export const filteringOf = (b: number): Filtering => FILTERINGS[b] ?? 'unknown';
export const allocationOf = (b: number): Allocation => ALLOCATIONS[b] ?? 'unknown';

/**
 * "port-restricted cone", "symmetric (sequential +1)", "no NAT seen"… for logs and reports.
 * Cone names follow RFC 3489's (full / restricted / port-restricted) by filtering behaviour.
 */
export function natLabel(c: NatClass): string {
  if (c.mapping === 'unknown') return 'unknown';
  let base: string;
  if (c.mapping === 'independent') {
    base =
      c.filtering === 'independent'
        ? 'full cone'
        : c.filtering === 'address'
          ? 'restricted cone'
          : c.filtering === 'address-port'
            ? 'port-restricted cone'
            : 'cone (filtering unknown)';
  } else {
    base = c.mapping === 'address' ? 'symmetric (per address)' : 'symmetric';
  }
  const alloc =
    c.allocation === 'sequential'
      ? `sequential ${c.delta !== undefined && c.delta >= 0 ? '+' : ''}${c.delta ?? '?'}`
      : c.allocation === 'random' && c.mapping !== 'independent'
        ? 'random'
        : undefined;
  const depth = c.natDepth !== undefined ? `, depth ${c.natDepth}` : '';
  return alloc ? `${base} (${alloc}${depth})` : depth ? `${base} (${depth.slice(2)})` : base;
}

/** The class as the wire's NAT extension carries it (wire/nat-ext.ts). */
export function natToWire(c: NatClass): WireNat {
  return {
    mapping: mappingByte(c.mapping),
    filtering: filteringByte(c.filtering),
    allocation: allocationByte(c.allocation),
    delta: c.delta ?? 0,
  };
}

/** A peer's class from the wire; absent reads as unknown. */
export function natFromWire(w: WireNat | undefined): NatClass {
  if (!w) return UNKNOWN_NAT;
  const allocation = allocationOf(w.allocation);
  return {
    mapping: mappingOf(w.mapping),
    filtering: filteringOf(w.filtering),
    allocation,
    ...(allocation === 'sequential' && w.delta !== 0 ? { delta: w.delta } : {}),
  };
}
