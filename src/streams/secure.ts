// Each stream's own encryption (docs/streams.md "The loopback leg"): UDX runs on 127.0.0.1 beside
// a shim socket, and any local process can send UDP there — UDX accepts a packet for a connected
// stream from any source, and udx-native can neither connect its socket nor filter by source. So
// the bytes of every stream are sealed end to end with @hyperswarm/secret-stream (libsodium's
// secretstream, XChaCha20-Poly1305), keyed by 32 random bytes the client sends in the stream's
// `open` request — inside the live Noise session, so there is no second handshake and the key is
// known to the two ends only. An injected packet can end a stream (its bytes fail to verify and
// the stream is reset, counted), never put a byte into one.
import { hkdfSync, randomBytes } from 'node:crypto';
import SecretStream from '@hyperswarm/secret-stream';
import type { UDXStream } from 'udx-native';

const KEY_BYTES = 32;
/** The largest plaintext one sealed message carries: writes are split to it. */
export const MAX_MESSAGE = 64 * 1024;
/** secretstream's tag and MAC per message. */
const ABYTES = 17;

/** What secret-stream 6.9.2 keeps of the message it is reading (pinned exactly: tested). */
interface ReadState {
  _state: number;
  _len: number;
  destroying: boolean;
}

/**
 * A secret stream that splits large writes into messages of MAX_MESSAGE and refuses to read a
 * message announced larger than that: an injected length prefix (up to 16 MiB) would otherwise
 * make it buffer that much, or wait for it.
 */
class BoundedSecretStream extends SecretStream {
  /** Set by secureStream: called once when the stream ends on bytes that did not verify. */
  onForged: (() => void) | undefined;
  /** Did the UDX stream under it fail first (then it is not a forgery)? */
  rawFailed = false;

  override destroy(err?: Error): void {
    if (err && !this.rawFailed && err.name !== 'StreamRefused' && this.onForged) {
      const f = this.onForged;
      this.onForged = undefined;
      f();
    }
    super.destroy(err);
  }

  override write(data: Uint8Array): boolean {
    let ok = true;
    for (let off = 0; off < data.length; off += MAX_MESSAGE)
      ok = super.write(data.subarray(off, off + MAX_MESSAGE));
    return data.length === 0 ? super.write(data) : ok;
  }
}

/** A fresh stream key (the client's, sent in `open`). */
export function newStreamKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, 'porthole-stream-v1', info, KEY_BYTES));
}

/**
 * Wraps a connected UDX stream: `client` is the end that opened it. The two directions have their
 * own keys (HKDF-SHA256 over the stream key); `hash` binds both ends' header to this stream.
 */
export function secureStream(
  raw: UDXStream,
  key: string,
  client: boolean,
  onForged: () => void,
): SecretStream {
  const made: { s?: BoundedSecretStream } = {};
  // Before secret-stream's own listener, which destroys the stream with the UDX stream's error.
  raw.once('error', () => {
    if (made.s) made.s.rawFailed = true;
  });
  const k = Buffer.from(key, 'base64url');
  const up = derive(k, 'client to home');
  const down = derive(k, 'home to client');
  const hash = derive(k, 'stream hash');
  const none = new Uint8Array(32); // no static keys: the Noise session authenticated both ends
  const s = new BoundedSecretStream(client, raw, {
    handshake: {
      tx: client ? up : down,
      rx: client ? down : up,
      hash,
      publicKey: none,
      remotePublicKey: none,
    },
  });
  made.s = s;
  s.onForged = onForged;
  const r = s as unknown as ReadState;
  raw.on('data', () =>
    queueMicrotask(() => {
      if (r._state === 1 && r._len > MAX_MESSAGE + ABYTES && !r.destroying)
        s.destroy(new Error(`a stream message of ${r._len} bytes (forged)`));
    }),
  );
  return s;
}
