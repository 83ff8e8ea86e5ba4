/// <reference lib="dom" />
// The phone's connection to one home: a WebSocket to the relay on the app's own origin
// (/porthole), a relayed session opened with the same signed relayOpen the CLI sends (Noise
// message 1 riding in it as `early`), the shared Noise framing with the @noble IK initiator, and
// the shared device-call client on top. The relay sees only opaque frames.
import { isPortholeError } from '../errors.js';
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
import { Liveness } from '../devices/liveness.js';
import { DeviceClient } from '../devices/rpc-client.js';
import type { PhoneIdentity } from './keys.js';
import { openDirect } from './direct.js';

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
  /** 'direct' once the home answered over the data channel; 'relayed' when it died. */
  onPath(cb: (path: 'relayed' | 'direct') => void): void;
  /** Tries the direct path (WebRTC) once; resolves true when the home follows onto it. */
  goDirect(): Promise<boolean>;
  close(): void;
}

/**
 * Why openLink gave up. `originDown`: the page's WebSocket to its own origin never opened (the
 * node serving the app is down or unreachable) — nothing else can be tried until it answers again,
 * so the session polls it briefly instead of backing off (phone/session.ts).
 */
export class LinkError extends Error {
  constructor(
    message: string,
    readonly originDown: boolean,
  ) {
    super(message);
  }
}

const RELAY_REASON: Partial<Record<RelayCloseCode, string>> = {
  [RelayCloseCode.Refused]: 'the home refused this phone (not paired, revoked, or a used code)',
  [RelayCloseCode.UnknownHome]: 'the home is not online at this rendezvous',
  [RelayCloseCode.HomeUnreachable]: 'the home did not answer',
  [RelayCloseCode.Busy]: 'the relay is busy',
};

/**
 * The device keepalive while the page watches (the CLI's is 10 s). The page sends nothing else on
 * its own, and after a NAT on its way loses the page's mapping (a conntrack flush) pushes come
 * through only once the page sends again: the soak with --phone saw the page show `relayed` and
 * render nothing for ~10 s. One small frame every 3 s, only while the page is open.
 */
const KEEPALIVE_MS = 3000;

/** Opens a relayed, encrypted link; resolves once the Noise channel is ready. */
export function openLink(o: OpenOptions): Promise<OpenLink> {
  return new Promise((resolve, reject) => {
    const session = newSessionId(o.rng);
    const tx = o.rng.int(0xffffffff);
    const ws = new WebSocket(o.wsUrl);
    ws.binaryType = 'arraybuffer';
    let ended = false;
    let ready = false;
    let wsOpened = false;
    const endCbs: ((why: string, code?: RelayCloseCode) => void)[] = [];
    const msgCbs: ((d: Uint8Array) => void)[] = [];
    const pathCbs: ((p: 'relayed' | 'direct') => void)[] = [];
    // The direct path: once its data channel is open every frame goes there; the home follows on
    // the first one that authenticates (its route becomes the data channel) and answers there.
    let dc: RTCDataChannel | undefined;
    let pc: RTCPeerConnection | undefined;
    let direct = false;
    let wsGone = false;
    let followed: (() => void) | undefined;
    const setPath = (p: 'relayed' | 'direct'): void => {
      for (const cb of pathCbs) cb(p);
    };
    let liveness: Liveness | undefined;
    const end = (why: string, code?: RelayCloseCode): void => {
      if (ended) return;
      ended = true;
      timer.cancel();
      liveness?.stop();
      pc?.close();
      try {
        ws.close();
      } catch {
        // already closing
      }
      devices?.close();
      if (!ready) reject(new LinkError(why, !wsOpened));
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
        if (dc?.readyState === 'open') return dc.send(data as Uint8Array<ArrayBuffer>);
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
    // An authenticated close from the home: "revoked" is as final as a refusal; any other reason
    // ("the home is stopping": a restart) is a lost link the session reconnects (found by the
    // soak with --phone: a restarted home left the page asking to pair again).
    channel.onError((e) =>
      end(
        e.message,
        isPortholeError(e, 'home-closed') && e.detail.reason === 'revoked'
          ? RelayCloseCode.Refused
          : undefined,
      ),
    );
    channel.onReady(() => {
      ready = true;
      timer.cancel();
      const dc = new DeviceClient(channel, o.clock, o.rng, { keepaliveMs: KEEPALIVE_MS });
      devices = dc;
      // A home that died without its goodbye (SIGKILL, power) leaves the relay's session open:
      // the page kept showing `relayed` until the relay idled it out two minutes later.
      liveness = new Liveness(
        o.clock,
        (ms, cb) => dc.probe(ms, cb),
        (why) => end(why),
      ).start();
      resolve({
        channel,
        devices,
        onEnd: (cb) => void endCbs.push(cb),
        onPath: (cb) => void pathCbs.push(cb),
        goDirect,
        close: () => end('closed'),
      });
    });
    ws.onopen = () => {
      wsOpened = true;
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
      else if (m.type === 'relayClosed') {
        // A direct session outlives its relay session: the relay idles it out after two quiet
        // minutes, which used to end a healthy direct link every ~2 min. Only a refusal is final.
        if (direct && dc?.readyState === 'open' && m.code !== RelayCloseCode.Refused) {
          wsGone = true;
          ws.close();
        } else end(RELAY_REASON[m.code] ?? `the relay closed the session: ${m.message}`, m.code);
      }
    };
    /** The data channel died: back onto the relay session (if it still lives), and say so. */
    const dropDirect = (ch: RTCDataChannel): void => {
      if (dc !== ch) return;
      dc = undefined;
      pc?.close();
      pc = undefined;
      const was = direct;
      direct = false;
      if (wsGone) return end('the direct path closed and the relay is gone');
      // An authenticated frame on the relay moves the home's channel back at once (it also goes
      // back by itself when it sees the data channel close).
      channel.nudge();
      if (was) setPath('relayed');
    };
    const goDirect = async (): Promise<boolean> => {
      if (ended || dc || !devices) return false;
      const d = await openDirect(devices);
      if (ended) {
        d.pc.close();
        return false;
      }
      pc = d.pc;
      dc = d.dc;
      const ch = d.dc;
      ch.onclose = () => dropDirect(ch);
      ch.onerror = () => dropDirect(ch);
      d.pc.onconnectionstatechange = () => {
        if (['failed', 'closed'].includes(d.pc.connectionState)) dropDirect(ch);
      };
      const confirmed = new Promise<boolean>((res) => {
        followed = () => res(true);
        setTimeout(() => res(false), 5000);
      });
      ch.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
        if (dc !== ch) return;
        if (!direct) {
          // The home answers here only once its channel follows: the path is direct now.
          direct = true;
          followed?.();
          setPath('direct');
        }
        for (const cb of msgCbs) cb(new Uint8Array(ev.data));
      };
      // The first authenticated frame over the data channel moves the home's channel here.
      channel.nudge();
      const ok = await confirmed;
      if (!ok && dc === ch) {
        ch.close();
        dropDirect(ch);
      }
      return ok;
    };
    ws.onclose = () => {
      // A direct session does not need the relay any more (nothing happens); a relayed one ends.
      if (wsGone || (direct && dc?.readyState === 'open')) wsGone = true;
      else end('the connection to the relay closed');
    };
    ws.onerror = () => {
      if (!direct) end(wsOpened ? 'the connection to the relay failed' : 'cannot reach the relay');
    };
  });
}
