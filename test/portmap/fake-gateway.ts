// A byte-level fake network for the port-mapping clients: every send is recorded with its time,
// and a `responder` (the fake gateway) may answer after `rttMs` of the fake clock.
import type { DatagramHandler, SocketAddr, UdpEndpoint, UdpNet } from '../../src/net/types.js';
import type { FakeClock } from '../support/fakes.js';

export interface ByteSent {
  readonly data: Uint8Array;
  readonly to: SocketAddr;
  readonly at: number;
}

export class ByteNet implements UdpNet {
  readonly sent: ByteSent[] = [];
  /** The gateway: returns the reply (and optionally who it seems to come from), or nothing. */
  responder: (
    data: Uint8Array,
    to: SocketAddr,
  ) => { reply: Uint8Array; from?: SocketAddr } | undefined = () => undefined;
  private port = 50000;

  constructor(
    private readonly clock: FakeClock,
    readonly ip = '192.168.1.10',
    readonly rttMs = 5,
  ) {}

  open(): UdpEndpoint {
    const local = { ip: this.ip, port: this.port++ };
    let handler: DatagramHandler = () => {};
    const ep: UdpEndpoint = {
      closed: false,
      send: (data, to) => {
        if (ep.closed) return;
        this.sent.push({ data: Uint8Array.from(data), to, at: this.clock.now() });
        const r = this.responder(data, to);
        if (r) this.clock.setTimer(this.rttMs, () => ep.closed || handler(r.reply, r.from ?? to));
      },
      onDatagram: (h) => void (handler = h),
      onError: () => {},
      localAddress: () => local,
      close: () => void ((ep as { closed: boolean }).closed = true),
    };
    return ep;
  }
}

/** Advances the fake clock in small steps, letting promise continuations run in between. */
export async function settle(clock: FakeClock, ms: number, step = 5): Promise<void> {
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  await flush();
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush();
  }
}

const u16 = (b: Uint8Array, o: number): number => ((b[o] as number) << 8) | (b[o + 1] as number);
const u32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o);

/** A PCP server (RFC 6887) granting what is asked, at `externalIp`; `result` to refuse. */
export function pcpReply(req: Uint8Array, externalIp: number[], result = 0): Uint8Array {
  const out = new Uint8Array(60);
  const v = new DataView(out.buffer);
  out[0] = 2;
  out[1] = 0x81;
  out[3] = result;
  v.setUint32(4, Math.min(u32(req, 4), 3600));
  v.setUint32(8, 1);
  out.set(req.subarray(24, 42), 24); // nonce, protocol, reserved, internal port
  v.setUint16(42, u16(req, 42)); // the suggested port is granted
  out.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...externalIp], 44);
  return out;
}

/** A NAT-PMP server (RFC 6886) at `externalIp`, granting what is asked. */
export function natpmpReply(req: Uint8Array, externalIp: number[]): Uint8Array | undefined {
  if (req[0] !== 0) return Uint8Array.from([0, 128 + (req[1] ?? 0), 0, 1, 0, 0, 0, 1]);
  if (req[1] === 0) return Uint8Array.from([0, 128, 0, 0, 0, 0, 0, 1, ...externalIp]);
  if (req[1] !== 1) return undefined;
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  out[1] = 129;
  v.setUint32(4, 1);
  v.setUint16(8, u16(req, 4));
  v.setUint16(10, u16(req, 6));
  v.setUint32(12, Math.min(u32(req, 8), 3600));
  return out;
}
