// The client agent's control protocol: one JSON object per line over a Unix socket in the state
// dir. Requests come from `porthole client …` and `porthole app` on this machine; they are parsed
// here into typed values (bounded size, known ops only) before anything acts on them.
import { parseAnyEntityId, type Command, type EntityState } from '../../devices/model.js';
import type { ForwardStatus } from '../forward.js';

/** Longest line either side accepts; a device list page or a state is far smaller. */
export const MAX_CONTROL_LINE = 256 * 1024;

export type ControlRequest =
  | { id: number; op: 'status' }
  | { id: number; op: 'list'; home?: string }
  | { id: number; op: 'get'; home?: string; entity: string }
  | { id: number; op: 'call'; home?: string; entity: string; command: Command }
  | { id: number; op: 'watch'; home?: string }
  | { id: number; op: 'unwatch'; home?: string }
  /** Forwarded services (issue 19): the names this client may use; start forwards (kept
   *  until this control connection closes: no stream byte crosses this socket). */
  | { id: number; op: 'services'; home?: string }
  | { id: number; op: 'forward'; home?: string; specs: string[] };

export type HomeConnState = 'connecting' | 'up' | 'down' | 'stopped';

/** One home's connection as the agent sees it (what `client status` prints). */
export interface HomeStatus {
  home: string;
  state: HomeConnState;
  /** The path the channel runs over now (punched, direct, relayed, …) while up. */
  path?: string;
  /** The home's address on that path. */
  remote?: string;
  /** ISO time the current state began. */
  since: string;
  rttMs?: number;
  reconnects: number;
  lastError?: string;
  /** Forwards running in the agent on this home's connection (issue 19). */
  forwards?: ForwardStatus[];
}

export type ControlReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string; kind: string }
  /** Pushed to a `watch` request: a device changed, or the connection to its home did. */
  | { id: number; event: 'state'; state: EntityState }
  | { id: number; event: 'path'; status: HomeStatus };

export class ControlProtocolError extends Error {
  override name = 'ControlProtocolError';
}

const OPS = new Set(['status', 'list', 'get', 'call', 'watch', 'unwatch', 'services', 'forward']);

function str(v: unknown, what: string, max = 128): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new ControlProtocolError(`${what} must be a string of 1-${max} characters`);
  return v;
}

/** Parses one request line; throws ControlProtocolError (with the id when it could be read). */
export function parseRequest(line: string): ControlRequest {
  if (line.length > MAX_CONTROL_LINE) throw new ControlProtocolError('request too long');
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ControlProtocolError('request is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ControlProtocolError('request must be a JSON object');
  const o = v as Record<string, unknown>;
  const id = o.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    throw new ControlProtocolError('request id must be a non-negative integer');
  const op = o.op;
  if (typeof op !== 'string' || !OPS.has(op)) throw new ControlProtocolError(`unknown op`);
  const home = o.home === undefined ? undefined : str(o.home, 'home');
  switch (op) {
    case 'status':
      return { id, op };
    case 'list':
    case 'watch':
    case 'unwatch':
    case 'services':
      return { id, op, home };
    case 'forward': {
      const specs = o.specs;
      if (!Array.isArray(specs) || specs.length === 0 || specs.length > 32)
        throw new ControlProtocolError('specs must be a list of 1-32 forwards');
      return { id, op, home, specs: specs.map((x) => str(x, 'spec', 80)) };
    }
    case 'get': {
      const entity = str(o.entity, 'entity');
      parseAnyEntityId(entity);
      return { id, op, home, entity };
    }
    default: {
      const entity = str(o.entity, 'entity');
      parseAnyEntityId(entity);
      if (typeof o.command !== 'object' || o.command === null)
        throw new ControlProtocolError('command must be an object');
      // The home validates the command itself (it is the authority on its devices).
      return { id, op: 'call', home, entity, command: o.command as Command };
    }
  }
}

/** Splits a byte stream into lines, refusing any line over the limit. */
export class LineSplitter {
  private buf = '';
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim()) this.onLine(line);
    }
    if (this.buf.length > MAX_CONTROL_LINE) {
      this.buf = '';
      this.onOverflow();
    }
  }
}
