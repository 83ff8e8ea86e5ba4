// `porthole client devices | get | set | watch`: the home's devices through the tunnel.
import { closeReached, type Reached } from '../client/reach.js';
import { reportPathEvents } from './path-events.js';
import type { Command } from 'commander';
import { DeviceError, parseEntityId, parseSetArg, type EntityState } from '../devices/model.js';
import { DeviceClient } from '../devices/rpc-client.js';
import { cryptoRandom, realClock } from '../net/real-env.js';
import {
  connectOrExit,
  logFor,
  withConnectOptions,
  type ConnectCliOptions,
} from './connect-options.js';
import { die } from './lifecycle.js';

async function withDevices(
  o: ConnectCliOptions,
  cmd: Command,
  fn: (dc: DeviceClient, r: Reached) => Promise<void>,
): Promise<never> {
  const r = await connectOrExit(o, logFor(cmd, 'client'));
  const dc = new DeviceClient(r.channel, realClock, cryptoRandom);
  try {
    await fn(dc, r);
  } catch (e) {
    const msg = e instanceof DeviceError ? e.message : String(e);
    if (o.json) process.stdout.write(JSON.stringify({ error: msg }) + '\n');
    else process.stderr.write(`porthole: ${msg}\n`);
    process.exit(1);
  }
  closeReached(r);
  // A relayed session's goodbye (relayClosed) leaves before we exit, so the relay frees it now.
  if (r.paths) await new Promise((res) => setTimeout(res, 100));
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
      withDevices(o, cmd, async (dc, r) => {
        if (r.paths) reportPathEvents(r.paths, Boolean(o.json));
        await dc.watch((s) => process.stdout.write((o.json ? JSON.stringify(s) : line(s)) + '\n'));
        if (!o.json) process.stderr.write('watching; Ctrl-C to stop\n');
        const secs = Number(o.duration ?? Infinity);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          if (Number.isFinite(secs)) setTimeout(resolve, secs * 1000);
        });
      }),
    );
}
