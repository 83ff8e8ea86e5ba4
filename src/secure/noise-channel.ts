// End-to-end encryption on the established path: a Noise IK handshake (noise-handshake, the
// holepunch implementation) bound to the paired keys, then AEAD datagrams with an explicit
// counter and a replay window. The rendezvous and the network see only these frames.
//
// Frames (inside the plain channel's data messages):
//   0x01 | IK message 1            client → home (retransmitted until answered)
//   0x02 | IK message 2            home → client (cached and re-sent for a duplicate message 1)
//   0x03 | counter (u32) | AEAD    either way; header is the associated data
//   0x04 | reason (ASCII)          home → client: refused (a hint only; it is unauthenticated)
// A 0x03 frame with an empty plaintext is a nudge: it authenticates on the session (so it can move
// the peer onto a new path, net/roam.ts) and is never delivered; one that moved the channel is
// answered with a nudge on the new path, which tells the mover the other side followed.
import Noise, { type KeyPair } from 'noise-handshake';
import Cipher from 'noise-handshake/cipher.js';
import { createHash } from 'node:crypto';
import { Retransmitter } from '../net/retransmit.js';
import type { Clock } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { isRoamable } from '../net/roam.js';
import { ReplayWindow } from './replay-window.js';

const PROLOGUE = Buffer.from('porthole-noise-v1');
const HS1 = 1;
const HS2 = 2;
const DATA = 3;
const REFUSED = 4;
/**
 * Largest plaintext per datagram: fits the 1,400-byte data/relay payload (docs/seams.md §8) with
 * header and tag. The RPC keeps to 1,024; only stream frames (src/streams) use the rest.
 */
export const MAX_PLAINTEXT = 1400 - 5 - 16;
const MAX_COUNTER = 0xffffffff;

export interface SecureChannel extends MessageChannel {
  /** Sends an authenticated empty frame (a path-change signal, see the header). */
  nudge(): void;
  onReady(cb: () => void): void;
  onError(cb: (err: Error) => void): void;
  readonly ready: boolean;
}

interface Keys {
  send: Cipher;
  recv: Cipher;
}

/** Shared transport half: counters, replay window, framing. */
class Session {
  private sendCounter = 0;
  private readonly window = new ReplayWindow(1024);
  dropped = 0;
  constructor(
    private readonly keys: Keys,
    private readonly transport: MessageChannel,
  ) {}

  seal(plaintext: Uint8Array): void {
    if (plaintext.length > MAX_PLAINTEXT)
      throw new RangeError(`secure message over ${MAX_PLAINTEXT} bytes`);
    if (this.sendCounter > MAX_COUNTER) throw new Error('channel used up its counters; reconnect');
    const header = Buffer.alloc(5);
    header[0] = DATA;
    header.writeUInt32BE(this.sendCounter, 1);
    this.keys.send.setNonce(this.sendCounter++);
    const ct = this.keys.send.encrypt(Buffer.from(plaintext), header);
    this.transport.send(Buffer.concat([header, ct]));
  }

  /**
   * `roaming`: a frame from a new address, tried on every live session: it must also be newer
   * than any counter seen, and a failure is not this session's drop.
   */
  open(frame: Uint8Array, roaming = false): Uint8Array | undefined {
    const fail = (): undefined => (roaming ? undefined : this.drop());
    if (frame.length < 5 + 16) return fail();
    const header = Buffer.from(frame.subarray(0, 5));
    const n = header.readUInt32BE(1);
    if (!this.window.check(n) || (roaming && n <= this.window.newest)) return fail();
    try {
      this.keys.recv.setNonce(n);
      const pt = this.keys.recv.decrypt(Buffer.from(frame.subarray(5)), header);
      this.window.mark(n);
      return new Uint8Array(pt);
    } catch {
      return fail();
    }
  }

  private drop(): undefined {
    this.dropped++;
    return undefined;
  }
}

function keysOf(hs: Noise): Keys {
  return { send: new Cipher(hs.tx as Uint8Array), recv: new Cipher(hs.rx as Uint8Array) };
}

abstract class BaseChannel implements SecureChannel {
  protected session: Session | undefined;
  protected msgCbs: Array<(d: Uint8Array) => void> = [];
  protected readyCbs: Array<() => void> = [];
  protected errorCbs: Array<(e: Error) => void> = [];
  protected closed = false;

