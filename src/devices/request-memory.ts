// The home's memory of requests across channels (issue 21 item 6). A client whose path died
// re-sends a request over its new path — a relayed session, a re-punched one, a new Noise session
// after a reconnect — with the same (run, id); the device service looks it up here under the
// client's key, so the command is applied once and the duplicate is answered from memory.
// Bounded: entries live `ttlMs`, at most `perClient` per client key and `total` in all (the
// oldest go first). An entry pushed out early leaves a mark (the highest id forgotten per run), so
// a late copy of a forgotten request is refused instead of applied a second time.

export type Remembered = { at: number; bytes: Uint8Array | 'pending' };

export interface RequestMemoryLimits {
  ttlMs: number;
  perClient: number;
  total: number;
}

/** Two minutes: the agent stops asking about a request after 15 s; one minute is the floor. */
export const REQUEST_MEMORY_DEFAULTS: RequestMemoryLimits = {
  ttlMs: 120_000,
  perClient: 256,
  total: 8192,
};

/** Runs per client whose forgotten-id mark is kept. */
const MAX_MARKS = 16;

interface ClientMemory {
  /** `${run}:${id}` → answer, oldest first. */
  answers: Map<string, Remembered>;
  /** run → the highest id forgotten before it could be asked about again. */
  forgotten: Map<string, number>;
}

export class RequestMemory {
  private readonly clients = new Map<string, ClientMemory>();
  private count = 0;
  private readonly lim: RequestMemoryLimits;

  constructor(limits: Partial<RequestMemoryLimits> = {}) {
    this.lim = { ...REQUEST_MEMORY_DEFAULTS, ...limits };
  }

  get size(): number {
    return this.count;
  }

  /** The answer to (client, run, id), 'forgotten' when it was pushed out, else undefined. */
  get(client: string, run: string, id: number, now: number): Remembered | 'forgotten' | undefined {
    this.expire(now);
    const c = this.clients.get(client);
    if (!c) return undefined;
    const a = c.answers.get(`${run}:${id}`);
    if (a) return a;
    const mark = c.forgotten.get(run);
    return mark !== undefined && id <= mark ? 'forgotten' : undefined;
  }

  set(client: string, run: string, id: number, a: Remembered): void {
    this.expire(a.at);
    let c = this.clients.get(client);
    if (!c) {
      c = { answers: new Map(), forgotten: new Map() };
      this.clients.set(client, c);
    }
    const key = `${run}:${id}`;
    if (c.answers.has(key)) c.answers.delete(key);
    else this.count++;
    c.answers.set(key, a);
    while (c.answers.size > this.lim.perClient) this.evictHead(client, c);
    while (this.count > this.lim.total) {
      const oldest = this.oldestClient();
      if (!oldest) break;
      this.evictHead(oldest[0], oldest[1]);
    }
  }

  private expire(now: number): void {
    for (const [client, c] of this.clients) {
      for (const a of c.answers.values()) {
        if (now - a.at < this.lim.ttlMs) break;
        this.evictHead(client, c);
      }
    }
  }

  private oldestClient(): [string, ClientMemory] | undefined {
    let best: [string, ClientMemory] | undefined;
    let at = Infinity;
    for (const [client, c] of this.clients) {
      const head = c.answers.values().next().value;
      if (head && head.at < at) {
        at = head.at;
        best = [client, c];
      }
    }
    return best;
  }

  private evictHead(client: string, c: ClientMemory): void {
    const head = c.answers.keys().next().value;
    if (head === undefined) return;
    c.answers.delete(head);
    this.count--;
    const sep = head.lastIndexOf(':');
    const run = head.slice(0, sep);
    const id = Number(head.slice(sep + 1));
    const mark = Math.max(id, c.forgotten.get(run) ?? -1);
    c.forgotten.delete(run); // re-insert: recency order
    c.forgotten.set(run, mark);
    if (c.forgotten.size > MAX_MARKS) c.forgotten.delete(c.forgotten.keys().next().value!);
    if (c.answers.size === 0) this.clients.delete(client);
  }
}
