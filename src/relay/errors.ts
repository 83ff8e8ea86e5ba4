// A relayed session's end, as a PortholeError the client's code can switch on.
import { PortholeError } from '../errors.js';
import { RelayCloseCode } from '../wire/relay-messages.js';

export type RelayErrorKind =
  | 'relay-refused'
  | 'relay-unknown-home'
  | 'relay-home-unreachable'
  | 'relay-byte-cap'
  | 'relay-duration-cap'
  | 'relay-idle'
  | 'relay-busy'
  | 'relay-peer-closed'
  | 'relay-bad-request'
  | 'relay-shutdown'
  | 'relay-slow-reader'
  /** Client side only: the relay did not answer, or the transport failed. */
  | 'relay-timeout'
  | 'relay-transport'
  /** Client side only: a redirect that cannot be followed (bad address, or too many). */
  | 'relay-redirect';

const KIND: Record<RelayCloseCode, RelayErrorKind> = {
  [RelayCloseCode.Refused]: 'relay-refused',
  [RelayCloseCode.UnknownHome]: 'relay-unknown-home',
  [RelayCloseCode.HomeUnreachable]: 'relay-home-unreachable',
  [RelayCloseCode.ByteCap]: 'relay-byte-cap',
  [RelayCloseCode.DurationCap]: 'relay-duration-cap',
  [RelayCloseCode.Idle]: 'relay-idle',
  [RelayCloseCode.Busy]: 'relay-busy',
  [RelayCloseCode.PeerClosed]: 'relay-peer-closed',
  [RelayCloseCode.BadRequest]: 'relay-bad-request',
  [RelayCloseCode.Shutdown]: 'relay-shutdown',
  [RelayCloseCode.SlowReader]: 'relay-slow-reader',
};

const TEXT: Record<RelayErrorKind, string> = {
  'relay-refused': 'the home refused the relayed connection',
  'relay-unknown-home': 'the relay does not know this home (not registered there)',
  'relay-home-unreachable': 'the home did not answer the relay',
  'relay-byte-cap': 'the relayed session used up its byte allowance',
  'relay-duration-cap': 'the relayed session reached its time limit',
  'relay-idle': 'the relayed session was idle too long',
  'relay-busy': 'the relay is at its session limit; retry later',
  'relay-peer-closed': 'the other end closed the relayed session',
  'relay-bad-request': 'the relay rejected the request',
  'relay-shutdown': 'the relay is shutting down',
  'relay-slow-reader': 'the connection to the relay could not keep up',
  'relay-timeout': 'the relay did not answer',
  'relay-transport': 'the connection to the relay failed',
  'relay-redirect': 'the relay sent us to another relay that cannot be used',
};

/** Lower-case name of a close code for counters and logs, e.g. "byte-cap". */
export function closeReasonName(code: RelayCloseCode): string {
  return KIND[code].slice('relay-'.length);
}

export function relayError(
  kind: RelayErrorKind,
  detail: { why?: string; [k: string]: unknown } = {},
): PortholeError<RelayErrorKind> {
  return new PortholeError(kind, TEXT[kind] + (detail.why ? `: ${detail.why}` : ''), detail);
}

export function relayClosedError(code: RelayCloseCode, why: string): PortholeError<RelayErrorKind> {
  return relayError(KIND[code], why ? { why, code } : { code });
}
