// `--rendezvous` for a home that may use several nodes of a cluster: the option may be repeated
// and each value may be a comma list; every HOST may be a DNS name, and every A/AAAA record of
// a name becomes a node (resolve.ts). The home registers with the first and moves to the next
// when a node stops answering (home/rotation.ts).
import { InvalidArgumentError } from 'commander';
import type { SocketAddr } from '../net/types.js';
import {
  formatHostPort,
  hostPortArg,
  resolveHostPort,
  type HostPort,
  type Lookup,
} from './resolve.js';

/** More would only be a typo or an attack on the home's failover time. */
export const MAX_RENDEZVOUS_NODES = 16;

/** A commander collector: `--rendezvous a:1 --rendezvous b:1,c:1` → three HostPorts. */
export function hostPortListArg(text: string, prev: HostPort[] = []): HostPort[] {
  const more = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map(hostPortArg);
  if (more.length === 0) throw new InvalidArgumentError('give at least one HOST:PORT');
  return [...prev, ...more];
}

/** The form saved in a state dir's config.json (and read back by hostPortListArg). */
export function formatNodeList(list: readonly HostPort[]): string {
  return list.map(formatHostPort).join(',');
}

/** The first node of a saved list, resolved (what a pairing code carries). */
export async function firstNode(list: readonly HostPort[], lookup?: Lookup): Promise<SocketAddr> {
  return (await resolveNodes(list.slice(0, 1), lookup))[0] as SocketAddr;
}

/** Every node, names resolved, at most MAX_RENDEZVOUS_NODES (the rotation drops duplicates). */
export async function resolveNodes(
  list: readonly HostPort[],
  lookup?: Lookup,
): Promise<SocketAddr[]> {
  const all = await Promise.all(list.map((hp) => resolveHostPort(hp, lookup)));
  return all.flat().slice(0, MAX_RENDEZVOUS_NODES);
}
