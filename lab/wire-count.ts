// Counts, on a lab host itself, what its porthole process sends towards the other side's public network:
// UDP packets and distinct source ports (sockets). Used for the home's packets and sockets per
// connect, which the home reports nowhere per connect (the client's come from its --json line).
import { inNs, nft } from './netns.js';

/**
 * Installs the counter in host namespace `ns`: UDP towards `peerNet` (the other side's public
 * prefix, e.g. 192.0.2.0/24), so neither the rendezvous nor local probes (router port mapping)
 * count.
 */
export function installWireCount(ns: string, peerNet: string): void {
  nft(
    ns,
    `table ip phcount {
  counter peer { }
  set ports { type inet_service; flags dynamic; size 65535; }
  chain out {
    type filter hook output priority 0;
    meta l4proto udp ip daddr ${peerNet} counter name "peer" add @ports { udp sport }
  }
}`,
  );
}

/** False when nft failed (on a loaded machine it can time out): that trial's count is lost. */
export function resetWireCount(ns: string): boolean {
  try {
    inNs(ns, 'nft', ['reset', 'counter', 'ip', 'phcount', 'peer']);
    inNs(ns, 'nft', ['flush', 'set', 'ip', 'phcount', 'ports']);
    return true;
  } catch {
    return false;
  }
}

/** Packets and distinct source ports since the last reset; null when nft failed. */
export function readWireCount(ns: string): { packets: number; sockets: number } | null {
  try {
    const c = inNs(ns, 'nft', ['list', 'counter', 'ip', 'phcount', 'peer']);
    const packets = Number(/packets (\d+)/.exec(c)?.[1] ?? NaN);
    const s = inNs(ns, 'nft', ['list', 'set', 'ip', 'phcount', 'ports']);
    const elems = /elements = \{([^}]*)\}/.exec(s)?.[1] ?? '';
    const sockets = elems.split(',').filter((e) => e.trim() !== '').length;
    return Number.isFinite(packets) ? { packets, sockets } : null;
  } catch {
    return null;
  }
}