  constructor(protected readonly transport: MessageChannel) {
    transport.onMessage((frame) => {
      if (this.closed || frame.length === 0) return;
      try {
        this.onFrame(frame);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    if (isRoamable(transport)) transport.onRoamCandidate((frame) => this.roamed(frame));
  }

  /**
   * A frame from the peer's new address: it moves the channel only if it authenticates on this
   * session with a counter newer than any seen (so neither a forgery nor a replay moves it).
   */
  private roamed(frame: Uint8Array): boolean {
    if (this.closed || !this.session || frame[0] !== DATA) return false;
    const pt = this.session.open(frame, true);
    if (!pt) return false;
    // The transport already points at the new path: the answer goes there.
    if (pt.length === 0) this.session.seal(pt);
    else for (const cb of this.msgCbs) cb(pt);
    return true;
  }

  protected abstract onFrame(frame: Uint8Array): void;

  get ready(): boolean {
    return this.session !== undefined;
  }

  get droppedFrames(): number {
    return this.session?.dropped ?? 0;
  }

  send(data: Uint8Array): void {
    if (!this.session) throw new Error('secure channel not ready');
    if (data.length === 0) throw new RangeError('empty secure message (use nudge)');
    if (!this.closed) this.session.seal(data);
  }

  nudge(): void {
    if (this.session && !this.closed) this.session.seal(new Uint8Array(0));
  }

  onMessage(cb: (d: Uint8Array) => void): void {
    this.msgCbs.push(cb);
  }

  onReady(cb: () => void): void {
    if (this.session) cb();
    else this.readyCbs.push(cb);
  }

  onError(cb: (e: Error) => void): void {
    this.errorCbs.push(cb);
  }

  protected deliver(frame: Uint8Array): void {
    const pt = this.session?.open(frame);
    if (pt?.length) for (const cb of this.msgCbs) cb(pt);
  }

  protected becomeReady(keys: Keys): void {
    this.session = new Session(keys, this.transport);
    for (const cb of this.readyCbs.splice(0)) cb();
  }

  protected fail(err: Error): void {
    for (const cb of this.errorCbs) cb(err);
  }

  close(): void {
    this.closed = true;
    this.transport.close();
  }
}

// --- client (initiator) -----------------------------------------------------------------------

export interface SecureClientOptions {
  staticKeys: KeyPair;
  /** The home's Noise static key, from pairing. */
  remoteStatic: Uint8Array;
  /** Sent encrypted in message 1 (pairing proof, or empty). */
  payload?: Uint8Array;
  clock: Clock;
  /** First retransmission of message 1 (ms); backs off to 5x this. */
  retransmitMs?: number;
  maxSends?: number;
}

class SecureClient extends BaseChannel {
  private readonly hs: Noise;
  private readonly msg1: Uint8Array;
  private readonly resend: Retransmitter;

  constructor(
    transport: MessageChannel,
    private readonly o: SecureClientOptions,
  ) {
    super(transport);
    this.hs = new Noise('IK', true, {
      publicKey: Buffer.from(o.staticKeys.publicKey),
      secretKey: Buffer.from(o.staticKeys.secretKey),
    });
    this.hs.initialise(PROLOGUE, Buffer.from(o.remoteStatic));
    this.msg1 = Buffer.concat([
      Buffer.from([HS1]),
      this.hs.send(Buffer.from(o.payload ?? new Uint8Array(0))),
    ]);
    const rtoMs = o.retransmitMs ?? 300;
    this.resend = new Retransmitter(
      o.clock,
      { rtoMs, maxRtoMs: 5 * rtoMs, maxSends: o.maxSends ?? 6 },
      () => this.transport.send(this.msg1),
      () => this.fail(new Error('the home did not answer the secure handshake')),
    ).start();
  }

  protected onFrame(frame: Uint8Array): void {
    const type = frame[0];
    if (type === HS2 && !this.session) {
      this.hs.recv(Buffer.from(frame.subarray(1))); // throws if the home is not who we paired with
      this.resend.ack();
      this.becomeReady(keysOf(this.hs));
    } else if (type === DATA) {
      this.deliver(frame);
    } else if (type === REFUSED && !this.session) {
      this.resend.cancel();
      this.fail(
        new Error(`the home refused: ${Buffer.from(frame.subarray(1, 200)).toString('latin1')}`),
      );
    }
  }

  override close(): void {
    this.resend.cancel();
    super.close();
  }
}

export function secureClient(transport: MessageChannel, o: SecureClientOptions): SecureChannel {
  return new SecureClient(transport, o);
}

// --- home (responder) -------------------------------------------------------------------------

export interface SecureServerOptions {
  staticKeys: KeyPair;
  /**
   * Decides on the client's static key (and the encrypted payload of message 1): a name to
   * accept it under, or a reason to refuse. Pairing proofs are checked here.
   */
  authorize(
    remoteStatic: Uint8Array,
    payload: Uint8Array,
  ): { ok: true } | { ok: false; reason: string };
}

class SecureServer extends BaseChannel {
  private lastMsg1Hash = '';
  private lastReply: Uint8Array | undefined;
  remoteStatic: Uint8Array | undefined;

  constructor(
    transport: MessageChannel,
    private readonly o: SecureServerOptions,
  ) {
    super(transport);
  }

  protected onFrame(frame: Uint8Array): void {
    const type = frame[0];
    if (type === HS1) {
      const h = createHash('sha256').update(frame).digest('hex');
      if (h === this.lastMsg1Hash && this.lastReply) return this.transport.send(this.lastReply); // retransmission
      const hs = new Noise('IK', false, {
        publicKey: Buffer.from(this.o.staticKeys.publicKey),
        secretKey: Buffer.from(this.o.staticKeys.secretKey),
      });
      hs.initialise(PROLOGUE);
      let payload: Uint8Array;
      try {
        payload = hs.recv(Buffer.from(frame.subarray(1)));
      } catch {
        return; // not for our key, or garbled: drop silently
      }
      // A new handshake on a live channel: the same client restarted on the same address (a
      // resumed path, client/resume.ts) replaces its session; any other key is ignored.
      const rs = Buffer.from(hs.rs as Uint8Array);
      if (this.session && !(this.remoteStatic && rs.equals(this.remoteStatic))) return;
      const verdict = this.o.authorize(hs.rs as Uint8Array, payload);
      if (!verdict.ok) {
        this.transport.send(
          Buffer.concat([
            Buffer.from([REFUSED]),
            Buffer.from(verdict.reason.slice(0, 120), 'latin1'),
          ]),
        );
        return;
      }
      this.remoteStatic = new Uint8Array(hs.rs as Uint8Array);
      this.lastReply = Buffer.concat([Buffer.from([HS2]), hs.send()]);
      this.lastMsg1Hash = h;
      this.transport.send(this.lastReply);
      this.becomeReady(keysOf(hs));
    } else if (type === DATA) {
      this.deliver(frame);
    }
  }
}

export function secureServer(
  transport: MessageChannel,
  o: SecureServerOptions,
): SecureChannel & { remoteStatic: Uint8Array | undefined } {
  return new SecureServer(transport, o);
}
