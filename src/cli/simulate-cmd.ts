// `porthole simulate`: the real roles on the virtual network, every NAT pair, seeded trials.
import { InvalidArgumentError, type Command } from 'commander';
import { isPresetName, PRESET_NAMES, type PresetName } from '../net/virtual/presets.js';
import type { PairSummary } from '../sim/matrix.js';
import type { SimStrategy } from '../sim/trial.js';
import { intArg } from './parse.js';

interface SimulateCliOptions {
  trials: number;
  seed: number;
  loss: number;
  rtt: number;
  jitter: number;
  pairs: Array<[PresetName, PresetName]>;
  spray: number;
  sockets: number;
  rounds: number;
  firewall: boolean;
  respray?: boolean;
  strategy: SimStrategy;
  json?: boolean;
}

function strategyArg(text: string): SimStrategy {
  if (text !== 'patent' && text !== 'auto')
    throw new InvalidArgumentError(`"${text}" is not patent or auto`);
  return text;
}

function pairsArg(text: string): Array<[PresetName, PresetName]> {
  if (text === 'all')
    return PRESET_NAMES.flatMap((h) => PRESET_NAMES.map((c) => [h, c] as [PresetName, PresetName]));
  return text.split(',').map((pair) => {
    const [h, c, extra] = pair.split(':');
    if (extra !== undefined || !h || !c || !isPresetName(h) || !isPresetName(c)) {
      throw new InvalidArgumentError(
        `"${pair}" is not HOME:CLIENT with presets from: ${PRESET_NAMES.join(', ')}`,
      );
    }
    return [h, c];
  });
}

function percentArg(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n > 100)
    throw new InvalidArgumentError(`"${text}" is not a percentage 0-100`);
  return n;
}

const fmt = (x: number | null, d = 1): string => (x === null ? '-' : x.toFixed(d));

function tableRow(s: PairSummary): string {
  return [
    s.home.padEnd(16),
    s.client.padEnd(16),
    String(s.trials).padStart(6),
    `${(s.success * 100).toFixed(1)}%`.padStart(8),
    `${(s.theory * 100).toFixed(1)}%`.padStart(8),
    fmt(s.p50ms).padStart(8),
    fmt(s.p95ms).padStart(8),
    String(s.packets).padStart(8),
    String(s.sockets).padStart(8),
    ...(s.auto
      ? [
          String(s.auto.clientPackets).padStart(8),
          String(s.auto.homePackets).padStart(8),
          String(s.auto.discoveryPackets).padStart(6),
          ` ${s.auto.methods}`,
        ]
      : []),
  ].join(' ');
}

const HEADER = [
  'home'.padEnd(16),
  'client'.padEnd(16),
  'trials'.padStart(6),
  'success'.padStart(8),
  'theory'.padStart(8),
  'p50 ms'.padStart(8),
  'p95 ms'.padStart(8),
  'packets'.padStart(8),
  'sockets'.padStart(8),
].join(' ');
/** Extra columns with --strategy auto: packets per side, the client's STUN, the methods used. */
const AUTO_HEADER = [
  HEADER,
  'client'.padStart(8),
  'home'.padStart(8),
  'stun'.padStart(6),
  ' methods',
].join(' ');

/** A one-line progress bar on stderr, only on a terminal. */
function progress(total: number): { tick(label: string): void; done(): void } {
  if (!process.stderr.isTTY) return { tick() {}, done() {} };
  let n = 0;
  let last = 0;
  return {
    tick(label) {
      n++;
      const now = Date.now();
      if (now - last < 100 && n < total) return;
      last = now;
      const width = 30;
      const filled = Math.round((n / total) * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} ${label}   `,
      );
    },
    done() {
      process.stderr.write('\r' + ' '.repeat(90) + '\r');
    },
  };
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'run the real roles on a virtual internet with NAT boxes: every NAT pair, seeded trials',
    )
    .option('--trials <N>', 'trials per pair', intArg(1, 1_000_000), 200)
    .option(
      '--seed <S>',
      'base seed; the same seed gives the same results',
      intArg(0, 2 ** 32 - 1),
      1,
    )
    .option('--loss <PCT>', 'packet loss per internet traversal, percent', percentArg, 0)
    .option(
      '--rtt <MS>',
      'round trip between the sides (and to the rendezvous), ms',
      intArg(0, 10_000),
      40,
    )
    .option('--jitter <MS>', 'extra random one-way delay up to this, ms', intArg(0, 10_000), 0)
    .option(
      '--pairs <LIST>',
      `HOME:CLIENT,… or "all"; presets: ${PRESET_NAMES.join(', ')}`,
      pairsArg,
      pairsArg('all'),
    )
    .option('--spray <N>', 'N: ports the home sprays', intArg(0, 60_000), 500)
    .option('--sockets <M>', 'M: sockets the client opens', intArg(0, 5000), 500)
    .option(
      '--rounds <R>',
      'assisted rounds per connect; even rounds are reversed (theory is for one patent round)',
      intArg(1, 20),
      1,
    )
    .option(
      '--no-firewall',
      'routers keep state for unsolicited packets (Linux without a firewall)',
    )
    .option(
      '--respray',
      "the product's second spray once the client knocked (default: the patent's single spray)",
    )
    .option(
      '--strategy <S>',
      "'patent': the patent's round, no discovery (the 97.9% row); 'auto': both sides classify " +
        'their NAT against the rendezvous STUN and the ladder (punch/strategy.ts) picks the method',
      strategyArg,
      'patent',
    )
    .option('--json', 'one JSON object per pair and line on stdout')
    .action(async (o: SimulateCliOptions) => {
      const { runPair } = await import('../sim/matrix.js');
      const bar = progress(o.pairs.length * o.trials);
      if (!o.json) process.stdout.write((o.strategy === 'auto' ? AUTO_HEADER : HEADER) + '\n');
      for (const [home, client] of o.pairs) {
        const summary = runPair(
          home,
          client,
          {
            trials: o.trials,
            seed: o.seed,
            rttMs: o.rtt,
            lossPct: o.loss,
            jitterMs: o.jitter,
            firewall: o.firewall,
            spray: o.spray,
            sockets: o.sockets,
            homeConfig: { respray: o.respray ? 'auto' : 'off' },
            clientConfig: { rounds: o.rounds },
            ...(o.strategy === 'auto' ? { strategy: o.strategy } : {}),
          },
          () => bar.tick(`${home} × ${client}`),
        );
        bar.done();
        process.stdout.write((o.json ? JSON.stringify(summary) : tableRow(summary)) + '\n');
      }
    });
}
