// Installs the Debian packages the test suite drives for real (broker, browser, kernel NAT tools,
// packet capture) when they are missing. Root only; otherwise it says loudly what is missing, and
// the tests that need it fail rather than skip.
import { execSync, spawnSync } from 'node:child_process';

const NEEDS = [
  { cmd: 'mosquitto', pkg: 'mosquitto', why: 'real MQTT broker for the device bridge tests' },
  { cmd: 'chromium', pkg: 'chromium', why: 'real browser for the web app test' },
  { cmd: 'openssl', pkg: 'openssl', why: 'a test certificate for the phone app over HTTPS' },
  { cmd: 'nft', pkg: 'nftables', why: 'kernel NAT in the lab' },
  { cmd: 'conntrack', pkg: 'conntrack', why: 'flushing NAT state between lab trials' },
  { cmd: 'ip', pkg: 'iproute2', why: 'network namespaces for the lab' },
  { cmd: 'tshark', pkg: 'tshark', why: 'packet capture proving payloads are encrypted' },
  { cmd: 'redis-server', pkg: 'redis-server', why: 'the cluster store behind rendezvous nodes' },
  { cmd: 'turnutils_stunclient', pkg: 'coturn', why: 'a STUN client nobody here wrote' },
  { cmd: 'miniupnpd', pkg: 'miniupnpd-nftables', why: 'a real UPnP-IGD / NAT-PMP / PCP router' },
  { cmd: 'upnpc', pkg: 'miniupnpc', why: 'a UPnP client to cross-check port mappings' },
  { cmd: 'systemd-analyze', pkg: 'systemd', why: 'checking the example service units' },
  { cmd: 'natpmpc', pkg: 'natpmpc', why: 'a NAT-PMP client to cross-check port mappings' },
  {
    cmd: 'g++',
    pkg: 'g++',
    why: 'builds a Home Assistant requirement with no wheel (pyspeex-noise) on its first install',
  },
];

const has = (cmd) =>
  spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd} || test -x /sbin/${cmd}`], {
    stdio: 'ignore',
  }).status === 0;

export function ensureSystemDeps() {
  const missing = NEEDS.filter((n) => !has(n.cmd));
  if (missing.length === 0) return;
  const pkgs = missing.map((n) => n.pkg).join(' ');
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      `\n*** porthole setup: missing system packages: ${pkgs}\n` +
        missing.map((n) => `***   ${n.cmd}: ${n.why}\n`).join('') +
        `*** install them as root (apt-get install ${pkgs}); the tests that need them will FAIL.\n\n`,
    );
    return;
  }
  process.stderr.write(`porthole setup: installing ${pkgs} (apt-get)…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) =>
    execSync(`apt-get ${args}`, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
      timeout: 20 * 60_000,
    });
  try {
    apt(`install -y -q --no-install-recommends ${pkgs}`);
  } catch {
    apt('update -q');
    apt(`install -y -q --no-install-recommends ${pkgs}`);
  }
}
