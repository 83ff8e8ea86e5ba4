// Everything read from Redis is untrusted input, parsed like a datagram: size first, then shape,
// then each field against its pattern. Anything else is null (the caller counts and drops it).
import type { SocketAddr } from '../../net/types.js';
import { formatAddr, parseAddr } from '../../wire/addr.js';
import {
  HOME_ID_PATTERN,
  MAX_DATAGRAM,
  decode,
  encode,
  isSessionId,
  type Message,
  type MessageOf,
} from '../../wire/messages.js';

/** Node ids share the home id alphabet (they appear in key and channel names). */
export const NODE_ID_PATTERN = HOME_ID_PATTERN;
const MAX_ENTRY = 256;
const MAX_ENVELOPE = 2 * MAX_DATAGRAM + 256;

/** Directory value: which node holds a home, where that node listens, until when (wall clock). */
export interface DirectoryEntry {
  node: string;
  addr: SocketAddr;
  expiresAt: number;
}

/** Membership value: a live node and its public rendezvous address. */
export interface NodeEntry {
  node: string;
  addr: SocketAddr;
}

function json(text: unknown, max: number): Record<string, unknown> | null {
  if (typeof text !== 'string' || text.length > max) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function addr(v: unknown): SocketAddr | null {
  if (typeof v !== 'string' || v.length > 64) return null;
  try {
    return parseAddr(v);
  } catch {
    return null;
  }
}

function nodeId(v: unknown): string | null {
  return typeof v === 'string' && NODE_ID_PATTERN.test(v) ? v : null;
}

export function encodeEntry(e: DirectoryEntry): string {
  return JSON.stringify({ n: e.node, a: formatAddr(e.addr), x: e.expiresAt });
}

/** `now`/`maxTtlMs`: an entry already expired or living longer than any TTL we write is forged. */
export function parseEntry(text: unknown, now: number, maxTtlMs: number): DirectoryEntry | null {
  const o = json(text, MAX_ENTRY);
  if (!o) return null;
  const node = nodeId(o.n);
  const a = addr(o.a);
  const x = o.x;
  if (!node || !a || typeof x !== 'number' || !Number.isSafeInteger(x)) return null;
  const skew = 30_000;
  if (x < now - skew || x > now + maxTtlMs + skew) return null;
  return { node, addr: a, expiresAt: x };
}

export function encodeNode(e: NodeEntry): string {
  return JSON.stringify({ n: e.node, a: formatAddr(e.addr) });
}

export function parseNode(text: unknown): NodeEntry | null {
  const o = json(text, MAX_ENTRY);
  if (!o) return null;
  const node = nodeId(o.n);
  const a = addr(o.a);
  return node && a ? { node, addr: a } : null;
}

/** A forwarded assist: the node the client talks to → the node holding the home. */
export interface ForwardRequest {
  kind: 'assist';
  from: string;
  client: SocketAddr;
  size: number;
  msg: MessageOf<'assist'>;
}

/** The owner's answer, back to the node the client talks to. */
export interface ForwardAnswer {
  kind: 'reply' | 'send';
  from: string;
  session: string;
  msg: MessageOf<'assistAck'> | MessageOf<'error'> | MessageOf<'ready'>;
}

/** The new owner tells the previous one to drop its (stale) registration of a home. */
export interface MovedNotice {
  kind: 'moved';
  from: string;
  homeId: string;
}

export type Envelope = ForwardRequest | ForwardAnswer | MovedNotice;

const b64 = (m: Message): string => Buffer.from(encode(m)).toString('base64');

export function encodeEnvelope(e: Envelope): string {
  if (e.kind === 'moved') return JSON.stringify({ v: 1, k: e.kind, f: e.from, h: e.homeId });
  return e.kind === 'assist'
    ? JSON.stringify({
        v: 1,
        k: e.kind,
        f: e.from,
        s: e.msg.session,
        c: formatAddr(e.client),
        z: e.size,
        b: b64(e.msg),
      })
    : JSON.stringify({ v: 1, k: e.kind, f: e.from, s: e.session, b: b64(e.msg) });
}

function wire(v: unknown): Message | null {
  if (typeof v !== 'string' || v.length > 2 * MAX_DATAGRAM || !/^[A-Za-z0-9+/=]*$/.test(v))
    return null;
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length > MAX_DATAGRAM) return null;
  const r = decode(bytes);
  return r.ok ? r.msg : null;
}

export function parseEnvelope(text: unknown): Envelope | null {
  const o = json(text, MAX_ENVELOPE);
  if (!o || o.v !== 1) return null;
  const from = nodeId(o.f);
  if (o.k === 'moved') {
    const h = o.h;
    return from && typeof h === 'string' && HOME_ID_PATTERN.test(h)
      ? { kind: 'moved', from, homeId: h }
      : null;
  }
  const session = typeof o.s === 'string' && isSessionId(o.s) ? o.s : null;
  const msg = wire(o.b);
  if (!from || !session || !msg) return null;
  if (o.k === 'assist') {
    const client = addr(o.c);
    const size = o.z;
    if (!client || typeof size !== 'number' || !Number.isInteger(size)) return null;
    if (size < 1 || size > MAX_DATAGRAM) return null;
    if (msg.type !== 'assist' || msg.session !== session) return null;
    return { kind: 'assist', from, client, size, msg };
  }
  if (o.k !== 'reply' && o.k !== 'send') return null;
  if (msg.type === 'error') return { kind: o.k, from, session, msg };
  if ((msg.type === 'assistAck' || msg.type === 'ready') && msg.session === session)
    return { kind: o.k, from, session, msg };
  return null;
}
