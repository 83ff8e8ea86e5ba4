// The home's services (`porthole home serve NAME=HOST:PORT`): saved as services.json in the
// home's state dir, parsed strictly. An entry names the only address the home connects to for
// that name, and who may use it (every paired client, or a list of fingerprints).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { writeJson } from '../secure/state.js';
import { SERVICE_NAME } from './wire.js';

export const SERVICES_FILE = 'services.json';
export const MAX_SERVICES = 64;

export interface Service {
  name: string;
  host: string;
  port: number;
  /** 'all-paired', or the fingerprints of the clients allowed. */
  allow: 'all-paired' | string[];
}

export interface ServicesFile {
  services: Service[];
  /** Home Assistant's configuration.yaml, read to warn about trusted_networks (optional). */
  haConfig?: string;
}

const FINGERPRINT = /^[a-z2-7]{4,12}$/i;

export class ServiceSpecError extends Error {
  override name = 'ServiceSpecError';
}

/** `NAME=HOST:PORT` (HOST an IP literal: the home never resolves names for a client). */
export function parseServiceSpec(spec: string): { name: string; host: string; port: number } {
  const eq = spec.indexOf('=');
  const name = spec.slice(0, eq);
  if (eq < 1 || !SERVICE_NAME.test(name))
    throw new ServiceSpecError(
      `${spec}: expected NAME=HOST:PORT with NAME of 1-32 of a-z 0-9 _ - (starting a-z or 0-9)`,
    );
  const hp = spec.slice(eq + 1);
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hp);
  const host = m?.[1] ?? '';
  const port = Number(m?.[2]);
  if (!m || isIP(host) === 0 || !(port >= 1 && port <= 65535))
    throw new ServiceSpecError(`${spec}: HOST:PORT must be an IP address and a port 1-65535`);
  return { name, host, port };
}

function parseService(v: unknown): Service | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.name !== 'string' || !SERVICE_NAME.test(r.name)) return undefined;
  if (typeof r.host !== 'string' || isIP(r.host) === 0) return undefined;
  if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535)
    return undefined;
  const allow =
    r.allow === 'all-paired'
      ? 'all-paired'
      : Array.isArray(r.allow) && r.allow.every((f) => typeof f === 'string' && FINGERPRINT.test(f))
        ? (r.allow as string[]).map((f) => f.toLowerCase())
        : undefined;
  if (allow === undefined) return undefined;
  return { name: r.name, host: r.host, port: r.port as number, allow };
}

/** services.json of `dir` (absent = none); a corrupt file throws. */
export function loadServices(dir: string): ServicesFile {
  const path = join(dir, SERVICES_FILE);
  if (!existsSync(path)) return { services: [] };
  const text = readFileSync(path, 'utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ServiceSpecError(`${path}: not JSON (fix it, or remove it and serve again)`);
  }
  // A hand-edited `null` or `[]` is as invalid as a bad entry (fuzz target services-file: it
  // threw a TypeError from here).
  const r = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const list = Array.isArray(r.services) ? r.services : undefined;
  const services = list?.map(parseService);
  if (!services || services.some((s) => s === undefined) || services.length > MAX_SERVICES)
    throw new ServiceSpecError(`${path}: not a valid services file`);
  const out: ServicesFile = { services: services as Service[] };
  if (typeof r.haConfig === 'string') out.haConfig = r.haConfig;
  return out;
}

export function saveServices(dir: string, f: ServicesFile): void {
  writeJson(dir, SERVICES_FILE, f);
}

/** mtime, inode and size of the services file ('none' without one): two writes inside one mtime
 *  tick (`home serve` twice in a row) still differ. */
export function servicesStamp(dir: string): string {
  const st = statSync(join(dir, SERVICES_FILE), { throwIfNoEntry: false });
  return st ? `${st.mtimeMs}:${st.ino}:${st.size}` : 'none';
}

/** Fingerprints match case-insensitively, a unique prefix of 4+ characters is enough. */
export function allows(s: Service, fp: string): boolean {
  if (s.allow === 'all-paired') return true;
  const f = fp.toLowerCase();
  return s.allow.some((a) => f.startsWith(a));
}

/**
 * The loopback source address the home uses towards a loopback service for one client
 * (127.0.0.10-127.0.0.249, from its fingerprint): a service that bans by address (Home
 * Assistant's login ban) bans that client, not every client of the home.
 */
export function clientSourceAddress(fp: string): string {
  const h = createHash('sha256').update(fp.toLowerCase()).digest();
  return `127.0.0.${10 + (h.readUInt16BE(0) % 240)}`;
}

/**
 * Does Home Assistant's configuration.yaml (its text) name a trusted network covering 127.0.0.0/8
 * addresses the home connects from? A best-effort line scan, not a YAML parser: it looks for
 * `trusted_networks:` and any 127.* or ::1 or 0.0.0.0/0 entry under it.
 */
export function haTrustsLoopback(yaml: string): string | undefined {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => /^\s*trusted_networks\s*:/.test(l));
  if (at < 0) return undefined;
  const indent = (l: string): number => /^\s*/.exec(l)?.[0].length ?? 0;
  const base = indent(lines[at] as string);
  for (const l of lines.slice(at + 1)) {
    if (!l.trim() || l.trim().startsWith('#')) continue;
    if (indent(l) <= base && !l.trim().startsWith('-')) break;
    const m = /-\s*["']?([0-9a-fA-F.:/]+)/.exec(l);
    if (m && /^(127\.|0\.0\.0\.0\/0|::\/0)/.test(m[1] as string)) return m[1];
  }
  return undefined;
}
