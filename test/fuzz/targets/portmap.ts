// Port-mapping replies from the gateway (src/portmap): NAT-PMP address and mapping responses,
// and PCP MAP responses (checked against the request they answer). Each decoder returns a typed
// message or an error value and never throws. The first input byte picks the decoder.
import { decodeNatpmpAddress, decodeNatpmpMap } from '../../../src/portmap/natpmp-codec.js';
import { decodePcpMap, encodePcpMap, type PcpMapRequest } from '../../../src/portmap/pcp-codec.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const pcpReq: PcpMapRequest = {
  clientIp: '192.168.1.20',
  nonce: new Uint8Array(12).fill(9),
  internalPort: 40000,
  suggestedPort: 40000,
  suggestedIp: '0.0.0.0',
  lifetimeS: 7200,
};
const natpmpReq = { internalPort: 40000, suggestedPort: 40000, lifetimeS: 7200 };

function natpmpReply(op: number, body: number[]): Uint8Array {
  return Uint8Array.from([0, 128 + op, 0, 0, 0, 0, 0x12, 0x34, ...body]);
}

/** A PCP answer: the request with the R bit, result 0, and the server's epoch and address. */
function pcpReply(): Uint8Array {
  const b = encodePcpMap(pcpReq);
  b[1] = 0x81;
  b[3] = 0;
  b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 5], 24 + 20);
  return b;
}

export const target: FuzzTarget = {
  name: 'portmap',
  about: 'src/portmap decodeNatpmpAddress/decodeNatpmpMap/decodePcpMap (gateway replies)',
  sources: ['src/portmap/natpmp-codec.ts', 'src/portmap/pcp-codec.ts'],
  maxLen: 1200,
  seeds: () => [
    Uint8Array.from([0, ...natpmpReply(0, [203, 0, 113, 5])]),
    Uint8Array.from([1, ...natpmpReply(1, [0x9c, 0x40, 0x9c, 0x41, 0, 0, 0x1c, 0x20])]),
    Uint8Array.from([2, ...pcpReply()]),
    Uint8Array.from([2, 0, 129, 0, 1]),
  ],
  fuzz(data) {
    const body = data.subarray(1);
    switch ((data[0] ?? 0) % 3) {
      case 0: {
        const r = decodes(() => decodeNatpmpAddress(body));
        if (r?.ok && r.msg.kind === 'ok')
          check(/^\d+\.\d+\.\d+\.\d+$/.test(r.msg.externalIp), 'ip');
        return;
      }
      case 1: {
        const r = decodes(() => decodeNatpmpMap(body, natpmpReq));
        if (r?.ok && r.msg.kind === 'ok') check(r.msg.externalPort > 0, 'NAT-PMP port 0 accepted');
        return;
      }
      default: {
        const r = decodes(() => decodePcpMap(body, pcpReq));
        if (r?.ok && r.msg.kind === 'mapped') {
          check(/^\d+\.\d+\.\d+\.\d+$/.test(r.msg.externalIp), 'PCP external address');
          check(r.msg.externalPort > 0, 'PCP port 0 accepted');
        }
      }
    }
  },
};
