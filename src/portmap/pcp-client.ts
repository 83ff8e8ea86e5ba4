// PCP (RFC 6887) MAP client for one UDP port, over the Env seam.
import type { Env, UdpEndpoint } from '../net/types.js';
import {
  decodePcpMap,
  encodePcpMap,
  NONCE_BYTES,
  PCP_PORT,
  pcpResultName,
  type PcpMapRequest,
  type PcpMapResponse,
} from './pcp-codec.js';
import type { MapOutcome, MapRequest, Mapping, PortMapClient } from './types.js';
import { DEFAULT_EXCHANGE, exchange, type ExchangeTiming } from './udp-exchange.js';

export interface GatewayClientOptions {
  readonly env: Env;
  /** The default gateway's IPv4 address (the PCP/NAT-PMP server). */
  readonly gateway: string;
  /** This host's IPv4 address on the gateway's link (PCP puts it in every request). */
  readonly clientIp: string;
  readonly timing?: ExchangeTiming;
}

export class PcpClient implements PortMapClient {
  readonly protocol = 'pcp' as const;
  private ep: UdpEndpoint | undefined;
  /** One nonce per internal port: renewals and the delete must repeat it (§11.1). */
  private readonly nonces = new Map<number, Uint8Array>();

  constructor(private readonly o: GatewayClientOptions) {}

  private socket(): UdpEndpoint {
    if (!this.ep || this.ep.closed) this.ep = this.o.env.net.open();
    return this.ep;
  }

  private send(req: PcpMapRequest): Promise<PcpMapResponse | undefined> {
    const to = { ip: this.o.gateway, port: PCP_PORT };
    return exchange(
      this.o.env,
      this.socket(),
      to,
      encodePcpMap(req),
      (data) => {
        const r = decodePcpMap(data, req);
        return r.ok ? r.msg : undefined;
      },
      this.o.timing ?? DEFAULT_EXCHANGE,
    );
  }

  private request(internalPort: number, suggestedPort: number, lifetimeS: number): PcpMapRequest {
    let nonce = this.nonces.get(internalPort);
    if (!nonce) {
      nonce = this.o.env.rng.bytes(NONCE_BYTES);
      this.nonces.set(internalPort, nonce);
    }
    return {
      clientIp: this.o.clientIp,
      nonce,
      internalPort,
      suggestedPort,
      suggestedIp: '0.0.0.0',
      lifetimeS,
    };
  }

  async map(req: MapRequest): Promise<MapOutcome> {
    const r = await this.send(this.request(req.internalPort, req.externalPort, req.lifetimeS));
    if (!r) return { ok: false, kind: 'absent', reason: `no PCP answer from ${this.o.gateway}` };
    if (r.kind === 'unsupported-version') {
      return { ok: false, kind: 'absent', reason: `gateway speaks version ${r.version}, not PCP` };
    }
    if (r.kind === 'error') return { ok: false, kind: 'refused', reason: pcpResultName(r.result) };
    const mapping: Mapping = {
      protocol: 'pcp',
      internalPort: req.internalPort,
      external: { ip: r.externalIp, port: r.externalPort },
      lifetimeS: r.lifetimeS,
    };
    return { ok: true, mapping };
  }

  async unmap(m: Mapping): Promise<void> {
    await this.send(this.request(m.internalPort, m.external.port, 0));
    this.nonces.delete(m.internalPort);
  }

  close(): void {
    this.ep?.close();
  }
}
