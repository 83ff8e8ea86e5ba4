// `npm run lab [-- --trials K] [--pairs HOME:CLIENT[:nofw],…] [--json]`: the real programs
// through real Linux NAT (nftables + conntrack) in network namespaces. Needs root.
// `npm run lab -- --nat-check [--sites …]`: checks each lab router kind with plain UDP sockets.
// `npm run lab -- --matrix [--patent] [--pairs …]`: issue 9's matrix (strategy, discovery's
// verdicts, packets and sockets per side), every kind pair by default (lab/matrix.ts).
// `npm run lab -- --phone [--pairs HOME:PHONE[:noudp],…] [--settle MS] [--json]`: the phone app
// in Chromium inside the client namespace, every home × phone kind (lab/phone.ts).
import { parseArgs } from 'node:util';
import { checkLabPrerequisites, deleteNamespaces } from './netns.js';
import { checkSite, natCheckRow, NAT_CHECK_HEADER } from './nat-check.js';
import {
  MATRIX_HEADER,
  MATRIX_PAIRS,
  matrixRow,
  matrixTargets,
  MODE_ARGS,
  type MatrixMode,
} from './matrix.js';
import { killLabProcesses, runLabPair, type LabPairResult } from './runner.js';
import { parseSite, type LabSpec } from './topology.js';
import { killUdpAgents } from './udp-agent.js';

const NAT_CHECK_SITES = 'none,full,restricted,port,symmetric,cgnat-port,cgnat-symmetric';

/** The default matrix: every cone pair with the firewall, the hard cases with and without it. */
const DEFAULT_PAIRS = [
  ...['none', 'full', 'restricted', 'port'].flatMap((h) =>
    ['none', 'full', 'restricted', 'port'].map((c) => `${h}:${c}`),
  ),
  'port:port:nofw',
  'restricted:port:nofw',
  'port:full:nofw',
  'cgnat-port:port',
  'cgnat-port:port:nofw',
  'port:symmetric',
  'port:symmetric:nofw',
  'port:cgnat-symmetric',
  'port:cgnat-symmetric:nofw',
  'cgnat-port:cgnat-symmetric',
  'cgnat-port:cgnat-symmetric:nofw',
  'symmetric:none',
  'symmetric:full',
  'symmetric:restricted',
  'symmetric:port',
  'symmetric:port:nofw',
  'symmetric:symmetric',
];

export function parsePair(text: string, lossPct = 0, rvDepth = 0): LabSpec {
  const [h, c, fw, extra] = text.split(':');
  if (!h || !c || extra !== undefined || (fw !== undefined && fw !== 'nofw' && fw !== 'fw')) {
    throw new Error(`"${text}" is not HOME:CLIENT[:nofw]`);
  }
  return { home: parseSite(h), client: parseSite(c), firewall: fw !== 'nofw', lossPct, rvDepth };
}

