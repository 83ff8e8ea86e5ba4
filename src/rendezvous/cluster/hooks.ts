// The seam between the rendezvous server and the cluster (docs/seams.md §5). The server calls
// these synchronously; the cluster does its Redis work asynchronously and answers through
// RendezvousServer.answerClient / handleForwarded.
import type { SocketAddr } from '../../net/types.js';
import type { Message, MessageOf } from '../../wire/messages.js';

export interface ClusterHooks {
  /** A home (re-)registered here: the directory now points at this node. */
  onLocalRegister(homeId: string, addr: SocketAddr): void;
  /** A keepalive refreshed a local home (the directory write is throttled). */
  onLocalKeepalive(homeId: string, addr: SocketAddr): void;
  /** A local home said goodbye (issue 21 item 9): its directory entry goes at once. */
  onLocalDeregister?(homeId: string): void;
  /**
   * An assist for a home not held here. True: the cluster took it and will answer the client
   * later; false: answer "not registered" as a single node would.
   */
  forwardAssist(msg: MessageOf<'assist'>, client: SocketAddr, size: number): boolean;
  /**
   * Relay placement (issue 10): the address of the node holding a home not held here, for a
   * relayRedirect; undefined when no other node holds it. Rejects when the cluster is unreachable.
   */
  ownerOf?(homeId: string): Promise<SocketAddr | undefined>;
}

/** How the owning node answers a client that talks to another node. */
export interface ClientRoute {
  /** An answer to the forwarded request (no larger than it, as every reply). */
  reply(msg: Message): void;
  /** A later message for the client (Ready, a refusal). */
  send(msg: Message): void;
}
