// Lab glue for hyperdht's TCP forwarder (hypertele) in the forward bench (issue 19), CommonJS
// because hyperdht and hypertele are.
//   node hyperdht-lab.cjs testnet HOST PORT   a private DHT: 3 non-firewalled nodes on HOST, the
//                                             first (the bootstrap) on PORT; prints "ready"
//   node -r hyperdht-lab.cjs …/hypertele/…    (preload) hypertele's --bootstrap PORT names a
//                                             node on 127.0.0.1 only; this points it at
//                                             LAB_DHT_HOST instead. Nothing else is changed.
'use strict';
const Module = require('module');

if (require.main === module && process.argv[2] === 'testnet') {
  const createTestnet = require('hyperdht/testnet');
  createTestnet(3, { host: process.argv[3], port: Number(process.argv[4]) }).then(() =>
    process.stdout.write('ready\n'),
  );
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
