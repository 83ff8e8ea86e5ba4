// The pairing code in what the phone is given: the QR's URL (`…#pair=PH1-…`, the fragment never
// reaches a server), a pasted URL, or a pasted code. Platform-neutral (tested and fuzzed in Node:
// fuzz target phone-pairing).
import { decodePairingCode, type PairingCode } from '../secure/pairing-code.js';

export function codeFrom(text: string, now = Date.now()): PairingCode {
  const m = /#pair=([^&\s]+)/.exec(text);
  let code = m ? (m[1] as string) : text;
  try {
    code = decodeURIComponent(code);
  } catch {
    // A broken %-escape (a mangled link): the code as it stands (a code has no escapes), so the
    // person reads "not a pairing code", not "URI malformed".
  }
  return decodePairingCode(code, now);
}
