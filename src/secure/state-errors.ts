// The state dir's failures as kinds; the text (which names the file and what to do) is derived
// from the kind and its details here, in one place.
import { PortholeError } from '../errors.js';

export type StateErrorKind =
  | 'file-missing'
  | 'file-unreadable'
  | 'file-not-json'
  | 'file-corrupt'
  | 'state-exists'
  | 'state-uncreatable'
  | 'state-missing'
  | 'no-identity'
  | 'wrong-role'
  | 'no-such-client'
  | 'ambiguous-client'
  | 'home-not-paired';

export interface StateErrorDetail {
  /** The file or dir concerned. */
  path: string;
  role?: string;
  found?: string;
  key?: string;
  matches?: number;
  homeId?: string;
  /** The underlying error's text, if any. */
  cause?: string;
}

const TEXT: Record<StateErrorKind, (d: StateErrorDetail) => string> = {
  'file-missing': (d) => `${d.path} is missing`,
  'file-unreadable': (d) =>
    `cannot read ${d.path}: ${d.cause ?? ''} (check its owner and permissions)`,
  'file-not-json': (d) =>
    `${d.path} is corrupt (not JSON); restore it from a backup or re-initialise the state dir`,
  'file-corrupt': (d) => (d.cause ? `${d.path} is corrupt: ${d.cause}` : `${d.path} is corrupt`),
  'state-exists': (d) =>
    `${d.path} already holds an identity; use another --state dir, or keep using this one`,
  'state-uncreatable': (d) => `cannot create state dir ${d.path}: ${d.cause ?? ''}`,
  'state-missing': (d) =>
    `no state dir at ${d.path}: run \`porthole ${d.role} init --state ${d.path}\` first`,
  'no-identity': (d) =>
    `${d.path} has no identity: run \`porthole ${d.role} init --state ${d.path}\` first`,
  'wrong-role': (d) => `${d.path} holds a ${d.found} identity, not a ${d.role} one`,
  'no-such-client': (d) =>
    `no authorized client matches "${d.key}" (see \`porthole home clients\`)`,
  'ambiguous-client': (d) => `"${d.key}" matches ${d.matches} clients; give more characters`,
  'home-not-paired': (d) =>
    `home ${d.homeId} is not paired in ${d.path}: run \`porthole client pair CODE --state ${d.path}\``,
};

export type StateError = PortholeError<StateErrorKind>;

export function stateError(kind: StateErrorKind, detail: StateErrorDetail): StateError {
  return new PortholeError(kind, TEXT[kind](detail), { ...detail });
}
