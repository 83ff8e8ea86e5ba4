// Forwarded services with real processes (issue 19): `home serve` names a TCP echo service for
// one paired client; through `client up` that client forwards a local port to it and pipes
// stdin/stdout through it; `client status --json` shows the forward; another paired client is
// refused with a clear message and nothing is opened; `home serve --remove` closes an open stream.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { BIN, jsonLine, pairedStack, Procs, run } from '../support/cli.js';
import { echoServer } from './support.js';

const BASE = 20_000 + (process.pid % 2000) * 4;
const RV = `127.0.0.2:${BASE}`;
const procs = new Procs();
after(() => procs.stopAll());

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test(
  'home serve, client forward/pipe/services, refusal, removal',
  { timeout: 120_000 },
  async () => {
    const echo = await echoServer();
    after(() => echo.server.close());
    let served = 0;
    echo.server.on('connection', () => served++);
    const { home, clients } = await pairedStack(procs, {
      rvArgs: ['--listen', RV],
      homeListen: `127.0.0.3:${BASE + 1}`,
      clients: ['phone', 'laptop'],
    });
    const phone = clients.phone as string;
    const laptop = clients.laptop as string;
    // Paired in order: the phone is the first client the home lists.
    const paired = run(['home', 'clients', '--state', home, '--json']).stdout.trim().split('\n');
    const fp = String((JSON.parse(paired[0] as string) as { fingerprint: string }).fingerprint);

    // Serving needs a say on who: refused without --allow/--all-paired.
    assert.equal(run(['home', 'serve', `echo=127.0.0.1:${echo.port}`, '--state', home]).status, 2);
    const add = run([
      'home',
      'serve',
      `echo=127.0.0.1:${echo.port}`,
      '--allow',
      fp,
      '--state',
      home,
      '--json',
    ]);
    assert.equal(add.status, 0, add.stderr);
    assert.equal(jsonLine(add.stdout).name, 'echo');
    const list = run(['home', 'serve', '--list', '--state', home]);
    assert.match(list.stdout, new RegExp(`echo  127.0.0.1:${echo.port}  allow: ${fp}`));

    // The laptop is paired but not allowed: an empty list, a clear refusal, nothing opened.
    const bind = ['--bind', '127.0.0.4'];
    const none = run(['client', 'services', '--state', laptop, ...bind, '--json']);
    assert.equal(none.status, 0, none.stderr);
    assert.deepEqual(jsonLine(none.stdout).services, []);
    const refused = run(['client', 'forward', `${BASE + 2}:echo`, '--state', laptop, ...bind]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /does not let this client use echo/);
    assert.equal(served, 0);

    // The phone, through its agent: the listener lives in the agent.
    await procs.start(['client', 'up', '--state', phone, ...bind], 'control socket');
    const svc = run(['client', 'services', '--state', phone, '--json']);
    assert.deepEqual(jsonLine(svc.stdout).services, ['echo']);
    const line = await procs.firstLine([
      'client',
      'forward',
      `${BASE + 2}:echo`,
      '--state',
      phone,
      '--json',
    ]);
    const fwd = JSON.parse(line) as Record<string, unknown>;
    assert.equal(fwd.via, 'agent');
    assert.equal(fwd.listen, `127.0.0.1:${BASE + 2}`);

    const s = await connect(BASE + 2);
    const back = await new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.length >= 5) resolve(got);
      });
      s.write('hello');
    });
    assert.equal(back, 'hello');
    const st = jsonLine(run(['client', 'status', '--state', phone, '--json']).stdout);
    const f = (st.forwards as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(f.service, 'echo');
    assert.equal(f.streams, 1);
    assert.equal(f.bytesIn, 5);
    assert.equal(f.bytesOut, 5);
    assert.equal(typeof f.path, 'string');

    // A pipe (as ssh's ProxyCommand uses it): stdin to the service, its answer on stdout.
    // (async: the echo server lives in this process, spawnSync would block it)
    const pipe = spawn(process.execPath, [BIN, 'client', 'pipe', 'echo', '--state', phone]);
    let piped = '';
    pipe.stdout.on('data', (d: Buffer) => (piped += d.toString()));
    let pipeErr = '';
    pipe.stderr.on('data', (d: Buffer) => (pipeErr += d.toString()));
    pipe.stdin.end('through a pipe');
    const code = await new Promise((resolve) => pipe.on('exit', resolve));
    const why = (): string => run(['client', 'status', '--state', phone, '--json']).stdout;
    assert.equal(code, 0, `client pipe: ${pipeErr} (agent: ${code === 0 ? '' : why()})`);
    assert.equal(piped, 'through a pipe');

    // Removing the service closes the open stream at once (the home re-reads within a second).
    s.on('error', () => {}); // the reset that tells the application
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    const t0 = Date.now();
    assert.equal(run(['home', 'serve', '--remove', 'echo', '--state', home]).status, 0);
    await closed;
    process.stderr.write(`stream closed ${Date.now() - t0} ms after --remove\n`);
    assert.ok(Date.now() - t0 < 5000);
  },
);
