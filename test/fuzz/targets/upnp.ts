// UPnP replies from the LAN (src/portmap/upnp-client.ts over @achingbrain/nat-port-mapper): the
// SSDP search response, the IGD description XML at its LOCATION, and the SOAP answers to
// AddAnyPortMapping and GetExternalIPAddress, fed through the library's own parsers
// (parseSsdpMessage, xml2js as resolveLocation and fetchXML call it, Device, the IGDv2 service)
// and Porthole's UpnpClient, with `fetch` answered from the input instead of the network.
// Contract: map() never rejects or hangs; it gives a mapping with an IPv4 external address and a
// port in 1-65535, or `refused`/`absent`. Input: four parts split by NUL bytes; the first byte
// of each SOAP part picks its HTTP status (even: 200, odd: 500).
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Gateway } from '@achingbrain/nat-port-mapper';
import { UpnpClient } from '../../../src/portmap/upnp-client.js';
import type { MapOutcome } from '../../../src/portmap/types.js';
import { check, violated, type FuzzTarget } from '../target.js';

/** A module beside a package's entry point (not in its exports: the parsers are internal). */
async function inside<T>(pkg: string, file: string): Promise<T> {
  return (await import(new URL(file, import.meta.resolve(pkg)).href)) as T;
}

type Service = {
  location: URL;
  details: unknown;
  expires: number;
  serviceType: unknown;
  uniqueServiceName: unknown;
};
const { parseSsdpMessage } = await inside<{
  parseSsdpMessage: (
    ssdp: { emit: (type: string, m: Record<string, unknown>) => void },
    b: Buffer,
    remote: unknown,
  ) => void;
}>('@achingbrain/ssdp', 'parse-ssdp-message.js');
const { Device } = await inside<{ Device: new (s: Service) => unknown }>(
  '@achingbrain/nat-port-mapper',
  'upnp/device.js',
);
const { InternetGatewayService4 } = await inside<{
  InternetGatewayService4: new (d: unknown, o: object) => Gateway;
}>('@achingbrain/nat-port-mapper', 'upnp/internet-gateway-service-4.js');
// xml2js as the library resolves it (a dependency of the library, not of Porthole).
const { parseStringPromise } = createRequire(import.meta.resolve('@achingbrain/nat-port-mapper'))(
  'xml2js',
) as { parseStringPromise: (text: string, o: object) => Promise<unknown> };

const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2';
const WANIP2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

/** The search response, as @achingbrain/ssdp's discovery takes it (the same checks, in order). */
function searchResponse(datagram: Buffer): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  try {
    parseSsdpMessage(
      { emit: (type, m) => void (type === 'ssdp:search-response' && (found = m)) },
      datagram,
      { address: '192.168.1.1', port: 1900 },
    );
  } catch {
    return undefined; // the library throws on an unknown message type; its socket handler drops it
  }
  return found;
}

async function gatewayFrom(ssdp: Buffer, description: string): Promise<Gateway | undefined> {
  const m = searchResponse(ssdp);
  if (!m || m.USN == null || m.ST == null || m.LOCATION == null || m.ttl == null) return undefined;
  if (m.ST !== IGD2) return undefined; // discovery.js takes only IGDv2 services
  let location: URL;
  try {
    location = new URL(`${m.LOCATION as string | number}`);
  } catch {
    return undefined; // resolveService rejects; the discovery logs it
  }
  // resolveLocation: the description parsed as the library parses it.
  const result = (await parseStringPromise(description, {
    normalize: true,
    explicitArray: false,
    explicitRoot: true,
  })) as { root?: unknown } | null;
  const details = result == null ? {} : (result.root ?? result);
  const ttl = (m.ttl as () => number)();
  const service: Service = {
    location,
    details,
    // A service whose max-age is missing or bad (NaN) has expired at once: the library searches
    // again over SSDP on every call, bounded by the call's timeout. The target stays off the
    // network: such a gateway is kept for an hour instead.
    expires: Date.now() + (ttl > 0 ? ttl : 3_600_000),
    serviceType: m.ST,
    uniqueServiceName: m.USN,
  };
  const device = new Device(service);
  // UPnPClient.findGateways: IPv4 hosts get the IPv4 service (the client keeps only IPv4).
  if (isIP(location.hostname) !== 4) return undefined;
  return new InternetGatewayService4(device, { autoRefresh: false, description: 'porthole' });
}

/** What fetchXML reads of a Response (a real one costs a stream per call: 10× slower). */
function soapAnswer(part: Buffer): Response {
  const status = part.length && (part[0] as number) % 2 ? 500 : 200;
  const text = part.subarray(1).toString('utf8');
  return {
    ok: status === 200,
    status,
    statusText: status === 200 ? 'OK' : 'Internal Server Error',
    headers: new Headers({ 'content-type': 'text/xml; charset="utf-8"' }),
    text: () => Promise.resolve(text),
  } as Response;
}

