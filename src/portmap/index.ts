// The room's entry point for the home: `createPortMapper` wires the three protocol clients to the
// default gateway. Everything the home needs is exported from here.
import type { Env, SocketAddr } from '../net/types.js';
import { findGateway, type GatewayInfo } from './gateway.js';
import { PortMapper } from './mapper.js';
import { NatpmpClient } from './natpmp-client.js';
import { PcpClient } from './pcp-client.js';
import type { PortMapClient, PortmapMode, PortmapProtocol, PortmapStatus } from './types.js';
import type { ExchangeTiming } from './udp-exchange.js';
import { UpnpClient } from './upnp-client.js';

export { PortMapper } from './mapper.js';
export { PORTMAP_MODES } from './types.js';
export type { PortmapMode, PortmapProtocol, PortmapState, PortmapStatus } from './types.js';

export interface HomePortmapOptions {
  readonly env: Env;
  readonly mode: PortmapMode;
  /** The home's bound UDP port (the one registered with the rendezvous). */
  readonly internalPort: number;
  readonly onChange?: (s: PortmapStatus) => void;
  /**
   * Through the rendezvous: does a packet sent to `external` reach the home's socket? The probe
   * must come from an address/port the home has never sent to (e.g. a second rendezvous socket):
   * with a port-preserving NAT the home's own keepalive flow to the rendezvous uses the same
   * external port, and a reply on that flow would pass the router without any mapping.
   */
  readonly verify?: (external: SocketAddr) => Promise<boolean>;
  /** The home's public IP as the rendezvous observed it (from the register reply). */
  readonly observedIp?: () => string | undefined;
  /** Default: the default route from /proc/net/route (injectable for tests). */
  readonly findGateway?: () => GatewayInfo | undefined;
  readonly protocols?: readonly PortmapProtocol[];
  readonly lifetimeS?: number;
  readonly timing?: ExchangeTiming;
  readonly upnpDiscoveryMs?: number;
}

/** A mapper for the home, or undefined when `--portmap off`. Call `start()`, later `close()`. */
export function createPortMapper(o: HomePortmapOptions): PortMapper | undefined {
  if (o.mode === 'off') return undefined;
  const gw = (o.findGateway ?? findGateway)();
  const wanted = o.protocols ?? ['pcp', 'natpmp', 'upnp'];
  const clients: PortMapClient[] = [];
  if (gw) {
    const base = { env: o.env, gateway: gw.gateway, clientIp: gw.localIp, timing: o.timing };
    if (wanted.includes('pcp')) clients.push(new PcpClient(base));
    if (wanted.includes('natpmp')) clients.push(new NatpmpClient(base));
    if (wanted.includes('upnp')) {
      clients.push(new UpnpClient({ localIp: gw.localIp, discoveryMs: o.upnpDiscoveryMs }));
    }
  }
  return new PortMapper({
    env: o.env,
    internalPort: o.internalPort,
    clients,
    verify: o.verify,
    observedIp: o.observedIp,
    onChange: o.onChange,
    lifetimeS: o.lifetimeS,
    noClients: gw ? undefined : 'no default IPv4 gateway',
  });
}
