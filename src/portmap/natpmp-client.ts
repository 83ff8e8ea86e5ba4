// NAT-PMP (RFC 6886) client for one UDP port, over the Env seam: the external address
// (opcode 0) then the mapping (opcode 1), each its own bounded exchange.
import type { UdpEndpoint } from '../net/types.js';
import {
  decodeNatpmpAddress,
  decodeNatpmpMap,
  encodeNatpmpAddress,
  encodeNatpmpMap,
  NATPMP_PORT,
  natpmpResultName,
  type NatpmpMapRequest,
} from './natpmp-codec.js';
import type { GatewayClientOptions } from './pcp-client.js';
import type { MapOutcome, MapRequest, PortMapClient } from './types.js';
import { DEFAULT_EXCHANGE, exchange } from './udp-exchange.js';

export class NatpmpClient implements PortMapClient {
  readonly protocol = 'natpmp' as const;
  private ep: UdpEndpoint | undefined;

  constructor(private readonly o: Omit<GatewayClientOptions, 'clientIp'> & { clientIp?: string }) {}

  private socket(): UdpEndpoint {
    if (!this.ep || this.ep.closed) this.ep = this.o.env.net.open();
    return this.ep;
  }

  private send<T>(
    request: Uint8Array,
    accept: (d: Uint8Array) => T | undefined,
  ): Promise<T | undefined> {
    const to = { ip: this.o.gateway, port: NATPMP_PORT };
    return exchange(
      this.o.env,
      this.socket(),
      to,
      request,
      accept,
      this.o.timing ?? DEFAULT_EXCHANGE,
    );
  }

  private mapOnce(req: NatpmpMapRequest) {
    return this.send(encodeNatpmpMap(req), (d) => {
      const r = decodeNatpmpMap(d, req);
      return r.ok ? r.msg : undefined;
    });
  }

  async map(req: MapRequest): Promise<MapOutcome> {
    const absent = {
      ok: false,
      kind: 'absent',
      reason: `no NAT-PMP answer from ${this.o.gateway}`,
    } as const;
    const addr = await this.send(encodeNatpmpAddress(), (d) => {
      const r = decodeNatpmpAddress(d);
      return r.ok ? r.msg : undefined;
    });
    if (!addr) return absent;
    if (addr.kind === 'error')
      return { ok: false, kind: 'refused', reason: natpmpResultName(addr.result) };
    const m = await this.mapOnce({
      internalPort: req.internalPort,
      suggestedPort: req.externalPort,
      lifetimeS: req.lifetimeS,
    });
    if (!m) return absent;
    if (m.kind === 'error')
      return { ok: false, kind: 'refused', reason: natpmpResultName(m.result) };
    return {
      ok: true,
      mapping: {
        protocol: 'natpmp',
        internalPort: req.internalPort,
        external: { ip: addr.externalIp, port: m.externalPort },
        lifetimeS: m.lifetimeS,
      },
    };
  }

  async unmap(m: { internalPort: number }): Promise<void> {
    // §3.4: lifetime 0 and suggested external port 0 delete the mapping for this internal port.
    await this.mapOnce({ internalPort: m.internalPort, suggestedPort: 0, lifetimeS: 0 });
  }

  close(): void {
    this.ep?.close();
  }
}
