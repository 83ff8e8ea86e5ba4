// The signed-request bytes a client sends (assist, relayOpen, candidatesQuery: layout in
// secure/auth.ts), platform-neutral (issue 18): the CLI signs with node:crypto, the phone's page
// with @noble/curves — both through this one transcript and blob writer, so the relay and the home
// cannot tell them apart. The home verifies in secure/auth.ts over the same transcript.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { SocketAddr } from '../net/types.js';
import { fromHex, latin1 } from '../wire/bytes.js';
import { Writer, type Reader } from '../wire/codec.js';
import { base32Encode } from './base32.js';

export const AssistKind = { Paired: 1, Pairing: 2 } as const;

export type AssistPurpose = 'assist' | 'relay' | 'candidates';
const PURPOSE_TAG: Record<AssistPurpose, string> = {
  assist: 'porthole-assist-v1',
  relay: 'porthole-relay-v1',
  candidates: 'porthole-candidates-v1',
};
export const NO_ADDR: SocketAddr = { ip: '0.0.0.0', port: 0 };

export function writeTime(w: Writer, ms: number): Writer {
  return w.u32(Math.floor(ms / 0x100000000)).u32(ms % 0x100000000);
}
export function readTime(r: Reader): number {
  return r.u32() * 0x100000000 + r.u32();
}

export interface AssistFields {
  purpose: AssistPurpose;
  kind: number;
  homeId: string;
  session: string;
  client: SocketAddr;
  time: number;
  nonce: Uint8Array;
  codeId?: Uint8Array | undefined;
  /** Purpose-specific bytes the signature also covers (candidates: the client's list). */
  extra?: Uint8Array | undefined;
}

export function assistTranscript(f: AssistFields): Uint8Array {
  const w = new Writer()
    .str(PURPOSE_TAG[f.purpose])
    .u8(f.kind)
    .str(f.homeId)
    .bytes(fromHex(f.session))
    .addr(f.client);
  writeTime(w, f.time).bytes(f.nonce);
  if (f.codeId) w.bytes(f.codeId);
  if (f.extra) w.bytes(f.extra);
  return w.finish();
}

export const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  hmac(sha256, key, data);

/** Whoever holds the client's Ed25519 key: node:crypto in the CLI, @noble in the page. */
export interface Signer {
  readonly edPublic: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

/** kind(1) | clientEdPub(32) | time(8) | nonce(8) | [codeId(8) | mac(32)] | sig(64). */
export function signedAssistBlob(
  signer: Signer,
  a: {
    homeId: string;
    session: string;
    client?: SocketAddr;
    now: number;
    nonce: Uint8Array;
    pairing?: { codeId: string; secret: Uint8Array } | undefined;
    purpose?: AssistPurpose;
    extra?: Uint8Array | undefined;
  },
): Uint8Array {
  const codeId = a.pairing ? fromHex(a.pairing.codeId) : undefined;
  const kind = a.pairing ? AssistKind.Pairing : AssistKind.Paired;
  const t = assistTranscript({
    purpose: a.purpose ?? 'assist',
    kind,
    homeId: a.homeId,
    session: a.session,
    client: a.client ?? NO_ADDR,
    time: a.now,
    nonce: a.nonce,
    codeId,
    extra: a.extra,
  });
  const w = writeTime(new Writer().u8(kind).bytes(signer.edPublic), a.now).bytes(a.nonce);
  if (a.pairing && codeId) w.bytes(codeId).bytes(hmacSha256(a.pairing.secret, t));
  return w.bytes(signer.sign(t)).finish();
}

/** relayOpen.auth: the client's proof for one relayed session to `homeId` (no address). */
export function signedRelayAuth(
  signer: Signer,
  a: {
    homeId: string;
    session: string;
    now: number;
    nonce: Uint8Array;
    pairing?: { codeId: string; secret: Uint8Array } | undefined;
  },
): Uint8Array {
  return signedAssistBlob(signer, { ...a, client: NO_ADDR, purpose: 'relay' });
}

/**
 * A home's id: "ph-" + 26 base32 chars (130 bits) of SHA-256 over both public keys. Nobody can
 * register it without the matching private key, and it is short enough to type.
 */
export function homeIdOf(pub: { edPublic: Uint8Array; dhPublic: Uint8Array }): string {
  const h = sha256
    .create()
    .update(latin1('porthole home id v1'))
    .update(pub.edPublic)
    .update(pub.dhPublic)
    .digest();
  return 'ph-' + base32Encode(h).slice(0, 26);
}

/** Constant-time equality of two MACs. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}
