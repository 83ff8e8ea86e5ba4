// The client connector: the public entry to patent steps 1-5 (attempt.ts runs them).
import type { Env } from '../net/types.js';
import { ConnectAttempt } from './attempt.js';
import type { ConnectOptions, ConnectResult } from './connect-config.js';

export { DEFAULT_CONNECT } from './connect-config.js';
export type {
  ClientTrust,
  ConnectConfig,
  ConnectOptions,
  ConnectReport,
  ConnectResult,
  StepEvent,
  StepName,
} from './connect-config.js';
export { connectError, type ConnectErrorKind } from './connect-error.js';
export { Connection } from './connection.js';

/** Runs patent steps 1-5 towards `opts.home`; `done` is called exactly once. */
export function connect(
  env: Env,
  opts: ConnectOptions,
  done: (r: ConnectResult) => void,
): { cancel(): void } {
  const attempt = new ConnectAttempt(env, opts, done);
  attempt.start();
  return { cancel: () => attempt.cancel() };
}

/** Promise form for callers outside the protocol core (CLI, app). */
export function connectAsync(env: Env, opts: ConnectOptions): Promise<ConnectResult> {
  return new Promise((resolve) => connect(env, opts, resolve));
}
