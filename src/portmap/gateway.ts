// The default IPv4 gateway (where PCP/NAT-PMP servers live) and this host's address towards it.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface GatewayInfo {
  readonly iface: string;
  readonly gateway: string;
  /** This host's IPv4 address on `iface`. */
  readonly localIp: string;
}

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const MAX_ROUTE_TEXT = 64 * 1024;

/** /proc/net/route stores addresses as little-endian hex words. */
function hexToIpv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

/** The default route with the lowest metric in a /proc/net/route text. */
export function parseDefaultRoute(text: string): { iface: string; gateway: string } | undefined {
  let best: { iface: string; gateway: string; metric: number } | undefined;
  for (const line of text.slice(0, MAX_ROUTE_TEXT).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flags, , , metric, mask] = f as [string, ...string[]];
    const fl = parseInt(flags ?? '', 16);
    if (dest !== '00000000' || mask !== '00000000' || !(fl & RTF_UP) || !(fl & RTF_GATEWAY))
      continue;
    const gateway = hexToIpv4(gw ?? '');
    const m = Number(metric);
    if (gateway && (!best || m < best.metric)) best = { iface, gateway, metric: m };
  }
  return best && { iface: best.iface, gateway: best.gateway };
}

export interface GatewaySources {
  readRoutes?: () => string;
  interfaces?: typeof networkInterfaces;
}

/** The default gateway and the local address to claim, or undefined when there is none. */
export function findGateway(src: GatewaySources = {}): GatewayInfo | undefined {
  let text: string;
  try {
    text = (src.readRoutes ?? (() => readFileSync('/proc/net/route', 'utf8')))();
  } catch {
    return undefined;
  }
  const route = parseDefaultRoute(text);
  if (!route) return undefined;
  const addrs = (src.interfaces ?? networkInterfaces)()[route.iface] ?? [];
  const v4 = addrs.find((a) => a.family === 'IPv4' && !a.internal);
  return v4 ? { ...route, localIp: v4.address } : undefined;
}
