// The home's standing with a standalone relay node (issue 10, `porthole relay`): the rendezvous
// names it (relayNode message, after each registered/keepaliveAck); the home registers with it
// from its listening socket, exactly as with the rendezvous (same Registration, same signed
// proof, own keepalives), so the relay node holds a live NAT mapping to offer sessions through.
// A new name replaces the old registration; nothing is sent before the rendezvous names one.
import type { Env, SocketAddr } from '../net/types.js';
import { isUnicastAddr } from '../relay/redirect.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import type { Message } from '../wire/messages.js';
import type { HomeConfig, HomeOptions } from './config.js';
import type { Registration } from './registration.js';
import { RendezvousRotation } from './rotation.js';

/** The agent's way to make a Registration on its socket (its tx ids, send, port). */
export type MakeRegistration = (
  opts: HomeOptions,
  cfg: HomeConfig,
  rv: RendezvousRotation,
  peer: string,
) => Registration;

export class HomeRelayNode {
  private reg: Registration | undefined;
  private addr: SocketAddr | undefined;

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
    private readonly cfg: HomeConfig,
    private readonly register: MakeRegistration,
  ) {}

  /** The relay node registered with (or being registered with), if any. */
  get relay(): SocketAddr | undefined {
    return this.addr;
  }

  isFrom(from: SocketAddr): boolean {
    return this.addr !== undefined && sameAddr(from, this.addr);
  }

  /** The rendezvous named its relay node: register there (again only when it changed). */
  assign(relay: SocketAddr): void {
    if (!isUnicastAddr(relay) || (this.addr && sameAddr(this.addr, relay))) return;
    this.reg?.close();
    this.addr = relay;
    this.env.log.info({ relay: formatAddr(relay) }, 'the rendezvous relays through a relay node');
    // No LAN addresses, no metrics, no hop measurement: the relay node only needs the mapping.
    this.reg = this.register(
      { ...this.opts, localIps: undefined, metrics: undefined },
      { ...this.cfg, sprayTtl: 'os' },
      new RendezvousRotation([relay]),
      'relay node',
    );
    this.reg.start();
  }

  /** The relay node's answers to our registration; true when `msg` was one. */
  handle(msg: Message): boolean {
    if (!this.reg) return false;
    switch (msg.type) {
      case 'registered':
        this.reg.onRegisteredMsg(msg);
        return true;
      case 'keepaliveAck':
        this.reg.onKeepaliveAck(msg);
        return true;
      case 'error':
        if (!this.reg.onError(msg)) this.env.log.warn({ message: msg.message }, 'relay node error');
        return true;
      default:
        return false;
    }
  }

  close(): void {
    this.reg?.close();
  }
}
