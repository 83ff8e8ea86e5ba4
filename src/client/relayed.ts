// Reaching a home through the relay (issue 10): one relayed session opened with the Noise
// handshake's first message riding in it, the channel running on a PathSwitch so a later
// upgrade to a punched path (upgrade.ts) can move it without a new handshake.
import { PortholeError } from '../errors.js';
import type { Env } from '../net/types.js';
import { openRelayPath, type RelayClientPath } from '../relay/client-path.js';
import { clientRelayAuth, openSecureChannel } from '../secure/client-trust.js';
import type { Identity } from '../secure/keys.js';
import type { SecureChannel } from '../secure/noise-channel.js';
import type { ConnectOptions } from './connector.js';
import { PathSwitch } from './path-switch.js';
import { relayTarget, type RelayChoice } from './relay-choice.js';
import type { PairedHome, Reached, ReachReport } from './reached.js';
import type { Upgrader } from './upgrade.js';

/** Starts the background upgrade of a secure relayed session (reach.ts decides when). */
export type UpgradeStart = (paths: PathSwitch, secure: SecureChannel) => Upgrader;

/** Open homes take any relayed session: no proof to give. */
const NO_AUTH = (): Uint8Array => new Uint8Array(0);

function relayReport(opts: ConnectOptions, ms: number, path?: RelayClientPath): ReachReport {
  return {
    path: 'relayed',
    ms: Math.round(ms * 10) / 10,
    steps: { relay: Math.round(ms * 10) / 10 },
    attempts: 1,
    packetsSent: 0,
    socketsOpened: 1,
    home: opts.home,
    ...(path ? { relay: path.remote.replace(/^relay \w+ /, ''), transport: path.transport } : {}),
  };
}

/** Rejects with a PortholeError of kind 'unreachable' (relay-* reason) or 'handshake-failed'. */
export function reachRelayed(
  env: Env,
  opts: ConnectOptions,
  choice: RelayChoice,
  paired?: Pick<PairedHome, 'identity' | 'homeDh' | 'pairing'>,
  upgrade?: UpgradeStart,
): Promise<Reached> {
  const t0 = env.clock.now();
  let paths: PathSwitch | undefined;
  let secure: Promise<SecureChannel> | undefined;
  const fail = (kind: 'unreachable' | 'handshake-failed', reason: string): PortholeError =>
    new PortholeError(kind, reason, {
      home: opts.home,
      reason,
      report: relayReport(opts, env.clock.now() - t0),
    });
  return new Promise((resolve, reject) => {
    openRelayPath(
      env,
      relayTarget(choice, opts.rendezvous),
      {
        homeId: opts.home,
        auth: paired
          ? clientRelayAuth(
              paired.identity,
              paired.pairing && { codeId: paired.pairing.codeId, secret: paired.pairing.secret },
            )
          : NO_AUTH,
        early: (path) => {
          paths = new PathSwitch(path, env.clock);
          // Sent synchronously: Noise message 1 rides in the relayOpen.
          if (paired) {
            secure = openSecureChannel(
              paths,
              paired.identity,
              paired.homeDh,
              env.clock,
              paired.pairing?.proof,
            );
            // Handled below only when the relay answers; when it does not, the handshake still
            // gives up later, and that rejection must not be unhandled (it ended the client
            // agent under the soak's UDP block: "the home did not answer the secure handshake").
            secure.catch(() => {});
          }
        },
      },
      (r) => {
        if (!r.ok || !paths) {
          paths?.close();
          return reject(fail('unreachable', r.ok ? 'no path' : r.error.message));
        }
        const sw = paths;
        const report = relayReport(opts, 0, r.path);
        const done = (channel: Reached['channel'], isSecure: boolean, up?: Upgrader): void => {
          report.ms = report.steps.relay = Math.round((env.clock.now() - t0) * 10) / 10;
          resolve({
            ok: true,
            report,
            channel,
            secure: isSecure,
            paths: sw,
            ...(up ? { upgrade: up } : {}),
          });
        };
        if (!secure) return done(sw, false);
        secure.then(
          (ch) => done(ch, true, upgrade?.(sw, ch)),
          (e: Error) => {
            sw.close();
            reject(fail('handshake-failed', e.message));
          },
        );
      },
    );
  });
}

/** A fresh relayed path to the home with no early frame: where a session falls back to. */
export function openRelayed(
  env: Env,
  opts: ConnectOptions,
  choice: RelayChoice,
  identity: Identity,
): Promise<RelayClientPath> {
  return new Promise((resolve, reject) => {
    openRelayPath(
      env,
      relayTarget(choice, opts.rendezvous),
      { homeId: opts.home, auth: clientRelayAuth(identity) },
      (r) => (r.ok ? resolve(r.path) : reject(r.error)),
    );
  });
}
