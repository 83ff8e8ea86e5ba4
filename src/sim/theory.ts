// What the method can achieve for a NAT pair, from the NAT behaviours alone: 1 where a path
// always exists, the birthday odds where the punch is a draw, 0 where the method has no path.
import { punchOdds } from './odds.js';
import { PRESETS, type PresetName } from '../net/virtual/presets.js';
import type { NatBehaviour } from '../net/virtual/nat.js';

const RANK = {
  'endpoint-independent': 0,
  'address-dependent': 1,
  'address-and-port-dependent': 2,
} as const;

interface Side {
  public: boolean;
  /** Every layer maps endpoint-independently. */
  eim: boolean;
  /** The most restrictive filtering of the stack. */
  filtering: NatBehaviour['filtering'];
}

function side(name: PresetName): Side {
  const layers = PRESETS[name] as readonly Partial<NatBehaviour>[];
  let filtering: NatBehaviour['filtering'] = 'endpoint-independent';
  for (const l of layers)
    if (l.filtering && RANK[l.filtering] > RANK[filtering]) filtering = l.filtering;
  return {
    public: layers.length === 0,
    eim: layers.every((l) => l.mapping === 'endpoint-independent'),
    filtering,
  };
}

export function isConePair(home: PresetName, client: PresetName): boolean {
  return side(home).eim && side(client).eim;
}

/**
 * Expected success of one assisted round with N sprayed ports, M sockets, a pool of P ports, and
 * `resprays` re-sprays of the home once the client's sockets have mapped (0: the patent).
 */
export function theory(
  home: PresetName,
  client: PresetName,
  n: number,
  m: number,
  pool: number,
  resprays = 0,
): number {
  const h = side(home);
  const c = side(client);
  if (h.public || c.public) return 1;
  if (h.eim) {
    if (h.filtering !== 'address-and-port-dependent' || c.eim) return 1;
    return punchOdds(n, m, pool, resprays);
  }
  // Symmetric home: only the packet to the client's observed port can open the way.
  return c.eim && c.filtering !== 'address-and-port-dependent' ? 1 : 0;
}