const HEADER = `${'home'.padEnd(16)} ${'client'.padEnd(18)} firewall  trials  success  path      p50 ms   p95 ms  packets  stray h/c`;
function row(r: LabPairResult): string {
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  return [
    r.home.padEnd(16),
    r.client.padEnd(18),
    (r.firewall ? 'on' : 'off').padEnd(8),
    String(r.trials).padStart(7),
    `${(r.success * 100).toFixed(0)}%`.padStart(8),
    ` ${r.path.padEnd(8)}`,
    f(r.p50ms).padStart(8),
    f(r.p95ms).padStart(8),
    String(r.packets ?? '-').padStart(8),
    `${r.stray.home}/${r.stray.client}`.padStart(10),
  ].join(' ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '20' },
      pairs: { type: 'string' },
      loss: { type: 'string', default: '0' },
      'rv-depth': { type: 'string', default: '0' },
      'spray-ttl': { type: 'string' },
      spray: { type: 'string' },
      sockets: { type: 'string' },
      rounds: { type: 'string' },
      'nat-check': { type: 'boolean', default: false },
      matrix: { type: 'boolean', default: false },
      phone: { type: 'boolean', default: false },
      settle: { type: 'string', default: '3000' },
      patent: { type: 'boolean', default: false },
      cold: { type: 'boolean', default: false },
      sites: { type: 'string', default: NAT_CHECK_SITES },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run lab -- [--trials K] [--pairs HOME:CLIENT[:nofw],…] [--loss PCT] [--rv-depth H]\n' +
        '                      [--spray-ttl auto|os|N] [--spray N] [--sockets M] [--rounds R] [--json]\n' +
        '       npm run lab -- --nat-check [--sites SITE,…] [--json]\n' +
        '       npm run lab -- --phone [--pairs HOME:PHONE[:noudp],…] [--settle MS] [--json]\n' +
        '         (the phone app in Chromium inside the client namespace: path, cold and warm\n' +
        '          time to the first live device state; every home × phone kind by default)\n' +
        '       npm run lab -- --matrix [--patent] [--cold] [--trials K] [--pairs …] [--json]\n' +
        '         (every kind pair, firewall on; --patent adds each pair with --no-discovery on\n' +
        '          both sides: the patent round first; --cold each pair with the client never\n' +
        "          caching its NAT class; then issue 9's targets against the rows)\n" +
        'sites: none, full, restricted, port, symmetric, each optionally cgnat-…\n',
    );
    return;
  }
  const trials = Number(values.trials);
  const loss = Number(values.loss);
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`--trials ${values.trials}: expected a whole number ≥ 1`);
  if (!(loss >= 0 && loss <= 100)) throw new Error(`--loss ${values.loss}: expected a percentage`);
  const rvDepth = Number(values['rv-depth']);
  if (!Number.isInteger(rvDepth) || rvDepth < 0 || rvDepth > 20)
    throw new Error(`--rv-depth ${values['rv-depth']}: expected a whole number of hops, 0-20`);
  if (values.phone) return phoneMain(values.pairs, Number(values.settle), values.json);
  const defaults = values.matrix ? MATRIX_PAIRS : DEFAULT_PAIRS;
  const specs = (values.pairs ? values.pairs.split(',') : defaults).map((p) =>
    parsePair(p, loss, rvDepth),
  );
  checkLabPrerequisites();
  const cleanup = (): void => {
    killLabProcesses();
    killUdpAgents();
    deleteNamespaces(`ph${process.pid}l`);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  if (values['nat-check']) {
    const sites = values.sites.split(',').map(parseSite);
    if (!values.json) process.stdout.write(NAT_CHECK_HEADER + '\n');
    try {
      for (const site of sites) {
        for (const firewall of [true, false]) {
          const r = await checkSite(site, firewall);
          process.stdout.write((values.json ? JSON.stringify(r) : natCheckRow(r)) + '\n');
        }
      }
    } finally {
      cleanup();
    }
    return;
  }
  const homeArgs = [
    ...(values['spray-ttl'] ? ['--spray-ttl', values['spray-ttl']] : []),
    ...(values.spray ? ['--spray', values.spray] : []),
  ];
  const clientArgs = [
    ...(values.sockets ? ['--sockets', values.sockets] : []),
    ...(values.rounds ? ['--rounds', values.rounds] : []),
  ];
  if (values.matrix) {
    if (!values.json) process.stdout.write(MATRIX_HEADER + '\n');
    const modes: MatrixMode[] = [
      'ladder',
      ...(values.cold ? (['cold'] as const) : []),
      ...(values.patent ? (['patent'] as const) : []),
    ];
    const rows: Array<{ mode: MatrixMode; r: LabPairResult }> = [];
    try {
      for (const spec of specs) {
        for (const mode of modes) {
          const r = await runLabPair(spec, {
            trials,
            homeArgs: [...homeArgs, ...MODE_ARGS[mode].home],
            clientArgs: [...clientArgs, ...MODE_ARGS[mode].client],
            prime: mode === 'ladder',
          });
          rows.push({ mode, r });
          const out = values.json ? JSON.stringify({ mode, ...r }) : matrixRow(r, mode);
          process.stdout.write(out + '\n');
        }
      }
    } finally {
      cleanup();
    }
    if (!values.json) process.stdout.write(matrixTargets(rows).join('\n') + '\n');
    return;
  }
  if (!values.json) process.stdout.write(HEADER + '\n');
  try {
    for (const spec of specs) {
      const r = await runLabPair(spec, {
        trials,
        homeArgs,
        clientArgs,
        onTrial: (i) =>
          process.stderr.isTTY && process.stderr.write(`\r  trial ${i + 1}/${trials}  `),
      });
      if (process.stderr.isTTY) process.stderr.write('\r' + ' '.repeat(30) + '\r');
      process.stdout.write((values.json ? JSON.stringify(r) : row(r)) + '\n');
    }
  } finally {
    cleanup();
  }
}

async function phoneMain(
  pairs: string | undefined,
  settleMs: number,
  json: boolean,
): Promise<void> {
  if (!Number.isInteger(settleMs) || settleMs < 0) throw new Error('--settle: expected ms ≥ 0');
  const { parsePhonePair, phoneMatrix, PHONE_HEADER, phoneRow, runPhonePair } =
    await import('./phone.js');
  const specs = (pairs ? pairs.split(',') : phoneMatrix()).map((p) => parsePhonePair(p, parseSite));
  checkLabPrerequisites();
  const cleanup = (): void => {
    killLabProcesses();
    deleteNamespaces(`ph${process.pid}l`);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  if (!json) process.stdout.write(PHONE_HEADER + '\n');
  const rows = [];
  try {
    for (const spec of specs) {
      const r = await runPhonePair(spec, { settleMs });
      rows.push(r);
      process.stdout.write((json ? JSON.stringify(r) : phoneRow(r)) + '\n');
    }
  } finally {
    cleanup();
  }
  if (json) return;
  const ok = rows.filter((r) => r.ok);
  const direct = ok.filter((r) => r.pathSettled === 'direct').length;
  const p50 = (xs: number[]): string =>
    xs.length ? String(xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]) : '-';
  process.stdout.write(
    `${ok.length}/${rows.length} pairs worked; direct on ${direct}, relayed on ${ok.length - direct}; ` +
      `cold p50 ${p50(ok.map((r) => r.coldMs ?? 0))} ms, warm p50 ${p50(ok.map((r) => r.warmMs ?? 0))} ms` +
      (direct ? `, relayed → direct p50 ${p50(ok.flatMap((r) => r.toDirectMs ?? []))} ms` : '') +
      '\n',
  );
}

main().catch((e: Error) => {
  process.stderr.write(`lab: ${e.message}\n`);
  process.exit(1);
});
