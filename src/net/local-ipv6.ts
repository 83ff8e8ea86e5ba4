// This host's IPv6 address for a knock (issue 13): the first usable global one, with the kernel's
// flags (deprecated, temporary, tentative) read from /proc/net/if_inet6 where Linux has them.
// The one place home and client look it up, so both skip the same addresses.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseIfInet6, usableIpv6, type AddressFlags } from './ipv6.js';

function kernelFlags(): Map<string, AddressFlags> | undefined {
  try {
    return parseIfInet6(readFileSync('/proc/net/if_inet6', 'utf8'));
  } catch {
    return undefined; // not Linux: no flags, every global address passes
  }
}

export function localIpv6(): string | undefined {
  const flags = kernelFlags();
  return usableIpv6(networkInterfaces(), flags ? { flags, max: 1 } : { max: 1 })[0]?.ip;
}
