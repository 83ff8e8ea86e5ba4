// Which of the soak's commands the phone page rendered, and when (lab/soak.ts, `--phone`).
//
// The page records every state change it renders; the commands toggle one light, so the states
// alternate and a render cannot be told from the one two commands later by its state alone. The
// first judge matched greedily in order, and one render it never saw (the page's first, before
// its observer was installed) made every later command take the render of the command two after
// it: 2 s of lag from the start, 4 s after a second slip, and then any real delay of 1-3 s
// counted as "not rendered within 5 s" (30 of 3,195 in the hour of 2026-12-04, #341 among them,
// rendered 10 ms after its answer). Now the renders are aligned with the commands in order, each
// render used at most once, by the cheapest alignment: a render can stand for a command only if
// it has the command's state, came no earlier than the command was sent and at most
// MATCH_WINDOW_MS after its answer, and costs its lateness (capped at MISS_COST); a command left
// without one costs MISS_COST. judgeRenders then says, per command, shown / superseded / missed.

export interface SentCommand {
  state: string;
  /** When it was sent and answered (ms, the same clock as the renders). */
  sent: number;
  end: number;
}

export interface Render {
  state: string;
  at: number;
}

/** A render this long after the command's answer is still that command's (a late one). */
const MATCH_WINDOW_MS = 30_000;
/**
 * What a command with no render costs the alignment, in ms of lateness: a match later than this
 * is no better than none (the judge's 5 s), and shifting more than two commands by 2 s each is
 * dearer than one miss.
 */
const MISS_COST = 5000;
/** A render may be stamped this much before the command's send (two clocks, one machine). */
const CLOCK_SLACK_MS = 50;
/**
 * Commands aligned at once: bounds the table (CHUNK × its renders) on a long soak. The next
 * LOOKAHEAD commands are aligned with them but decided with the next chunk: without them, the
 * renders of the next chunk's first commands would be free to "cover" a miss near the end.
 */
const CHUNK = 400;
const LOOKAHEAD = 60;

/** For each command, the index of its render in `renders`, or -1. */
export function alignRenders(commands: SentCommand[], renders: Render[]): number[] {
  const out = new Array<number>(commands.length).fill(-1);
  let from = 0; // renders before this were used by earlier chunks
  for (let c0 = 0; c0 < commands.length; c0 += CHUNK) {
    const cs = commands.slice(c0, c0 + CHUNK + LOOKAHEAD);
    const last = cs[cs.length - 1] as SentCommand;
    let to = from;
    while (to < renders.length && (renders[to] as Render).at <= last.end + MATCH_WINDOW_MS) to++;
    const rs = renders.slice(from, to);
    const fits = (i: number, k: number): boolean => {
      const c = cs[i] as SentCommand;
      const r = rs[k] as Render;
      return (
        r.state === c.state && r.at >= c.sent - CLOCK_SLACK_MS && r.at <= c.end + MATCH_WINDOW_MS
      );
    };
    // cost[i][k]: the cheapest alignment of the first i commands with the first k renders. A
    // render left out is free (the page also renders changes no command made: a restart), a
    // command left out costs MISS_COST, a match its lateness capped at MISS_COST. So a missing
    // render is a miss, not a shift of every later command onto the render two after its own
    // (2 s late each), and a burst of late renders is matched in order.
    const w = rs.length + 1;
    const cost = new Float64Array((cs.length + 1) * w);
    for (let i = 1; i <= cs.length; i++) cost[i * w] = i * MISS_COST;
    const matchCost = (i: number, k: number): number =>
      Math.min(
        MISS_COST,
        Math.max(0, Math.round((rs[k] as Render).at - (cs[i] as SentCommand).end)),
      );
    for (let i = 1; i <= cs.length; i++)
      for (let k = 1; k < w; k++) {
        let c = Math.min(
          (cost[(i - 1) * w + k] as number) + MISS_COST,
          cost[i * w + k - 1] as number,
        );
        if (fits(i - 1, k - 1))
          c = Math.min(c, (cost[(i - 1) * w + k - 1] as number) + matchCost(i - 1, k - 1));
        cost[i * w + k] = c;
      }
    // Back from the end along the choices made (a match first, then a render left out).
    let i = cs.length;
    let k = rs.length;
    let lastUsed = -1;
    while (i > 0 && k > 0) {
      const here = cost[i * w + k] as number;
      if (
        fits(i - 1, k - 1) &&
        here === (cost[(i - 1) * w + k - 1] as number) + matchCost(i - 1, k - 1)
      ) {
        if (i - 1 < CHUNK) {
          out[c0 + i - 1] = from + k - 1;
          lastUsed = Math.max(lastUsed, from + k - 1);
        }
        i--;
        k--;
      } else if (here === cost[i * w + k - 1]) k--;
      else i--;
    }
    if (lastUsed >= 0) from = lastUsed + 1;
  }
  return out;
}

export type RenderVerdict =
  /** Its own state rendered within `lateMs` of its answer. */
  | { kind: 'shown'; render: Render }
  /**
   * Not its own (the page rendered a burst as one DOM change, or resynced past it), but a newer
   * command's state was on the page within `lateMs` of its answer: the page caught up.
   */
  | { kind: 'superseded'; render: Render | undefined }
  /** Neither: the page showed an older state for longer than `lateMs`. */
  | { kind: 'missed'; render: Render | undefined };

/** Each command's verdict, from the alignment above. */
export function judgeRenders(
  commands: SentCommand[],
  renders: Render[],
  lateMs: number,
): RenderVerdict[] {
  const m = alignRenders(commands, renders);
  const out = new Array<RenderVerdict>(commands.length);
  let nextAt = Infinity; // when a newer command's render appeared (the first one after i)
  for (let i = commands.length - 1; i >= 0; i--) {
    const c = commands[i] as SentCommand;
    const r = renders[m[i] as number];
    if (r && r.at <= c.end + lateMs) out[i] = { kind: 'shown', render: r };
    else if (nextAt <= c.end + lateMs) out[i] = { kind: 'superseded', render: r };
    else out[i] = { kind: 'missed', render: r };
    if (r) nextAt = r.at;
  }
  return out;
}

/** Commands whose own state was not rendered within `lateMs` of the answer. */
export function missedRenders(
  commands: SentCommand[],
  renders: Render[],
  lateMs: number,
): Array<{ index: number; render: Render | undefined }> {
  return judgeRenders(commands, renders, lateMs).flatMap((v, index) =>
    v.kind === 'shown' ? [] : [{ index, render: v.render }],
  );
}
