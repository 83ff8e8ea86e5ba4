// Connect, then (for a paired home) authenticate and encrypt: what every client command, the app
// and the tests call to get an application channel to a home.
import { isPortholeError, PortholeError } from '../errors.js';
import type { Env, SocketAddr } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { clientTrust, openSecureChannel } from '../secure/client-trust.js';
import type { Identity } from '../secure/keys.js';
import { findHome, loadState } from '../secure/state.js';
import { parseAddr } from '../wire/addr.js';
import { pathMemory, type PathMemory } from './remembered.js';
import { rememberPath, viaRemembered } from './resume.js';
import {
  type ConnectOptions,
  type ConnectReport,
  type FailureReport,
  type ConnectResult,
} from './connector.js';
import { connectWithCandidates, type ClientCandidateOptions } from './candidates.js';
import type { Connection } from './connection.js';
import type { PathSwitch } from './path-switch.js';
import { goRelayed, type RelayChoice, type RelayTransport } from './relay-choice.js';
import { reachRelayed } from './relayed.js';

/** The connector's report, or a relayed one (issue 10): path "relayed" with relay and transport. */
export type ReachReport = Omit<ConnectReport, 'path'> & {
  path: ConnectReport['path'] | 'relayed';
  relay?: string;
  transport?: RelayTransport;
};

export interface Reached {
  ok: true;
  report: ReachReport;
  /** The punched or direct connection (ping); absent when relayed. */
  connection?: Connection;
  /** Where application messages go: the Noise channel for a paired home, else the plain path. */
  channel: MessageChannel;
  secure: boolean;
  /** The path switch under the channel when it can move between paths (relayed sessions). */
  paths?: PathSwitch;
}

/** What pairing left in the client's state dir about one home. */
export interface PairedHome {
  identity: Identity;
  /** The home's Noise static key: the handshake fails unless the home holds it. */
  homeDh: Uint8Array;
  rendezvous: SocketAddr;
  /** The path that worked last time (tried first, kept after each success). */
  paths?: PathMemory;
}

export type ReachErrorKind = 'unreachable' | 'handshake-failed';

export type ReachError = PortholeError<ReachErrorKind> & {
  detail: {
    home: string;
    reason: string;
    report: ReachReport | FailureReport;
    connectKind?: string;
  };
};

/** The text is the connector's or the handshake's own reason; the kind says which it was. */
function reachError(
  kind: ReachErrorKind,
  home: string,
  reason: string,
  report: ReachReport | FailureReport,
  connectKind?: string,
): ReachError {
  return new PortholeError(kind, reason, { home, reason, report, connectKind }) as ReachError;
}

/** Reads the client identity and the paired home from a state dir (throws StateError). */
export function loadPairedHome(stateDir: string, homeId: string): PairedHome {
  const state = loadState(stateDir, 'client');
  const home = findHome(stateDir, homeId);
  return {
    identity: state.identity,
    homeDh: new Uint8Array(Buffer.from(home.dhPublic, 'base64url')),
    rendezvous: parseAddr(home.rendezvous),
    paths: pathMemory(stateDir, homeId),
  };
}

/**
 * Connects to `opts.home`; with `paired`, signs the assist request and opens the Noise channel
 * bound to the home's key (report.steps.secure: its ms). Rejects with a ReachError.
 */
export async function reach(
  env: Env,
  opts: ConnectOptions & { candidates?: ClientCandidateOptions },
  paired?: Pick<PairedHome, 'identity' | 'homeDh' | 'paths'>,
  relay: RelayChoice = { mode: 'off', transport: 'udp' },
): Promise<Reached> {
  if (relay.mode === 'only') return reachRelayed(env, opts, relay, paired);
  const started = env.clock.now();
  try {
    return await reachTraversed(env, opts, paired);
  } catch (e) {
    const kind = isPortholeError(e, 'unreachable')
      ? (e as ReachError).detail.connectKind
      : undefined;
    if (relay.mode !== 'auto' || !goRelayed(kind, relay.transport)) throw e;
    try {
      const r = await reachRelayed(env, opts, relay, paired);
      // The report counts from the start: the traversal that failed, then the relay.
      r.report.steps = { traversal: (e as ReachError).detail.report.ms, ...r.report.steps };
      r.report.ms = Math.round((env.clock.now() - started) * 10) / 10;
      return r;
    } catch (re) {
      // The traversal's reason stays the answer; the relay's is logged.
      env.log.info({ reason: (re as Error).message }, 'relayed fallback failed too');
      throw e;
    }
  }
}

/** Remembered path, then mapped/IPv6 candidates, then the connector; then the Noise channel. */
async function reachTraversed(
  env: Env,
  opts: ConnectOptions & { candidates?: ClientCandidateOptions },
  paired?: Pick<PairedHome, 'identity' | 'homeDh' | 'paths'>,
): Promise<Reached> {
  const { candidates, ...connectOpts } = opts;
  const withTrust = { ...connectOpts, ...(paired ? { trust: clientTrust(paired.identity) } : {}) };
  // Issue 13: mapped/IPv6 candidates first (off unless asked), then the connector.
  const full = (): Promise<ConnectResult> => connectWithCandidates(env, withTrust, candidates);
  const paths = paired?.paths;
  const r = await (paths ? viaRemembered(env, connectOpts, paths, full) : full());
  if (!r.ok) throw reachError('unreachable', opts.home, r.error, r.report, r.kind);
  if (!paired) return { ...r, channel: r.connection, secure: false };
  const started = env.clock.now();
  try {
    const channel = await openSecureChannel(
      r.connection,
      paired.identity,
      paired.homeDh,
      env.clock,
    );
    r.report.steps.secure = Math.round((env.clock.now() - started) * 10) / 10;
    if (paths) rememberPath(paths, r.connection);
    return { ...r, channel, secure: true };
  } catch (e) {
    r.connection.close();
    paths?.forget();
    throw reachError('handshake-failed', opts.home, (e as Error).message, r.report);
  }
}

/** Closes what carries a Reached channel: the punched connection, or the relayed path(s). */
export function closeReached(r: Reached): void {
  r.connection?.close();
  r.paths?.close();
}
