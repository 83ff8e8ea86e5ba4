// The attempt's stopwatch and narration: step events for the caller (onStep), time per step for
// the report.
import type { Clock, SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import type { ConnectReport, StepEvent, StepName } from './connect-config.js';

/** What the report needs from the attempt besides the times. */
export interface ReportFacts {
  attempts: number;
  packetsSent: number;
  socketsOpened: number;
  home: SocketAddr | undefined;
  clientObserved: SocketAddr | undefined;
  winner?: ConnectReport['winner'];
}

const tenth = (ms: number): number => Math.round(ms * 10) / 10;

export class Progress {
  private readonly started: number;
  private stepStart: number;
  private readonly steps: Record<string, number> = {};

  constructor(
    private readonly clock: Clock,
    private readonly onStep: ((e: StepEvent) => void) | undefined,
  ) {
    this.started = clock.now();
    this.stepStart = this.started;
  }

  /** ms since the attempt started. */
  now(): number {
    return this.clock.now() - this.started;
  }

  emit(step: StepEvent['step'], name: StepName, detail: string): void {
    this.onStep?.({ step, name, atMs: tenth(this.now()), detail });
  }

  /** Close the current step's stopwatch under `name`. */
  lap(name: string): void {
    const t = this.clock.now();
    this.steps[name] = tenth((this.steps[name] ?? 0) + t - this.stepStart);
    this.stepStart = t;
  }

  report(path: ConnectReport['path'], f: ReportFacts): ConnectReport {
    return {
      path,
      ms: tenth(this.now()),
      steps: { ...this.steps },
      attempts: f.attempts,
      packetsSent: f.packetsSent,
      socketsOpened: f.socketsOpened,
      home: f.home ? formatAddr(f.home) : '',
      ...(f.clientObserved ? { clientObserved: formatAddr(f.clientObserved) } : {}),
      ...(f.winner ? { winner: f.winner } : {}),
    };
  }
}
