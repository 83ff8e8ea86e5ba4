// The error codes an `error` or `refuse` message carries, and their strict reader.
import { DecodeError } from './codec.js';

export enum ErrorCode {
  UnknownHome = 1,
  BadRequest = 2,
  RateLimited = 3,
  Unauthorized = 4,
  Busy = 5,
  /** Both NATs map per destination: no punching method works, a relay is needed (issue 9). */
  NeedsRelay = 6,
  /** The home said goodbye (deregister, issue 21 item 9): offline, not merely unknown. */
  HomeOffline = 7,
}

/** What an error text may contain on the wire: printable ASCII, at most 200 characters. */
export const ERROR_TEXT_PATTERN = /^[\x20-\x7e]{0,200}$/;

export function errorCode(code: number): ErrorCode {
  if (!(code in ErrorCode)) throw new DecodeError(`unknown error code ${code}`);
  return code;
}
