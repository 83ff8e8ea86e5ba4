// Where an option's value comes from: flags > PORTHOLE_* environment > the state dir's
// config.json > the built-in default. Commander records each option's source; after parsing,
// every option still at its default is filled from the environment, then from the file, through
// the option's own parser (so a bad value there is reported like a bad flag).
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Config keys are the options' attribute names (camelCase), env names PORTHOLE_ + SNAKE_CASE. */
export function envName(opt: Option): string {
  return (
    'PORTHOLE_' +
    opt
      .attributeName()
      .replace(/[A-Z]/g, (c) => '_' + c)
      .toUpperCase()
  );
}

const MAX_CONFIG_BYTES = 64 * 1024;

/** Reads `config.json` in `stateDir` (absent: {}); throws with the path on a corrupt file. */
export function readConfigFile(stateDir: string): Record<string, unknown> {
  const path = join(stateDir, 'config.json');
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_CONFIG_BYTES) throw new Error(`${path} is larger than 64 KiB`);
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`${path} is not a JSON object; fix or remove it`);
}

function parseWith(opt: Option, raw: string, where: string): unknown {
  if (opt.negate || (!opt.required && !opt.optional)) return raw !== 'false' && raw !== '0';
  const parse = (opt as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
  try {
    return parse ? parse(raw, undefined) : raw;
  } catch (e) {
    const why = e instanceof InvalidArgumentError ? e.message : String(e);
    throw new InvalidArgumentError(`${where}: ${why}`);
  }
}

/**
 * Fills options left at their defaults from `env` and the state dir's config file. Call it in a
 * preAction hook (the state dir is itself an option and may come from PORTHOLE_STATE).
 */
export function applyEnvAndConfig(
  cmd: Command,
  env: NodeJS.ProcessEnv = process.env,
  stateOption = 'state',
): void {
  const fromCli = (o: Option): boolean => {
    const src = cmd.getOptionValueSource(o.attributeName());
    return src === 'cli' || src === 'env';
  };
  for (const o of cmd.options) {
    const name = envName(o);
    if (fromCli(o) || env[name] === undefined) continue;
    cmd.setOptionValueWithSource(o.attributeName(), parseWith(o, env[name], name), 'env');
  }
  const dir = cmd.getOptionValue(stateOption) as unknown;
  if (typeof dir !== 'string') return;
  const file = readConfigFile(dir);
  for (const o of cmd.options) {
    const key = o.attributeName();
    if (fromCli(o) || !(key in file) || key === stateOption) continue;
    const v = file[key];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new InvalidArgumentError(
        `${join(dir, 'config.json')}: "${key}" must be a string or number`,
      );
    cmd.setOptionValueWithSource(key, parseWith(o, String(v), `config.json "${key}"`), 'config');
  }
}

export const PRECEDENCE_HELP =
  'Every option can also come from the environment (PORTHOLE_ + the option name in capitals, ' +
  'e.g. PORTHOLE_RENDEZVOUS) or from config.json in the state dir ({"rendezvous": "…"}); ' +
  'flags win over the environment, which wins over the file, which wins over the defaults.';
