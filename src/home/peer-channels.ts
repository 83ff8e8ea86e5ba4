// Turns the home agent's datagram stream into one MessageChannel per client that reached it,
// so the device service can treat every client as its own conversation.
import type { SocketAddr } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { addrKey } from '../wire/addr.js';
import type { HomeAgent } from './agent.js';

class PeerChannel implements MessageChannel {
  private cbs: Array<(data: Uint8Array) => void> = [];
  closed = false;
  constructor(
    private readonly agent: HomeAgent,
    readonly peer: SocketAddr,
    private readonly onClose: () => void,
  ) {}
  send(data: Uint8Array): void {
    if (!this.closed) this.agent.sendData(this.peer, data);
  }
  onMessage(cb: (data: Uint8Array) => void): void {
    this.cbs.push(cb);
  }
  deliver(data: Uint8Array): void {
    for (const cb of this.cbs) cb(data);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

/**
 * Calls `onChannel` once for each new peer, with a channel carrying that peer's data.
 * At most `maxChannels` live at once; the least recently active one is closed to make room.
 */
export function servePeerChannels(
  agent: HomeAgent,
  onChannel: (ch: MessageChannel, peer: SocketAddr) => void,
  maxChannels = 64,
): void {
  const channels = new Map<string, PeerChannel>();
  agent.onData((payload, from) => {
    const key = addrKey(from);
    let ch = channels.get(key);
    if (ch) {
      channels.delete(key); // re-insert: Map order is recency order
      channels.set(key, ch);
    } else {
      if (channels.size >= maxChannels) channels.values().next().value?.close();
      ch = new PeerChannel(agent, from, () => channels.delete(key));
      channels.set(key, ch);
      onChannel(ch, from);
    }
    ch.deliver(payload);
  });
}
