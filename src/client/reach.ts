// Connect, then (for a paired home) authenticate and encrypt: what every client command, the app
// and the tests call to get an application channel to a home.
import { PortholeError } from '../errors.js';
import type { Env } from '../net/types.js';
import { clientTrust, openSecureChannel } from '../secure/client-trust.js';
import { findHome, loadState } from '../secure/state.js';
import { parseAddr } from '../wire/addr.js';
import { pathMemory } from './remembered.js';
import { rememberPath, viaRemembered } from './resume.js';
import { type ConnectOptions, type FailureReport, type ConnectResult } from './connector.js';
import { connectWithCandidates, type ClientCandidateOptions } from './candidates.js';
import { connectionPath } from './connection-path.js';
import { PathSwitch } from './path-switch.js';
import { goRelayed, RELAY_HEAD_START_MS, type RelayChoice } from './relay-choice.js';
import type { PairedHome, Reached, ReachReport } from './reached.js';
import { openRelayed, reachRelayed, type UpgradeStart } from './relayed.js';
import { Upgrader } from './upgrade.js';

export type { PairedHome, Reached, ReachReport } from './reached.js';

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

type ReachOptions = ConnectOptions & { candidates?: ClientCandidateOptions };
type ReachPaired = Pick<PairedHome, 'identity' | 'homeDh' | 'paths' | 'pairing'>;
const codeOf = (p: ReachPaired): { codeId: string; secret: Uint8Array } | undefined =>
  p.pairing && { codeId: p.pairing.codeId, secret: p.pairing.secret };

/**
 * Connects to `opts.home`; with `paired`, signs the assist request and opens the Noise channel
 * bound to the home's key (report.steps.secure: its ms). Rejects with a ReachError.
 * Relay (issue 10): `off` never, `only` never direct, `first` relayed then upgraded (tests),
 * `auto` traversal with a head start, then the relay too; the first that works wins, and a
 * relayed session keeps trying to move onto a direct path (upgrade.ts).
 */
export async function reach(
  env: Env,
  opts: ReachOptions,
  paired?: ReachPaired,
  relay: RelayChoice = { mode: 'off', transport: 'udp' },
): Promise<Reached> {
  if (relay.mode === 'off')
    return secureOn(env, opts, await traverse(env, opts, paired), paired, relay);
  if (relay.mode === 'only') {
    // On a TCP/WS relay because UDP was blocked: back onto UDP when it works again.
    const up = relay.udpBack && upgradeFor(env, opts, paired, relay);
    return reachRelayed(env, opts, relay, paired, up && ((p, s) => up(p, s).startUdpBack()));
  }
  if (relay.mode === 'first')
    return reachRelayed(env, opts, relay, paired, atOnce(upgradeFor(env, opts, paired, relay)));
  return raceWithRelay(env, opts, paired, relay);
}

/** The head-start race (RFC 8305 in spirit): traversal first, the relay after `headStartMs`. */
function raceWithRelay(
  env: Env,
  opts: ReachOptions,
  paired: ReachPaired | undefined,
  relay: RelayChoice,
): Promise<Reached> {
  const started = env.clock.now();
  const trav = traverse(env, opts, paired);
  return new Promise<Reached>((resolve, reject) => {
    let settled = false;
    /** The relayed winner's upgrader takes the traversal's result through this (its first attempt). */
    let handOver: ((r: ConnectResult) => void) | undefined;
    const handed = new Promise<ConnectResult>((res) => (handOver = res));
    let upgrading = false;
    let relayState: 'idle' | 'running' | 'failed' = 'idle';
    let travFailure: Extract<ConnectResult, { ok: false }> | undefined;
    const travError = (r: Extract<ConnectResult, { ok: false }>): ReachError =>
      reachError('unreachable', opts.home, r.error, r.report, r.kind);
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      headStart.cancel();
      return true;
    };
    const goRelay = (): void => {
      if (relayState !== 'idle') return;
      relayState = 'running';
      // Relayed first while the traversal runs on: its result is the first upgrade attempt.
      const upgrade = atOnce(upgradeFor(env, opts, paired, relay, handed));
      reachRelayed(env, opts, relay, paired, upgrade).then(
        (r) => {
          if (!settle()) return closeReached(r); // the traversal won meanwhile
          upgrading = r.upgrade !== undefined;
          if (travFailure) handOver?.(travFailure);
          const t = travFailure?.report;
          // The ladder said relay (both NATs map per destination): no round ran, the method is it.
          const strategy =
            t?.strategy ?? (travFailure?.kind === 'needs-relay' ? 'relay' : undefined);
          r.report = {
            ...r.report,
            ...(strategy ? { strategy } : {}),
            ...(t?.discoveryPackets !== undefined ? { discoveryPackets: t.discoveryPackets } : {}),
            ...(t?.homeNat ? { homeNat: t.homeNat } : {}),
            ...(t?.clientNat ? { clientNat: t.clientNat } : {}),
            steps: { ...(t ? { traversal: t.ms } : { headStart: headStartMs }), ...r.report.steps },
            ms: Math.round((env.clock.now() - started) * 10) / 10,
          };
          resolve(r);
        },
        (re: Error) => {
          relayState = 'failed';
          env.log.info({ reason: re.message }, 'relayed path failed');
          // The traversal's reason stays the answer.
          if (travFailure && settle()) reject(travError(travFailure));
        },
      );
    };
    const headStartMs = relay.headStartMs ?? RELAY_HEAD_START_MS;
    const headStart = env.clock.setTimer(headStartMs, goRelay);
    trav.then(
      (r) => {
        if (settled) {
          // Relayed already: the upgrader takes this result, or nobody wants it.
          if (upgrading) handOver?.(r);
          else if (r.ok) r.connection.close();
          return;
        }
        if (r.ok) {
          settle();
          return void secureOn(env, opts, r, paired, relay).then(resolve, reject);
        }
        travFailure = r;
        if (goRelayed(r.kind, relay.transport)) goRelay();
        if (relayState !== 'running' && settle()) reject(travError(r));
      },
      (e: Error) => settle() && reject(e),
    );
  });
}

