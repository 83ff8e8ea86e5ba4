// NAT presets by the names the CLI and reports use. Each is a stack of NAT boxes from the
// outermost (facing the internet) to the innermost (the home or client router).
import type { NatBehaviour } from './nat.js';

const FULL: Partial<NatBehaviour> = {
  mapping: 'endpoint-independent',
  filtering: 'endpoint-independent',
  allocation: 'preserving',
};
const RESTRICTED: Partial<NatBehaviour> = {
  mapping: 'endpoint-independent',
  filtering: 'address-dependent',
  allocation: 'preserving',
};
/** Linux `masquerade`: keeps the source port, reuses it for every destination. */
const PORT: Partial<NatBehaviour> = {
  mapping: 'endpoint-independent',
  filtering: 'address-and-port-dependent',
  allocation: 'preserving',
};
/** Linux `masquerade random`: a fresh random port per destination. */
const SYMMETRIC: Partial<NatBehaviour> = {
  mapping: 'address-and-port-dependent',
  filtering: 'address-and-port-dependent',
  allocation: 'random',
};
const SYMMETRIC_SEQ: Partial<NatBehaviour> = { ...SYMMETRIC, allocation: 'sequential' };
/** A carrier-grade NAT that preserves ports and maps endpoint-independently (RFC 6888 REQ-1). */
const CGNAT: Partial<NatBehaviour> = { ...PORT };

export const PRESETS = {
  none: [],
  full: [FULL],
  restricted: [RESTRICTED],
  port: [PORT],
  symmetric: [SYMMETRIC],
  'symmetric-seq': [SYMMETRIC_SEQ],
  'cgnat-port': [CGNAT, PORT],
  'cgnat-symmetric': [CGNAT, SYMMETRIC],
} as const satisfies Record<string, readonly Partial<NatBehaviour>[]>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(s: string): s is PresetName {
  return Object.hasOwn(PRESETS, s);
}

/** Cone presets: every NAT in the stack maps endpoint-independently. */
export function isCone(name: PresetName): boolean {
  return PRESETS[name].every((b) => b.mapping === 'endpoint-independent');
}
