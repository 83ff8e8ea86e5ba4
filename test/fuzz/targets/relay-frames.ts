// The TCP relay front's length-prefixed frames (src/relay/frames.ts FrameDecoder). The input is
// a stream cut into chunks at arbitrary points (each chunk: a length byte, then that many bytes).
// The decoder must return frames or an error, hold at most one partial frame, and give the same
// frames however the stream is cut.
import { FrameDecoder, frame, MAX_FRAME } from '../../../src/relay/frames.js';
import { encode } from '../../../src/wire/messages.js';
import { check, decodes, sameValue, type FuzzTarget } from '../target.js';
import { SAMPLES } from './wire.js';

function feed(chunks: Buffer[]): { frames: Uint8Array[]; error?: string; held: number } {
  const d = new FrameDecoder();
  const frames: Uint8Array[] = [];
  for (const c of chunks) {
    const r = decodes(() => d.push(c));
    check(r, 'push returned nothing');
    if ('error' in r) return { frames, error: r.error, held: 0 };
    for (const f of r.frames) check(f.length <= MAX_FRAME, `a frame of ${f.length} bytes passed`);
    frames.push(...r.frames);
    // The decoder's only state is the unfinished frame: bounded by the frame limit.
    const held = (d as unknown as { buf: Uint8Array }).buf.length;
    check(held <= MAX_FRAME + 1, `decoder holds ${held} bytes`);
  }
  return { frames, held: (d as unknown as { buf: Uint8Array }).buf.length };
}

export const target: FuzzTarget = {
  name: 'relay-frames',
  about: 'src/relay/frames.ts FrameDecoder.push() over arbitrarily cut streams; frame() round trip',
  sources: ['src/relay/frames.ts'],
  maxLen: 8192,
  seeds: () => {
    const stream = Buffer.concat(SAMPLES.slice(0, 8).map((m) => frame(encode(m))));
    // Cut points: chunk lengths 7, 100, then the rest.
    return [Buffer.concat([Buffer.from([7]), stream.subarray(0, 7), Buffer.from([255]), stream])];
  },
  fuzz(data) {
    const chunks: Buffer[] = [];
    for (let off = 0; off < data.length;) {
      const n = data[off] as number;
      chunks.push(data.subarray(off + 1, off + 1 + n));
      off += 1 + n;
    }
    const cut = feed(chunks);
    const whole = feed([Buffer.concat(chunks)]);
    // An oversized length ends the stream (the caller closes it), however it was cut.
    sameValue(cut.error !== undefined, whole.error !== undefined, 'frame error (cut vs whole)');
    if (whole.error) return;
    sameValue(cut.frames, whole.frames, 'frames (cut vs whole stream)');
    // Re-framing the frames gives the stream back (less the unfinished tail).
    const again = feed([Buffer.from(Buffer.concat(whole.frames.map((f) => frame(f))))]);
    sameValue(again.frames, whole.frames, 'frame()');
  },
};
