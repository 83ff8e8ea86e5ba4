// UPnP-IGD through @achingbrain/nat-port-mapper (SSDP discovery, IGDv2 AddAnyPortMapping /
// DeletePortMapping / GetExternalIPAddress). It uses real sockets and real time, not the Env seam:
// it sits behind the same PortMapClient interface, so the mapper and its tests do not care.
import { isIP } from 'node:net';
import type { Gateway } from '@achingbrain/nat-port-mapper';
import type { MapOutcome, MapRequest, Mapping, PortMapClient } from './types.js';

export interface UpnpClientOptions {
  /** This host's LAN address: the mapping's internal client. */
  readonly localIp: string;
  /** How long SSDP discovery may take, ms. */
  readonly discoveryMs?: number;
  /** Bound on each SOAP call, ms. */
  readonly callMs?: number;
  /** Finds the gateway instead of SSDP (tests and the fuzz target: a gateway from captured replies). */
  readonly findGateway?: () => Promise<Gateway | undefined>;
}

/** The library never grants less than an hour (it rounds the lease up). */
const MIN_UPNP_LEASE_S = 3600;

export class UpnpClient implements PortMapClient {
  readonly protocol = 'upnp' as const;
  private found: Promise<Gateway | undefined> | undefined;
  private closed = false;

  constructor(private readonly o: UpnpClientOptions) {}

  /** Starts SSDP discovery (once); the mapper calls this early so it overlaps PCP/NAT-PMP. */
  discover(): Promise<Gateway | undefined> {
    this.found ??=
      this.o.findGateway?.() ??
      (async () => {
        // Loaded when discovery starts (a home with --portmap off, or any other command, skips it).
        const { upnpNat } = await import('@achingbrain/nat-port-mapper');
        const nat = upnpNat({ autoRefresh: false, description: 'porthole' });
        const signal = AbortSignal.timeout(this.o.discoveryMs ?? 2500);
        try {
          for await (const gw of nat.findGateways({ signal })) {
            if (gw.family === 'IPv4') return gw;
          }
        } catch {
          // discovery errors mean "no gateway"
        }
        return undefined;
      })();
    return this.found;
  }

  prepare(): void {
    void this.discover();
  }

  async map(req: MapRequest): Promise<MapOutcome> {
    const gw = await this.discover();
    if (!gw || this.closed) return { ok: false, kind: 'absent', reason: 'no UPnP IGD found' };
    try {
      const m = await gw.map(req.internalPort, this.o.localIp, {
        externalPort: req.externalPort,
        protocol: 'udp',
        autoRefresh: false,
        ttl: req.lifetimeS * 1000,
        signal: AbortSignal.timeout(this.o.callMs ?? 3000),
      });
      // The library hands on what the gateway's XML said: an address that is not one, a port of
      // NaN (fuzz target `upnp`). Only a believable mapping goes on to the mapper.
      const ip: unknown = m.externalHost;
      const port: unknown = m.externalPort;
      if (typeof ip !== 'string' || isIP(ip) !== 4)
        return {
          ok: false,
          kind: 'refused',
          reason: `UPnP: not an IPv4 external address: ${show(ip)}`,
        };
      if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
        return { ok: false, kind: 'refused', reason: `UPnP: not an external port: ${show(port)}` };
      const mapping: Mapping = {
        protocol: 'upnp',
        internalPort: req.internalPort,
        external: { ip, port: port as number },
        lifetimeS: Math.max(req.lifetimeS, MIN_UPNP_LEASE_S),
      };
      return { ok: true, mapping };
    } catch (e) {
      return { ok: false, kind: 'refused', reason: `UPnP: ${(e as Error).message}` };
    }
  }

  /**
   * The library's own `unmap` sends DeletePortMapping with an empty NewProtocol (miniupnpd answers
   * 402 Invalid Args and keeps the rule) and takes the internal port for the external one, so the
   * delete goes through the library's SOAP runner with the real arguments instead.
   */
  async unmap(m: Mapping): Promise<void> {
    const gw = await this.discover();
    const soap = gw && soapOf(gw);
    if (!soap) return;
    await soap
      .run(
        WAN_IP_CONNECTION_2,
        'DeletePortMapping',
        [
          ['NewRemoteHost', ''],
          ['NewExternalPort', m.external.port],
          ['NewProtocol', 'UDP'],
        ],
        { signal: AbortSignal.timeout(this.o.callMs ?? 3000) },
      )
      .catch(() => {});
  }

  close(): void {
    // Discovery's sockets close when it ends; SOAP calls are plain HTTP requests: nothing to stop.
    this.closed = true;
  }
}

/** A value from the gateway, short and printable, for a reason. */
function show(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

const WAN_IP_CONNECTION_2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';

interface SoapRunner {
  run(
    service: string,
    action: string,
    args: Array<[string, string | number]>,
    opts: { signal: AbortSignal },
  ): Promise<unknown>;
}

/** The gateway's SOAP runner (the library's `Device`, not part of its typed API; checked). */
function soapOf(gw: Gateway): SoapRunner | undefined {
  const device = (gw as unknown as { gateway?: Partial<SoapRunner> }).gateway;
  return typeof device?.run === 'function' ? (device as SoapRunner) : undefined;
}
