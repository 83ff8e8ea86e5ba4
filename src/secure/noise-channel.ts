// End-to-end encryption on the established path, Node side: a Noise IK handshake (noise-handshake,
// the holepunch implementation, on libsodium) bound to the paired keys. The frame format, replay
// window and nudges are secure/noise-frames.ts, shared with the browser (secure/noise-ik.ts).
import Noise, { type KeyPair } from 'noise-handshake';
import Cipher from 'noise-handshake/cipher.js';
import { createHash } from 'node:crypto';
import type { MessageChannel } from '../net/channel.js';
import {
  BaseChannel,
  DATA,
  HS1,
  HS2,
  initiatorChannel,
  PROLOGUE,
  REFUSED,
  type IkInitiator,
  type InitiatorOptions,
  type Keys,
  type SecureChannel,
  type TransportCipher,
} from './noise-frames.js';

export type { SecureChannel } from './noise-frames.js';

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function cipherOf(key: Uint8Array): TransportCipher {
  const c = new Cipher(key);
  return {
    seal(n, ad, pt) {
      c.setNonce(n);
      return new Uint8Array(c.encrypt(buf(pt), buf(ad)));
    },
    open(n, ad, ct) {
      c.setNonce(n);
      return new Uint8Array(c.decrypt(buf(ct), buf(ad)));
    },
  };
}

function keysOf(hs: Noise): Keys {
  return { send: cipherOf(hs.tx as Uint8Array), recv: cipherOf(hs.rx as Uint8Array) };
}

/** noise-handshake's IK initiator behind the neutral seam. */
export function nodeIkInitiator(staticKeys: KeyPair, remoteStatic: Uint8Array): IkInitiator {
  const hs = new Noise('IK', true, {
    publicKey: Buffer.from(staticKeys.publicKey),
    secretKey: Buffer.from(staticKeys.secretKey),
  });
  hs.initialise(PROLOGUE, Buffer.from(remoteStatic));
  return {
    writeMessage1: (payload) => new Uint8Array(hs.send(Buffer.from(payload))),
    readMessage2: (msg) => {
      hs.recv(Buffer.from(msg));
      return keysOf(hs);
    },
  };
}

// --- client (initiator) -----------------------------------------------------------------------

export interface SecureClientOptions extends InitiatorOptions {
  staticKeys: KeyPair;
  /** The home's Noise static key, from pairing. */
  remoteStatic: Uint8Array;
}

export function secureClient(transport: MessageChannel, o: SecureClientOptions): SecureChannel {
  return initiatorChannel(transport, nodeIkInitiator(o.staticKeys, o.remoteStatic), o);
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
