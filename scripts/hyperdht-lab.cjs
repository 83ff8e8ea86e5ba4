// Lab glue for hyperdht's TCP forwarder (hypertele) in the forward bench (issue 19), CommonJS
// because hyperdht and hypertele are.
//   node hyperdht-lab.cjs testnet HOST PORT   a private DHT: non-firewalled nodes on HOST[,HOST…], the
//                                             first (the bootstrap) on PORT; prints "ready"
//   node -r hyperdht-lab.cjs …/hypertele/…    (preload) hypertele's --bootstrap PORT names a
//                                             node on 127.0.0.1 only; this points it at
//                                             LAB_DHT_HOST instead. Nothing else is changed.
'use strict';
const Module = require('module');

if (require.main === module && process.argv[2] === 'testnet') {
  // hyperdht/testnet binds 0.0.0.0 for any host but 127.0.0.1: on the lab's core, which has
  // several addresses, its answers would then leave from another address than the one asked,
  // and a port-restricted NAT drops them. These nodes bind HOST itself.
  // HOST may be a comma list: hyperdht tells a NAT's kind from how several nodes on different
  // addresses see it (one address leaves it "unknown" and the punch is aborted); two nodes each.
  const DHT = require('hyperdht');
  const hosts = process.argv[3].split(',');
  const bootstrap = [{ host: hosts[0], port: Number(process.argv[4]) }];
  (async () => {
    const nodes = [];
    for (let i = 0; i < hosts.length * 2; i++) {
      const node = new DHT({
        ephemeral: false,
        firewalled: false,
        bootstrap: i === 0 ? [] : bootstrap,
        host: hosts[i % hosts.length],
        ...(i === 0 ? { port: bootstrap[0].port } : {}),
      });
      await node.fullyBootstrapped();
      nodes.push(node);
    }
    process.stdout.write('ready\n');
  })();
} else if (process.env.LAB_DHT_HOST) {
  const host = process.env.LAB_DHT_HOST;
  const load = Module._load;
  let wrapped = null;
  Module._load = function (request, ...rest) {
    const m = load.call(this, request, ...rest);
    if (request !== 'hyperdht') return m;
    if (!wrapped) {
      wrapped = class LabDHT extends m {
        constructor(opts = {}) {
          const bootstrap = opts.bootstrap && opts.bootstrap.map((b) => ({ ...b, host }));
          super(bootstrap ? { ...opts, bootstrap } : opts);
        }
      };
    }
    return wrapped;
  };
}
