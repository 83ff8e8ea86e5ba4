// One call for a role at start: classify the NAT, then (where it can be measured) its depth.
// Total time ≤ classify deadline + depth deadline (3 s by default; ~1 s on a quiet path).
import type { Env, SocketAddr } from '../net/types.js';
import { classifyNat, type ClassifyOptions, type ClassifyResult } from './classify.js';
import type { NatClass } from './nat-class.js';
import { measureNatDepth, type NatDepthResult } from './nat-depth.js';

export interface Discovery {
  /** The class to send in register/assist; natDepth set when it was measured. */
  readonly nat: NatClass;
  readonly classify: ClassifyResult;
  readonly depth: NatDepthResult | undefined;
}

export async function discoverNat(
  env: Env,
  server: SocketAddr,
  opts: Partial<Omit<ClassifyOptions, 'server'>> & { depth?: boolean } = {},
): Promise<Discovery> {
  const classify = await classifyNat(env, server, opts);
  if (opts.depth === false || !classify.other)
    return { nat: classify.nat, classify, depth: undefined };
  const depth = await measureNatDepth(env, {
    server,
    other: classify.other,
    nat: classify.nat,
    ...(opts.bindIp !== undefined ? { bindIp: opts.bindIp } : {}),
  });
  const nat = depth.ok ? { ...classify.nat, natDepth: depth.natDepth } : classify.nat;
  return { nat, classify, depth };
}
