// Compact WebRTC signalling (issue 18 item 4), platform-neutral: the page and the home exchange
// only what a data-channel session needs — ICE ufrag and password, the DTLS fingerprint, the DTLS
// role and a few UDP candidates — inside the Noise channel (an `rtc` device call), never a full
// SDP (it does not fit one frame, and most of it is constant). Each side rebuilds a minimal SDP
// from the other's signal. Untrusted input: parsed strictly.

export interface RtcSignal {
  /** ice-ufrag (4-32 ICE chars) */
  u: string;
  /** ice-pwd (22-128 ICE chars) */
  p: string;
  /** sha-256 DTLS fingerprint, 64 hex digits (no colons) */
  f: string;
  /** a=setup: 'actpass' (an offer), 'active' or 'passive' (an answer) */
  s: 'actpass' | 'active' | 'passive';
  /** UDP candidates: "TYPE ADDRESS PORT PRIORITY", TYPE one of host, srflx, prflx, relay */
  c: string[];
}

export const MAX_RTC_CANDIDATES = 8;
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TYPES = ['host', 'srflx', 'prflx', 'relay'];
const ADDRESS = /^[0-9A-Za-z.:-]{1,64}$/;

/** The compact signal in `sdp` (one data-channel m-line), or undefined. UDP candidates only. */
export function signalFromSdp(sdp: string): RtcSignal | undefined {
  const attr = (name: string): string | undefined =>
    new RegExp(`^a=${name}:(.+)$`, 'm').exec(sdp)?.[1]?.trim();
  const u = attr('ice-ufrag');
  const p = attr('ice-pwd');
  const fp = /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/m.exec(sdp)?.[1];
  const s = attr('setup');
  if (!u || !p || !fp || !s) return undefined;
  const c: string[] = [];
  for (const m of sdp.matchAll(/^a=(candidate:.+)$/gm)) {
    const line = candidateCompact(m[1] as string);
    if (line && c.length < MAX_RTC_CANDIDATES && !c.includes(line)) c.push(line);
  }
  return parseSignal({ u, p, f: fp.replace(/:/g, '').toLowerCase(), s, c });
}

/** "candidate:F 1 udp PRIO ADDR PORT typ TYPE …" → "TYPE ADDR PORT PRIO" (component 1, UDP). */
export function candidateCompact(line: string): string | undefined {
  const w = line
    .replace(/^a=/, '')
    .replace(/^candidate:/, '')
    .trim()
    .split(/\s+/);
  if (w.length < 8 || w[1] !== '1' || w[2]?.toLowerCase() !== 'udp' || w[6] !== 'typ') return;
  const [, , , prio, addr, port, , type] = w;
  const out = `${type} ${addr} ${port} ${prio}`;
  return validCandidate(out) ? out : undefined;
}

function validCandidate(c: string): boolean {
  const w = c.split(' ');
  if (w.length !== 4) return false;
  const [type, addr, port, prio] = w as [string, string, string, string];
  const pn = Number(port);
  const pr = Number(prio);
  return (
    TYPES.includes(type) &&
    ADDRESS.test(addr) &&
    /^\d{1,5}$/.test(port) &&
    pn > 0 &&
    pn < 65536 &&
    /^\d{1,10}$/.test(prio) &&
    pr < 2 ** 32
  );
}

/** Untrusted → a signal, or undefined. */
export function parseSignal(v: unknown): RtcSignal | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const { u, p, f, s, c } = r;
  if (typeof u !== 'string' || u.length < 4 || u.length > 32 || !ICE_CHARS.test(u)) return;
  if (typeof p !== 'string' || p.length < 22 || p.length > 128 || !ICE_CHARS.test(p)) return;
  if (typeof f !== 'string' || !/^[0-9a-f]{64}$/.test(f)) return;
  if (s !== 'actpass' && s !== 'active' && s !== 'passive') return;
  if (!Array.isArray(c) || c.length > MAX_RTC_CANDIDATES) return;
  if (!c.every((x) => typeof x === 'string' && validCandidate(x))) return;
  // A repeated candidate would vanish when the SDP is rebuilt and read back: refused here, so what
  // is accepted is exactly what the other side gets.
  if (new Set(c).size !== c.length) return;
  return { u, p, f, s, c: c as string[] };
}

/** A minimal SDP for a data channel (mid "0") from a signal. */
export function sdpFromSignal(sig: RtcSignal): string {
  const fp = (sig.f.toUpperCase().match(/../g) as string[]).join(':');
  const lines = [
    'v=0',
    'o=- 1 1 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    `a=ice-ufrag:${sig.u}`,
    `a=ice-pwd:${sig.p}`,
    `a=fingerprint:sha-256 ${fp}`,
    `a=setup:${sig.s}`,
    'a=sctp-port:5000',
    'a=max-message-size:262144',
  ];
  sig.c.forEach((c, i) => {
    const [type, addr, port, prio] = c.split(' ');
    lines.push(`a=candidate:${i + 1} 1 udp ${prio} ${addr} ${port} typ ${type}`);
  });
  lines.push('a=end-of-candidates');
  return lines.join('\r\n') + '\r\n';
}
