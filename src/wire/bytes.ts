// Byte helpers that run the same in Node and in the browser (issue 18): the protocol layers
// (wire/, the Noise framing, the device-call client) use these instead of Buffer, so the page
// bundles the very code the CLI runs. TextEncoder/TextDecoder are globals in both.
const enc = new TextEncoder();
const dec = new TextDecoder();

export const utf8 = (s: string): Uint8Array => enc.encode(s);
/** Invalid sequences become U+FFFD (as Buffer's toString('utf8') does). */
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);
export const utf8Length = (s: string): number => enc.encode(s).length;

/** One byte per char (the low 8 bits, as Buffer's 'latin1'). */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function fromLatin1(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x] as string;
  return s;
}

/** Strict: an even number of hex digits, else RangeError. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new RangeError('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5), as Buffer's 'base64url'. */
export function toBase64Url(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((b.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) s += B64[(n >>> (18 - 6 * j)) & 63];
  }
  return s;
}

/** Accepts base64url or base64 (padding optional); RangeError on any other character. */
export function fromBase64Url(s: string): Uint8Array {
  const t = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((t.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of t) {
    const v = c === '+' ? 62 : c === '/' ? 63 : B64.indexOf(c);
    if (v < 0) throw new RangeError('not base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
