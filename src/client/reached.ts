// What reach() hands back and what it starts from, in a module of their own: reach.ts and the
// relayed paths (relayed.ts) both name them, and neither needs the other's code for that.
import type { MessageChannel } from '../net/channel.js';
import type { SocketAddr } from '../net/types.js';
import type { Identity } from '../secure/keys.js';
import type { ConnectReport } from './connector.js';
import type { Connection } from './connection.js';
import type { PathSwitch } from './path-switch.js';
import type { RelayTransport } from './relay-choice.js';
import type { PathMemory } from './remembered.js';
import type { Upgrader } from './upgrade.js';

/** The connector's report, or a relayed one (issue 10): path "relayed" with relay and transport. */
export type ReachReport = Omit<ConnectReport, 'path'> & {
  path: ConnectReport['path'] | 'relayed';
  relay?: string;
  transport?: RelayTransport;
  /** How the relay transport was picked (issue 21 item 1): by itself, or by a flag. */
  transportChosen?: 'auto' | 'forced';
};

export interface Reached {
  ok: true;
  report: ReachReport;
  /** The punched or direct connection (ping); absent when relayed. */
  connection?: Connection;
  /** Where application messages go: the Noise channel for a paired home, else the plain path. */
  channel: MessageChannel;
  secure: boolean;
  /** The path switch under a paired home's channel: it can move between paths. */
  paths?: PathSwitch;
  /** Moves a relayed session onto a direct path (issue 10) and watches a direct one, falling
   *  back onto the relay when it dies (issue 21): the one owner of the session's liveness. */
  upgrade?: Upgrader;
}

/** What pairing left in the client's state dir about one home. */
export interface PairedHome {
  identity: Identity;
  /** The home's Noise static key: the handshake fails unless the home holds it. */
  homeDh: Uint8Array;
  rendezvous: SocketAddr;
  /** The path that worked last time (tried first, kept after each success). */
  paths?: PathMemory;
  /**
   * Pairing (issue 21 item 2): the one-time code signs the assist / relay requests and its proof
   * rides in Noise message 1, so pairing takes the same ladder (and relay) as a connect.
   */
  pairing?: { codeId: string; secret: Uint8Array; proof: Uint8Array };
}
