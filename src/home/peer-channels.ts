// Turns the home agent's datagram stream into one MessageChannel per client that reached it,
// so the device service can treat every client as its own conversation. A client whose address
// changed mid-session keeps its channel when its frame authenticates on it (net/roam.ts).
import type { SocketAddr } from '../net/types.js';
import { RoamGate, type RoamableChannel, type RoamCheck } from '../net/roam.js';
import { addrKey } from '../wire/addr.js';
import type { HomeAgent, RoamResult } from './agent.js';

class PeerChannel implements RoamableChannel {
  private cbs: Array<(data: Uint8Array) => void> = [];
  private roamCheck: RoamCheck | undefined;
  readonly roams = new RoamGate();
  closed = false;
  /** Has this channel ever sent? One that never did was opened by a stray frame (see onData). */
  answered = false;
  constructor(
    private readonly agent: HomeAgent,
    public peer: SocketAddr,
    private readonly onClose: (ch: PeerChannel) => void,
  ) {}
  send(data: Uint8Array): void {
    if (this.closed) return;
    this.answered = true;
    this.agent.sendData(this.peer, data);
  }
  onMessage(cb: (data: Uint8Array) => void): void {
    this.cbs.push(cb);
  }
  onRoamCandidate(check: RoamCheck): void {
    this.roamCheck = check;
  }
  deliver(data: Uint8Array): void {
    for (const cb of this.cbs) cb(data);
  }
  /**
   * Does `frame` from `to` authenticate here? Then it was delivered, and the channel moved to
   * `to` unless it moved too recently ('stayed'). The peer is set first, for synchronous replies.
   */
  tryRoam(frame: Uint8Array, to: SocketAddr, now: number): 'moved' | 'stayed' | false {
    if (this.closed || !this.roamCheck) return false;
    const old = this.peer;
    const move = this.roams.open(now);
    if (move) this.peer = to;
    if (!this.roamCheck(frame)) {
      this.peer = old;
      return false;
    }
    if (!move) return 'stayed';
    this.roams.moved(now);
    return 'moved';
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

/**
 * Calls `onChannel` once for each new peer, with a channel carrying that peer's data.
 * At most `maxChannels` live at once; the least recently active one is closed to make room.
 */
export function servePeerChannels(
  agent: HomeAgent,
  onChannel: (ch: RoamableChannel, peer: SocketAddr) => void,
  maxChannels = 64,
): void {
  const channels = new Map<string, PeerChannel>();
  const touch = (key: string, ch: PeerChannel): void => {
    channels.delete(key); // re-insert: Map order is recency order
    channels.set(key, ch);
  };
  /** A frame from an address with no (answered) channel: does it authenticate on a live one? */
  const roam = (payload: Uint8Array, from: SocketAddr): RoamResult => {
    if (channels.size === 0 || !agent.mayTryRoam(from)) return undefined;
    const now = agent.now();
    const to = addrKey(from);
    for (const [key, ch] of [...channels].reverse()) {
      const old = ch.peer;
      const r = ch.tryRoam(payload, from, now);
      if (!r) continue;
      if (r === 'stayed') return 'stayed';
      channels.delete(key);
      const stray = channels.get(to);
      if (stray && stray !== ch) stray.close();
      touch(to, ch);
      agent.peerMoved(old, from);
      return old;
    }
    return undefined;
  };
  agent.onRoam(roam);
  agent.onData((payload, from) => {
    const key = addrKey(from);
    let ch = channels.get(key);
    // A roamed client's keepalive probe made its new address known before its data arrived; and
    // a frame that arrived there first may have opened a channel that never answered.
    if (!ch?.answered && roam(payload, from)) return;
    if (ch) {
      touch(key, ch);
    } else {
      if (channels.size >= maxChannels) channels.values().next().value?.close();
      ch = new PeerChannel(agent, from, (c) => {
        const k = addrKey(c.peer);
        if (channels.get(k) === c) channels.delete(k);
      });
      channels.set(key, ch);
      onChannel(ch, from);
    }
    ch.deliver(payload);
  });
}
