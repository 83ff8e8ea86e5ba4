// `porthole client services | forward | pipe` (issue 19, docs/streams.md). With `client up`
// running, the agent holds the listeners (on its kept connection; this command only asks and
// then waits, no stream byte crosses the control socket); otherwise the command keeps its own
// connection (an agent in this process) for as long as it runs.
import type { Command } from 'commander';
import { createConnection } from 'node:net';
import type { ForwardStatus } from '../client/forward.js';
import { agentFor } from './client-up-cmd.js';
import { logFor, withConnectOptions, type ConnectCliOptions } from './connect-options.js';
import { die } from './lifecycle.js';

interface Backend {
  services(home: string | undefined): Promise<string[]>;
  forward(home: string | undefined, specs: string[]): Promise<{ forwards: ForwardStatus[] }>;
  close(): void;
  via: 'agent' | 'own';
}

/** The running agent of the state dir, or one in this process on its own connection. */
async function backendFor(o: ConnectCliOptions, cmd: Command): Promise<Backend> {
  const agent = await agentFor(o.state);
  if (agent)
    return {
      services: (h) => agent.services(h),
      forward: (h, specs) => agent.forward(h, specs),
      close: () => agent.close(),
      via: 'agent',
    };
  if (!o.state) return die("error: required option '--state <DIR>' not specified", 2);
  const log = logFor(cmd, 'client');
  // Loaded here, not at the top: `--help` and the agent path load none of this (lazy-load test).
  const [{ ClientAgent }, { cryptoRandom, realClock }, { listHomes }, { closeReached }, kept] =
    await Promise.all([
      import('../client/agent/agent.js'),
      import('../net/real-env.js'),
      import('../secure/state.js'),
      import('../client/reach.js'),
      import('./kept-connect.js'),
    ]);
  const homes = o.home ? [o.home] : listHomes(o.state).map((h) => h.homeId);
  let own: InstanceType<typeof ClientAgent>;
  try {
    own = new ClientAgent({
      homes,
      connect: kept.keptConnect(() => o, log, closeReached),
      clock: realClock,
      rng: cryptoRandom,
      log,
      wallNow: () => Date.now(),
    });
  } catch (e) {
    return die((e as Error).message);
  }
  own.start();
  return {
    services: (h) => own.services(h),
    forward: (h, specs) => own.forward(h, specs),
    close: () => own.stop(),
    via: 'own',
  };
}

/** Refuses up front, with the home's own list, a forward to a service this client may not use. */
async function checkNames(b: Backend, home: string | undefined, names: string[]): Promise<void> {
  const allowed = await b.services(home);
  const missing = names.filter((n) => !allowed.includes(n));
  if (missing.length)
    die(
      `the home does not let this client use ${missing.join(', ')} ` +
        `(services for this client: ${allowed.length ? allowed.join(', ') : 'none'})`,
    );
}

export function registerClientForward(client: Command): void {
  withConnectOptions(
    client.command('services').description('the services in the home this client may forward'),
  ).action(async (o: ConnectCliOptions, cmd: Command) => {
    const b = await backendFor(o, cmd);
    const names = await b.services(o.home).catch((e: Error) => die(e.message));
    if (o.json) process.stdout.write(JSON.stringify({ services: names }) + '\n');
    else process.stdout.write(names.length ? names.join('\n') + '\n' : 'no services\n');
    b.close();
    process.exit(0);
  });

  withConnectOptions(
    client
      .command('forward')
      .description('forward local TCP ports to services in the home ([BIND:]LOCALPORT:NAME …)')
      .argument('<forwards...>', 'e.g. 8123:ha 2222:ssh (binds 127.0.0.1 unless BIND is given)'),
  ).action(async (specs: string[], o: ConnectCliOptions, cmd: Command) => {
    const b = await backendFor(o, cmd);
    const names = specs.map((s) => s.split(':').pop() as string);
    await checkNames(b, o.home, names).catch((e: Error) => die(e.message));
    const r = await b.forward(o.home, specs).catch((e: Error) => die(e.message));
    for (const f of r.forwards) {
      if (o.json) process.stdout.write(JSON.stringify({ ...f, via: b.via }) + '\n');
      else process.stdout.write(`forwarding ${f.listen} → ${f.service} (${b.via} connection)\n`);
    }
    const stop = (): void => {
      b.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  withConnectOptions(
    client
      .command('pipe')
      .description('stdin/stdout as one stream to a service (ssh -o ProxyCommand=…)')
      .argument('<name>', 'the service'),
  ).action(async (name: string, o: ConnectCliOptions, cmd: Command) => {
    const b = await backendFor(o, cmd);
    await checkNames(b, o.home, [name]).catch((e: Error) => die(e.message));
    // An ephemeral forward on loopback: the stream's bytes go through it, never the control
    // socket; one connection to it is the one stream.
    const r = await b.forward(o.home, [`127.0.0.1:0:${name}`]).catch((e: Error) => die(e.message));
    const listen = r.forwards[0]?.listen ?? '';
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    const sock = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    process.stdin.pipe(sock);
    sock.pipe(process.stdout);
    let failed = false;
    sock.on('error', (e) => {
      failed = true;
      process.stderr.write(`porthole: pipe to ${name}: ${e.message}\n`);
    });
    sock.on('close', () => {
      b.close();
      process.exit(failed ? 1 : 0);
    });
  });
}
