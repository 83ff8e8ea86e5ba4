/// <reference lib="dom" />
// The phone's connection to one home: a WebSocket to the relay on the app's own origin
// (/porthole), a relayed session opened with the same signed relayOpen the CLI sends (Noise
// message 1 riding in it as `early`), the shared Noise framing with the @noble IK initiator, and
// the shared device-call client on top. The relay sees only opaque frames.
import type { MessageChannel } from '../net/channel.js';
import type { Clock, Random } from '../net/types.js';
import { newSessionId } from '../net/tx-ids.js';
import { signedRelayAuth } from '../secure/neutral-auth.js';
import { initiatorChannel, PROLOGUE, type SecureChannel } from '../secure/noise-frames.js';
import { nobleIkInitiator } from '../secure/noise-ik.js';
import { codeId } from '../secure/pairing-code.js';
import { pairingProof } from '../secure/pairing-proof.js';
import { decode, encode, REQUEST_PAD, type Message } from '../wire/messages.js';
import { MAX_EARLY, RelayCloseCode } from '../wire/relay-messages.js';
import { DeviceClient } from '../devices/rpc-client.js';
import type { PhoneIdentity } from './keys.js';

export interface HomeKeys {
  homeId: string;
  /** The home's Noise static key (from the pairing code). */
  dhPublic: Uint8Array;
}

export interface OpenOptions {
  wsUrl: string;
  me: PhoneIdentity;
  home: HomeKeys;
  clock: Clock;
  rng: Random;
  /** Pairing: the code's secret and the name the user chose. */
  pairing?: { secret: Uint8Array; name: string };
  /** Give up when the secure channel is not ready within this (ms). */
  timeoutMs?: number;
}

export interface OpenLink {
  channel: SecureChannel;
  devices: DeviceClient;
  /** Called once when the link ends (relay closed, socket gone, refused). */
  onEnd(cb: (why: string, code?: RelayCloseCode) => void): void;
  close(): void;
}

const RELAY_REASON: Partial<Record<RelayCloseCode, string>> = {
  [RelayCloseCode.Refused]: 'the home refused this phone (not paired, revoked, or a used code)',
  [RelayCloseCode.UnknownHome]: 'the home is not online at this rendezvous',
  [RelayCloseCode.HomeUnreachable]: 'the home did not answer',
  [RelayCloseCode.Busy]: 'the relay is busy',
};

/** Opens a relayed, encrypted link; resolves once the Noise channel is ready. */
export function openLink(o: OpenOptions): Promise<OpenLink> {
  return new Promise((resolve, reject) => {
    const session = newSessionId(o.rng);
    const tx = o.rng.int(0xffffffff);
    const ws = new WebSocket(o.wsUrl);
    ws.binaryType = 'arraybuffer';
    let ended = false;
    let ready = false;
    const endCbs: ((why: string, code?: RelayCloseCode) => void)[] = [];
    const msgCbs: ((d: Uint8Array) => void)[] = [];
    const end = (why: string, code?: RelayCloseCode): void => {
      if (ended) return;
      ended = true;
      timer.cancel();
      try {
        ws.close();
      } catch {
        // already closing
      }
      devices?.close();
      if (!ready) reject(new Error(why));
      for (const cb of endCbs) cb(why, code);
    };
    const timer = o.clock.setTimer(o.timeoutMs ?? 8000, () =>
      end('the home did not answer in time'),
    );
    const send = (m: Message, pad = 0): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encode(m, pad) as Uint8Array<ArrayBuffer>);
    };
    // Before the relay said ready, frames are held back (the first one rides in relayOpen).
    let early: Uint8Array | undefined;
    let relayReady = false;
    const transport: MessageChannel = {
      send(data) {
        if (!relayReady) {
          if (!early && data.length <= MAX_EARLY) early = data;
          return;
        }
        send({ type: 'relayData', session, payload: data });
      },
      onMessage: (cb) => void msgCbs.push(cb),
      close: () => end('closed'),
    };
    const secret = o.pairing?.secret;
    const channel = initiatorChannel(
      transport,
      nobleIkInitiator(o.me.dh, o.home.dhPublic, PROLOGUE),
      {
        clock: o.clock,
        payload:
          o.pairing && secret
            ? pairingProof(
                { dhPublic: o.me.dh.publicKey, edPublic: o.me.edPublic },
                codeId(secret),
                secret,
                o.pairing.name,
              )
            : new Uint8Array(0),
      },
    );
    let devices: DeviceClient | undefined;
    channel.onError((e) => end(e.message));
    channel.onReady(() => {
      ready = true;
      timer.cancel();
      devices = new DeviceClient(channel, o.clock, o.rng);
      resolve({
        channel,
        devices,
        onEnd: (cb) => void endCbs.push(cb),
        close: () => end('closed'),
      });
    });
    ws.onopen = () => {
      const auth = signedRelayAuth(o.me, {
        homeId: o.home.homeId,
        session,
        now: o.clock.wallNow?.() ?? 0,
        nonce: o.rng.bytes(8),
        pairing: secret ? { codeId: codeId(secret), secret } : undefined,
      });
      send(
        {
          type: 'relayOpen',
          tx,
          homeId: o.home.homeId,
          session,
          auth,
          early: early ?? new Uint8Array(0),
        },
        REQUEST_PAD,
      );
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
      const r = decode(new Uint8Array(ev.data));
      if (!r.ok || !('session' in r.msg) || r.msg.session !== session) return;
      const m = r.msg;
      if (m.type === 'relayReady') relayReady = true;
      else if (m.type === 'relayData') for (const cb of msgCbs) cb(m.payload);
      else if (m.type === 'relayClosed')
        end(RELAY_REASON[m.code] ?? `the relay closed the session: ${m.message}`, m.code);
    };
    ws.onclose = () => end('the connection to the relay closed');
    ws.onerror = () => end('cannot reach the relay');
  });
}
