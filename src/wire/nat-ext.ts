// The optional NAT-class extension (docs/seams.md §1, issue 9) carried after the last field of
// register / assist / peerInfo / ready. It starts with a marker byte (1) so a decoder can tell
// it from the zero padding requests carry; absent means "unknown". Old decoders accept a message
// without it byte for byte; they reject one that carries it (non-zero trailing bytes), so the
// rendezvous is upgraded before homes and clients (docs/strategy.md).
import type { Reader, Writer } from './codec.js';

const MARKER = 1;

/** One byte each as in discovery/nat-class.ts (0 = unknown); delta a signed byte (0 = none). */
export interface WireNat {
  readonly mapping: number;
  readonly filtering: number;
  readonly allocation: number;
  readonly delta: number;
}

export function writeNat(w: Writer, n: WireNat | undefined): void {
  if (!n) return;
  const delta = Math.max(-128, Math.min(127, Math.trunc(n.delta)));
  w.u8(MARKER)
    .u8(n.mapping & 0xff)
    .u8(n.filtering & 0xff)
    .u8(n.allocation & 0xff)
    .u8(delta & 0xff);
}

/** Reads the extension when present (marker first); zero padding reads as absent. */
export function readNat(r: Reader): WireNat | undefined {
  // Anything but the marker is left for decode()'s trailing-bytes check.
  if (r.peek() !== MARKER) return undefined;
  r.u8();
  const mapping = r.u8();
  const filtering = r.u8();
  const allocation = r.u8();
  const d = r.u8();
  return { mapping, filtering, allocation, delta: d > 127 ? d - 256 : d };
}
