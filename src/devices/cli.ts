// The device commands of `porthole client`: devices, get, set, watch (all with --json), built on
// an injected channel opener so they run over the plain path, the encrypted channel, or an
// in-memory pair in tests. Exit codes: 0 done, 1 the home refused or did not answer, 2 bad usage.
import type { Command } from 'commander';
import { realClock } from '../net/real-env.js';
import type { Clock } from '../net/types.js';
import type { MessageChannel } from '../proto/channel.js';
import { formatState } from './format.js';
import { parseEntityId, parseSetArg, type EntityState } from './model.js';
import { DeviceClient } from './rpc-client.js';

/** Opens a channel to the home from the command's parsed options (connection flags and all). */
export type OpenChannel = (opts: Record<string, unknown>) => Promise<MessageChannel>;

export interface DeviceCliIO {
  out(line: string): void;
  err(line: string): void;
  /** Sets the exit code (the caller decides whether to exit the process). */
  exit(code: number): void;
  clock: Clock;
  /** Adds the connection options to each subcommand (e.g. the CLI's withConnectOptions). */
  withOptions(cmd: Command): Command;
  /** Resolves when `watch` should stop without --duration (default: Ctrl-C). */
  interrupted(): Promise<void>;
}

const processIO: DeviceCliIO = {
  out: (l) => void process.stdout.write(l + '\n'),
  err: (l) => void process.stderr.write(l + '\n'),
  exit: (code) => void (process.exitCode = code),
  clock: realClock,
  withOptions: (cmd) => cmd,
  interrupted: () => new Promise((resolve) => process.once('SIGINT', () => resolve())),
};

type Opts = Record<string, unknown> & { json?: boolean };

export function registerDeviceCommands(
  clientCmd: Command,
  openChannel: OpenChannel,
  ioOverrides: Partial<DeviceCliIO> = {},
): void {
  const io: DeviceCliIO = { ...processIO, ...ioOverrides };
  const print = (o: Opts, s: EntityState): void =>
    io.out(o.json ? JSON.stringify(s) : formatState(s));

  const fail = (o: Opts, msg: string, code: number): void => {
    if (o.json) io.out(JSON.stringify({ error: msg }));
    else io.err(`porthole: ${msg}`);
    io.exit(code);
  };

  /** Checks the arguments first (exit 2, no connection made), then opens the channel, runs `fn`,
   *  reports failures in the chosen format (exit 1), and always closes. */
  const run = async <A>(
    o: Opts,
    check: () => A,
    fn: (dc: DeviceClient, args: A) => Promise<void>,
  ): Promise<void> => {
    let args: A;
    try {
      args = check();
    } catch (e) {
      return fail(o, (e as Error).message, 2);
    }
    let channel: MessageChannel | undefined;
    let dc: DeviceClient | undefined;
    try {
      channel = await openChannel(o);
      dc = new DeviceClient(channel, io.clock);
      await fn(dc, args);
      io.exit(0);
    } catch (e) {
      fail(o, e instanceof Error ? e.message : String(e), 1);
    } finally {
      dc?.close();
      channel?.close();
    }
  };

  const sub = (name: string, description: string): Command => {
    const cmd = io.withOptions(clientCmd.command(name).description(description));
    if (!cmd.options.some((opt) => opt.long === '--json'))
      cmd.option('--json', 'machine-readable output: one JSON object per line');
    return cmd;
  };

  sub('devices', "list the home's devices and their states").action((o: Opts) =>
    run(
      o,
      () => undefined,
      async (dc) => {
        for (const s of await dc.list()) print(o, s);
      },
    ),
  );

  sub('get', "one device's state")
    .argument('<ENTITY>', 'e.g. light.kitchen')
    .action((entity: string, o: Opts) =>
      run(
        o,
        () => parseEntityId(entity),
        async (dc) => print(o, await dc.get(entity)),
      ),
    );

  sub('set', 'command a device')
    .argument('<ENTITY>', 'e.g. light.kitchen')
    .argument('<ACTION>', 'on|off|toggle|brightness=N|temperature=N|lock|unlock|open|close')
    .action((entity: string, action: string, o: Opts) =>
      run(
        o,
        () => (parseEntityId(entity), parseSetArg(action)),
        async (dc, command) => print(o, await dc.call(entity, command)),
      ),
    );

  sub('watch', 'print device changes live until Ctrl-C')
    .option('--duration <S>', 'stop after this many seconds')
    .action((o: Opts & { duration?: string }) =>
      run(
        o,
        () => {
          const secs = o.duration === undefined ? Infinity : Number(o.duration);
          if (Number.isNaN(secs) || secs <= 0)
            throw new Error(`--duration ${o.duration}: expected a number of seconds`);
          return secs;
        },
        async (dc, secs) => {
          await dc.watch((s) => print(o, s));
          if (!o.json) io.err('watching; Ctrl-C to stop');
          await new Promise<void>((resolve) => {
            void io.interrupted().then(resolve);
            if (Number.isFinite(secs)) io.clock.setTimer(secs * 1000, resolve);
          });
        },
      ),
    );
}
