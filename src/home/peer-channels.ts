// Turns the home agent's datagram stream and its relayed sessions into one MessageChannel per
// client, so the device service can treat every client as its own conversation. A channel's route
// is the client's UDP address or a relayed session; it moves to another route when a frame from
// there authenticates on it (net/roam.ts): a client whose address changed, a relayed client that
// punched a direct path (the upgrade), or one that fell back onto the relay (issue 10). A phone's
// WebRTC data channel (home/webrtc.ts) is one more route of this kind: its first authenticated
// frame moves the phone's channel off the relay; when it dies, the channel goes back to the relay
// session it came from (if that is still open) or the phone's next relayed frame takes it back.
import type { MessageChannel } from '../net/channel.js';
import type { Path } from '../net/path.js';
import type { SocketAddr } from '../net/types.js';
import { RoamGate, type RoamableChannel, type RoamCheck } from '../net/roam.js';
import { addrKey } from '../wire/addr.js';
import type { HomeAgent } from './agent.js';

/** Where a channel's frames go: the client's UDP address, or (with `path`) a relayed session. */
interface Route {
  peer: SocketAddr;
  path?: Path;
}

class PeerChannel implements RoamableChannel {
  private cbs: Array<(data: Uint8Array) => void> = [];
  private roamCheck: RoamCheck | undefined;
  readonly roams = new RoamGate();
  closed = false;
  /** Has this channel ever sent? One that never did was opened by a stray frame (see onData). */
  answered = false;
  /** The route it had before it moved onto a data channel (where it goes back when that dies). */
  before: Route | undefined;
  constructor(
    private readonly agent: HomeAgent,
    public route: Route,
    private readonly onClose: (ch: PeerChannel) => void,
  ) {}
  send(data: Uint8Array): void {
    if (this.closed) return;
    this.answered = true;
    if (this.route.path) this.route.path.send(data);
    else this.agent.sendData(this.route.peer, data);
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
   * Does `frame` arriving over `to` authenticate here? Then it was delivered, and the channel
   * moved to `to` unless it moved too recently ('stayed'). The route is set first, so a reply the
   * frame triggers (a nudge's answer) already takes the new one.
   */
  tryRoam(frame: Uint8Array, to: Route, now: number): 'moved' | 'stayed' | false {
    if (this.closed || !this.roamCheck) return false;
    const old = this.route;
    const move = this.roams.open(now);
    if (move) this.route = to;
    if (!this.roamCheck(frame)) {
      this.route = old;
      return false;
    }
    if (!move) return 'stayed';
    this.roams.moved(now);
    return 'moved';
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.route.path?.close();
    this.onClose(this);
  }
}

/** The client's UDP address when `ch` is a peer channel on a punched (not relayed) route now. */
export function directPeerOf(ch: MessageChannel | undefined): SocketAddr | undefined {
  return ch instanceof PeerChannel && !ch.closed && !ch.route.path ? ch.route.peer : undefined;
}

/**
 * Calls `onChannel` once for each new client (a new UDP peer, or a relayed session whose first
 * frame is not an existing channel's), with a channel carrying that client's data.
 * At most `maxChannels` live at once; the least recently active one is closed to make room.
 */
export function servePeerChannels(
  agent: HomeAgent,
  onChannel: (ch: RoamableChannel, peer: SocketAddr) => void,
  maxChannels = 64,
): { addDirectPath(path: Path, peer: SocketAddr): void } {
  const channels = new Map<string, PeerChannel>();
  const relayKeys = new WeakMap<Path, string>();
  const closedPaths = new WeakSet<Path>();
  let relayCount = 0;
  const keyOf = (r: Route): string => (r.path ? (relayKeys.get(r.path) ?? '') : addrKey(r.peer));
  const touch = (key: string, ch: PeerChannel): void => {
    channels.delete(key); // re-insert: Map order is recency order
    channels.set(key, ch);
  };
  const open = (route: Route): PeerChannel => {
    if (channels.size >= maxChannels) channels.values().next().value?.close();
    const ch = new PeerChannel(agent, route, (c) => {
      const k = keyOf(c.route);
      if (channels.get(k) === c) channels.delete(k);
    });
    channels.set(keyOf(route), ch);
    onChannel(ch, route.peer);
    return ch;
  };
  /** A frame over a route with no (answered) channel: does it authenticate on a live one? */
  const roam = (payload: Uint8Array, to: Route): PeerChannel | 'stayed' | undefined => {
    if (channels.size === 0 || !agent.mayTryRoam(to.peer)) return undefined;
    const now = agent.now();
    const toKey = keyOf(to);
    for (const [key, ch] of [...channels].reverse()) {
      const old = ch.route;
      const r = ch.tryRoam(payload, to, now);
      if (!r) continue;
      if (r === 'stayed') return 'stayed';
      if (to.path?.kind === 'datachannel' && old.path?.kind !== 'datachannel') ch.before = old;
      channels.delete(key);
      const stray = channels.get(toKey);
      if (stray && stray !== ch) stray.close();
      touch(toKey, ch);
      if (!old.path && !to.path) agent.peerMoved(old.peer, to.peer);
      return ch;
    }
    return undefined;
  };
  agent.onRoam((payload, from) => {
    const r = roam(payload, { peer: from });
    return r === undefined || r === 'stayed' ? r : from;
  });
  agent.onData((payload, from) => {
    const key = addrKey(from);
    let ch = channels.get(key);
    // A roamed client's keepalive probe made its new address known before its data arrived; and
    // a frame that arrived there first may have opened a channel that never answered.
    if (!ch?.answered && roam(payload, { peer: from })) return;
    if (ch) touch(key, ch);
    else ch = open({ peer: from });
    ch.deliver(payload);
  });
  // A relayed session: its first frame either authenticates on a live channel (that client fell
  // back onto the relay) or starts a new one (a Noise handshake). Later frames go to that channel
  // even after it moved on, for the ones still on their way.
  agent.onRelayedPath((path, client) => {
    relayKeys.set(path, `relay ${++relayCount}`);
    let owner: PeerChannel | undefined;
    path.onMessage((d) => {
      const route = { peer: client, path };
      if (owner && !owner.closed) {
        // A phone back on the relay after its data channel: a fresh frame here moves it back.
        if (owner.route.path?.kind === 'datachannel' && owner.tryRoam(d, route, agent.now()))
          return;
        return owner.deliver(d);
      }
      const moved = roam(d, route);
      if (moved === 'stayed') return;
      owner = moved ?? open(route);
      if (!moved) owner.deliver(d);
    });
    path.onClose(() => {
      closedPaths.add(path);
      if (owner?.route.path === path) owner.close();
    });
  });
  let directCount = 0;
  return {
    /** An open data channel: its first frame must authenticate on a live channel (never opens one). */
    addDirectPath(path, peer) {
      relayKeys.set(path, `datachannel ${++directCount}`);
      let owner: PeerChannel | undefined;
      path.onMessage((d) => {
        if (owner && !owner.closed) {
          if (owner.route.path !== path && owner.tryRoam(d, { peer, path }, agent.now())) return;
          return owner.deliver(d);
        }
        const moved = roam(d, { peer, path });
        if (moved && moved !== 'stayed') owner = moved;
      });
      path.onClose(() => {
        closedPaths.add(path);
        const ch = owner;
        if (!ch || ch.closed || ch.route.path !== path) return;
        const back = ch.before;
        if (!back?.path || closedPaths.has(back.path)) return ch.close();
        // Back onto the relay session it came from: nothing to renegotiate, no frame lost.
        channels.delete(keyOf(ch.route));
        ch.route = back;
        touch(keyOf(back), ch);
      });
    },
  };
}
