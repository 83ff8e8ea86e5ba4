// Thin helpers over iproute2/nftables/conntrack for the lab. Every command is logged on failure
// with what it was doing; nothing here talks to anything outside the namespaces it made.
import { execFileSync, spawnSync } from 'node:child_process';

export class LabError extends Error {
  override name = 'LabError';
}

export function sh(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 20_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new LabError(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

export function inNs(ns: string, cmd: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

export function nft(ns: string, rules: string): void {
  inNs(ns, 'nft', ['-f', '-'], rules);
}

export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Deletes every namespace whose name starts with `prefix` (also leftovers of killed runs). */
export function deleteNamespaces(prefix: string): void {
  for (const ns of listNamespaces()) {
    if (ns.startsWith(prefix)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes namespaces left by lab runs that were killed before they could tear down (named
 * `ph<pid>l<n>-…` / `phprobe<pid>`), never those of a lab run that is still alive.
 */
export function deleteStaleNamespaces(): string[] {
  const stale = listNamespaces().filter((ns) => {
    const m = /^ph(?:probe)?(\d+)(?:l\d+-|$)/.exec(ns);
    return m !== null && !alive(Number(m[1]));
  });
  for (const ns of stale) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  return stale;
}

const has = (cmd: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' })
    .status === 0;

/** Root and the tools, installed from Debian when missing; a clear error otherwise. */
export function checkLabPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError('the NAT lab needs root (network namespaces, nftables); run it as root');
  }
  const missing = [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
    ['conntrack', 'conntrack'],
  ].filter(([cmd]) => !has(cmd as string));
  if (missing.length > 0) {
    const pkgs = missing.map(([, p]) => p as string);
    process.stderr.write(`lab: installing ${pkgs.join(' ')} (apt-get)…\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '-q', ...pkgs], { stdio: 'ignore', env });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
      r = spawnSync('apt-get', ['install', '-y', '-q', ...pkgs], { stdio: 'ignore', env });
    }
    if (r.status !== 0)
      throw new LabError(`could not install ${pkgs.join(' ')}; install them and retry`);
  }
  deleteStaleNamespaces();
  const probe = `phprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  if (r.status !== 0)
    throw new LabError(`cannot create network namespaces here: ${r.stderr.trim()}`);
}