function parts(data: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < n - 1; i++) {
    const nul = data.indexOf(0, at);
    if (nul < 0) break;
    out.push(data.subarray(at, nul));
    at = nul + 1;
  }
  out.push(data.subarray(at));
  while (out.length < n) out.push(Buffer.alloc(0));
  return out;
}

const soap = (action: string, body: string): string =>
  `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="${SOAP}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:${action} xmlns:u="${WANIP2}">${body}</u:${action}></s:Body></s:Envelope>\r\n`;

/** A miniupnpd-like IGDv2: search response, description, and both answers. */
function seed(
  ip: string,
  port: string,
  statuses: [number, number] = [0, 0],
  addBody?: string,
): Uint8Array {
  const ssdp =
    'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n' +
    'USN: uuid:a4c9a1a8-0000-4000-8000-00a0c9a1a801::urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n' +
    'EXT:\r\nSERVER: OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.3\r\nLOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n\r\n';
  const description =
    `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>1</minor></specVersion>` +
    `<device><deviceType>${IGD2}</deviceType><friendlyName>OpenWRT router</friendlyName><UDN>uuid:a4c9a1a8-0000-4000-8000-00a0c9a1a801</UDN>` +
    `<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><deviceList><device>` +
    `<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><serviceList><service>` +
    `<serviceType>${WANIP2}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>` +
    `<SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL>` +
    `</service></serviceList></device></deviceList></device></deviceList></device></root>`;
  const add =
    statuses[0] % 2
      ? `<?xml version="1.0"?><s:Envelope xmlns:s="${SOAP}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`
      : soap('AddAnyPortMappingResponse', addBody ?? `<NewReservedPort>${port}</NewReservedPort>`);
  const ext = soap(
    'GetExternalIPAddressResponse',
    `<NewExternalIPAddress>${ip}</NewExternalIPAddress>`,
  );
  return Buffer.concat([
    Buffer.from(ssdp),
    Buffer.from([0]),
    Buffer.from(description),
    Buffer.from([0, statuses[0]]),
    Buffer.from(add),
    Buffer.from([0, statuses[1]]),
    Buffer.from(ext),
  ]);
}

const REQ = { internalPort: 40000, externalPort: 40000, lifetimeS: 7200 };

export const target: FuzzTarget = {
  name: 'upnp',
  about:
    'UPnP replies: SSDP search response, IGD description, SOAP AddAnyPortMapping and GetExternalIPAddress → UpnpClient.map',
  sources: ['src/portmap/upnp-client.ts'],
  async: true,
  instrument: ['node_modules/@achingbrain/', 'node_modules/xml2js/', 'node_modules/sax/'],
  maxLen: 4096,
  seeds: () => [
    seed('203.0.113.5', '40000'),
    seed('203.0.113.5', '40017'),
    seed('100.64.0.9', '40000'),
    seed('203.0.113.5', '40000', [1, 0]),
    seed('203.0.113.5', '40000', [0, 1]),
    seed('<a>1</a>', '40000'),
    seed('203.0.113.5', 'NaN'),
    seed('203.0.113.5', '40000', [0, 0], '<NewReservedPort><x/></NewReservedPort>'),
  ],
  async fuzz(data) {
    const [ssdp, description, add, ext] = parts(data, 4) as [Buffer, Buffer, Buffer, Buffer];
    const answers = [add, ext];
    const realFetch = globalThis.fetch;
    globalThis.fetch = () => {
      const part = answers.shift();
      return part
        ? Promise.resolve(soapAnswer(part))
        : Promise.reject(new TypeError('fetch failed'));
    };
    try {
      const client = new UpnpClient({
        localIp: '192.168.1.20',
        callMs: 5000,
        // xml2js and the SSDP parser may throw on their input: that is "no gateway" to the client.
        findGateway: () => gatewayFrom(ssdp, description.toString('utf8')).catch(() => undefined),
      });
      let out: MapOutcome;
      try {
        out = await client.map(REQ);
      } catch (e) {
        violated('map() rejected', e);
      }
      if (out.ok) {
        const { ip, port } = out.mapping.external;
        check(typeof ip === 'string' && isIP(ip) === 4, `external address ${String(ip)}`);
        check(Number.isInteger(port) && port >= 1 && port <= 65535, `external port ${port}`);
        check(out.mapping.lifetimeS >= REQ.lifetimeS, 'lifetime');
      } else check(out.kind === 'refused' || out.kind === 'absent', `failure kind ${out.kind}`);
      client.close();
    } finally {
      globalThis.fetch = realFetch;
    }
  },
};