/** Remembered path, then mapped/IPv6 candidates, then the connector: a connection, unsecured. */
function traverse(env: Env, opts: ReachOptions, paired?: ReachPaired): Promise<ConnectResult> {
  const { candidates, ...connectOpts } = opts;
  const withTrust = {
    ...connectOpts,
    ...(paired ? { trust: clientTrust(paired.identity, codeOf(paired)) } : {}),
  };
  // Issue 13: mapped/IPv6 candidates first (off unless asked), then the connector.
  const full = (): Promise<ConnectResult> => connectWithCandidates(env, withTrust, candidates);
  const paths = paired?.paths;
  return paths ? viaRemembered(env, connectOpts, paths, full) : full();
}

/**
 * The Noise channel on a traversed connection (for a paired home). It sits on a path switch with
 * an upgrader watching the direct path (issue 21): when it dies the session falls back in place
 * onto a fresh relayed session (unless the relay is off), as one that started relayed does.
 */
async function secureOn(
  env: Env,
  opts: ReachOptions,
  r: ConnectResult,
  paired: ReachPaired | undefined,
  relay: RelayChoice,
): Promise<Reached> {
  if (!r.ok) throw reachError('unreachable', opts.home, r.error, r.report, r.kind);
  if (!paired) return { ...r, channel: r.connection, secure: false };
  const paths = paired.paths;
  const started = env.clock.now();
  const direct = connectionPath(r.connection, r.report.path);
  const sw = new PathSwitch(direct, env.clock);
  try {
    const channel = await openSecureChannel(
      sw,
      paired.identity,
      paired.homeDh,
      env.clock,
      paired.pairing?.proof,
    );
    r.report.steps.secure = Math.round((env.clock.now() - started) * 10) / 10;
    if (paths) rememberPath(paths, r.connection);
    const fallback = relay.mode === 'off' ? undefined : upgradeFor(env, opts, paired, relay);
    const upgrade = fallback
      ? fallback(sw, channel)
      : new Upgrader(
          env,
          sw,
          channel,
          { traverse: () => Promise.reject(new Error('relay off')) },
          relay.upgrade,
        );
    upgrade.startDirect(direct);
    return { ...r, channel, secure: true, paths: sw, upgrade };
  } catch (e) {
    sw.close();
    paths?.forget();
    throw reachError('handshake-failed', opts.home, (e as Error).message, r.report);
  }
}

/**
 * How a relayed session of a paired home moves onto a direct path: background traversals (quiet:
 * no progress lines), and fresh relayed paths for the fall-back. Open homes cannot tie a new path
 * to a session (no Noise), so they stay relayed.
 */
function upgradeFor(
  env: Env,
  opts: ReachOptions,
  paired: ReachPaired | undefined,
  relay: RelayChoice,
  pending?: Promise<ConnectResult>,
): UpgradeStart | undefined {
  if (!paired) return undefined;
  const quiet: ReachOptions = { ...opts, onStep: undefined };
  const back = relay.udpBack;
  return (paths, secure) => {
    // The relay a fall-back opens: the stream one, until the session is back on UDP.
    let now: RelayChoice = relay;
    const udp: RelayChoice | undefined = back && {
      ...back.choice,
      transport: 'udp',
      ...(relay.upgrade ? { upgrade: relay.upgrade } : {}),
    };
    return new Upgrader(
      env,
      paths,
      secure,
      {
        traverse: () => traverse(env, quiet, { identity: paired.identity, homeDh: paired.homeDh }),
        relay: () => openRelayed(env, opts, now, paired.identity),
        ...(pending ? { pending } : {}),
        ...(back && udp
          ? {
              udpBack: {
                probe: () => back.probe(),
                relay: () => openRelayed(env, opts, udp, paired.identity),
                moved: () => {
                  now = udp;
                  back.moved();
                },
                traverse: udp.mode === 'auto' || udp.mode === 'first',
              },
            }
          : {}),
      },
      relay.upgrade,
    );
  };
}

/** The upgrader of a relayed session starts its background attempts at once. */
function atOnce(make: UpgradeStart | undefined): UpgradeStart | undefined {
  return make && ((paths, secure) => make(paths, secure).start());
}

/** Closes what carries a Reached channel: the punched connection, or the relayed path(s). */
export function closeReached(r: Reached): void {
  r.upgrade?.stop();
  r.connection?.close();
  r.paths?.close();
}
