// `porthole client devices | get | set | watch`: the home's devices through the tunnel.
import { reportPathEvents } from './path-events.js';
import type { Command } from 'commander';
import {
  parseEntityId,
  parseSetArg,
  type Command as DeviceCommand,
  type EntityState,
} from '../devices/model.js';
import type { ControlClient } from '../client/agent/control-client.js';
import type { HomeStatus } from '../client/agent/control-wire.js';
import { agentFor } from './client-up-cmd.js';
import {
  closeBeforeExit,
  connectOrExit,
  logFor,
  withConnectOptions,
  type ConnectCliOptions,
} from './connect-options.js';
import { die } from './lifecycle.js';

/** What device commands need, served by a one-shot connection or by the client agent. */
interface Devices {
  list(): Promise<EntityState[]>;
  get(entity: string): Promise<EntityState>;
  call(entity: string, command: DeviceCommand): Promise<EntityState>;
  watch(cb: (s: EntityState) => void, onPath?: (p: HomeStatus) => void): Promise<void>;
}

function viaAgent(agent: ControlClient, home: string | undefined): Devices {
  return {
    list: () => agent.list(home),
    get: (e) => agent.get(home, e),
    call: (e, c) => agent.call(home, e, c),
    watch: (cb, onPath) => agent.watch(home, cb, onPath),
  };
}

async function withDevices(
  o: ConnectCliOptions,
  cmd: Command,
  fn: (dc: Devices) => Promise<void>,
): Promise<never> {
  const agent = await agentFor(o.state);
  let done: () => Promise<void> | void;
  let devices: Devices;
  if (agent) {
    devices = viaAgent(agent, o.home);
    done = () => agent.close();
  } else {
    const r = await connectOrExit(o, logFor(cmd, 'client'));
    const [{ DeviceClient }, { cryptoRandom, realClock }] = await Promise.all([
      import('../devices/rpc-client.js'),
      import('../net/real-env.js'),
    ]);
    const dc = new DeviceClient(r.channel, realClock, cryptoRandom);
    // The session's upgrader owns liveness: a request unanswered for ~1 s has it probe the path
    // (falling back onto the relay if it died), and what is in flight goes again after a move.
    const up = r.upgrade;
    if (up) dc.onSuspect(() => up.suspect());
    r.paths?.onChange(() => dc.pathChanged());
    devices = {
      list: () => dc.list(),
      get: (e) => dc.get(e),
      call: (e, c) => dc.call(e, c),
      watch: (cb) => dc.watch(cb),
    };
    // Path changes (relayed ⇄ punched) and a path lost under the channel are reported too.
    if (r.paths) reportPathEvents(r.paths, Boolean(o.json));
    done = () => closeBeforeExit(r);
  }
  try {
    await fn(devices);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (o.json) process.stdout.write(JSON.stringify({ error: msg }) + '\n');
    else process.stderr.write(`porthole: ${msg}\n`);
    process.exit(1);
  }
  await done();
  process.exit(0);
}

const line = (s: EntityState): string => {
  const a = s.attributes;
  const extra = [
    a.brightness !== undefined && s.state === 'on' ? `brightness ${String(a.brightness)}` : '',
    a.temperature !== undefined ? `target ${String(a.temperature)}` : '',
    a.current_temperature !== undefined ? `now ${String(a.current_temperature)}` : '',
    a.unit_of_measurement !== undefined ? String(a.unit_of_measurement) : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.entity_id.padEnd(34)} ${s.state.padEnd(10)} ${extra}`.trimEnd();
};

const entityArg = (text: string): string => {
  try {
    parseEntityId(text);
    return text;
  } catch (e) {
    return die((e as Error).message, 2);
  }
};

export function registerDeviceCommands(client: Command): void {
  withConnectOptions(
    client.command('devices').description("list the home's devices and their states"),
  ).action((o: ConnectCliOptions, cmd: Command) =>
    withDevices(o, cmd, async (dc) => {
      const all = await dc.list();
      if (o.json) for (const s of all) process.stdout.write(JSON.stringify(s) + '\n');
      else for (const s of all) process.stdout.write(line(s) + '\n');
    }),
  );

  withConnectOptions(
    client
      .command('get')
      .description("one device's state")
      .argument('<ENTITY>', 'e.g. light.kitchen'),
  ).action((entity: string, o: ConnectCliOptions, cmd: Command) =>
    withDevices(o, cmd, async (dc) => {
      const s = await dc.get(entityArg(entity));
      process.stdout.write((o.json ? JSON.stringify(s) : line(s)) + '\n');
    }),
  );

  withConnectOptions(
    client
      .command('set')
      .description('command a device')
      .argument('<ENTITY>', 'e.g. light.kitchen')
      .argument('<ACTION>', 'on|off|toggle|brightness=N|temperature=N|lock|unlock|open|close'),
  ).action((entity: string, action: string, o: ConnectCliOptions, cmd: Command) => {
    let command;
    try {
      command = parseSetArg(action);
    } catch (e) {
      return die((e as Error).message, 2);
    }
    return withDevices(o, cmd, async (dc) => {
      const s = await dc.call(entityArg(entity), command);
      process.stdout.write((o.json ? JSON.stringify(s) : line(s)) + '\n');
    });
  });

  withConnectOptions(client.command('watch').description('print device changes live until Ctrl-C'))
    .option('--duration <S>', 'stop after this many seconds')
    .action((o: ConnectCliOptions & { duration?: string }, cmd: Command) =>
      withDevices(o, cmd, async (dc) => {
        await dc.watch(
          (s) => process.stdout.write((o.json ? JSON.stringify(s) : line(s)) + '\n'),
          // Through the client agent, the connection's own changes (path, reconnects) too.
          (p) =>
            o.json
              ? process.stdout.write(JSON.stringify({ event: 'path', ...p }) + '\n')
              : process.stderr.write(`connection: ${p.state}${p.path ? ` (${p.path})` : ''}\n`),
        );
        if (!o.json) process.stderr.write('watching; Ctrl-C to stop\n');
        const secs = Number(o.duration ?? Infinity);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          if (Number.isFinite(secs)) setTimeout(resolve, secs * 1000);
        });
      }),
    );
}
