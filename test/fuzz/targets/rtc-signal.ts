// The phone's WebRTC signalling (src/wire/rtc-signal.ts): the compact offer/answer a page or a
// home sends inside the Noise channel's `rtc` call, as JSON text. parseSignal never throws; what
// it accepts rebuilds into an SDP that reads back to the same signal (nothing dropped or changed).
import {
  parseSignal,
  sdpFromSignal,
  signalFromSdp,
  type RtcSignal,
} from '../../../src/wire/rtc-signal.js';
import { check, sameJson, type FuzzTarget } from '../target.js';

const FP = 'a1'.repeat(32);
const SAMPLES: RtcSignal[] = [
  { u: 'abcd', p: 'p'.repeat(22), f: FP, s: 'actpass', c: ['host 192.168.1.20 50000 2130706431'] },
  {
    u: 'Zx9+/Zx9',
    p: 'Q'.repeat(24),
    f: FP,
    s: 'active',
    c: ['srflx 203.0.113.7 61000 1686052607', 'host 2001:db8::7 50001 2130706175'],
  },
  { u: 'ufrag-less'.replace('-', ''), p: 'x'.repeat(128), f: FP, s: 'passive', c: [] },
];

export const target: FuzzTarget = {
  name: 'rtc-signal',
  about: 'src/wire/rtc-signal.ts parseSignal + sdpFromSignal/signalFromSdp (phone signalling)',
  sources: ['src/wire/rtc-signal.ts'],
  maxLen: 2048,
  seeds: () => SAMPLES.map((s) => Buffer.from(JSON.stringify(s))),
  fuzz(data) {
    let v: unknown;
    try {
      v = JSON.parse(data.toString('utf8'));
    } catch {
      return; // not JSON: the rpc layer refuses it before the signal parser
    }
    const sig = parseSignal(v);
    if (!sig) return;
    check(sig.c.length <= 8 && /^[0-9a-f]{64}$/.test(sig.f), 'accepted signal shape');
    sameJson(signalFromSdp(sdpFromSignal(sig)), sig, 'signal → SDP → signal');
  },
};
