// Clients on web-only networks reach the relay over a WebSocket (binary messages, one encoded
// message each) on a configurable port and path — 443 in production, behind TLS or not. Outside
// the Env seam (ws), feeding the same relay core. maxPayload makes ws refuse oversized messages
// (it closes with 1009) before they are buffered; a slow reader is cut off like over TCP.
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { withDefaults } from '../options.js';
import type { RelayCore } from './server.js';
import {
  ConnectionGate,
  DEFAULT_STREAM_LIMITS,
  StreamClient,
  type StreamLimits,
} from './stream-client.js';
import { BridgeBudget, DEFAULT_BRIDGE_LIMITS, type BridgeLimits } from './bridge.js';

export interface WsRelayOptions extends Partial<StreamLimits> {
  host?: string;
  port: number;
  /** URL path clients connect to (default "/porthole"). */
  path?: string;
  /** Attach to this HTTP(S) server instead of listening on host:port (issue 18: the app's origin). */
  server?: Server;
  /**
   * Carry sessions the core would redirect to their target instead (relay/bridge.ts): the web
   * front's clients are pages that can reach only their origin.
   */
  bridge?: boolean | Partial<BridgeLimits>;
}

export function startWsRelay(
  core: RelayCore,
  opts: WsRelayOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const limits = withDefaults(DEFAULT_STREAM_LIMITS, opts);
  const gate = new ConnectionGate(limits.maxConnectionsPerIp);
  const bridge = opts.bridge
    ? new BridgeBudget(withDefaults(DEFAULT_BRIDGE_LIMITS, opts.bridge === true ? {} : opts.bridge))
    : undefined;
  const wss = new WebSocketServer({
    ...(opts.server ? { server: opts.server } : { host: opts.host ?? '0.0.0.0', port: opts.port }),
    path: opts.path ?? '/porthole',
    maxPayload: limits.maxFrame,
    perMessageDeflate: false,
    clientTracking: true,
  });
  wss.on('connection', (ws, req) => {
    const ip = req.socket.remoteAddress ?? '0.0.0.0';
    if (wss.clients.size > limits.maxConnections || !gate.admit(ip)) {
      core.countDrop('ws-connections');
      return ws.terminate();
    }
    const client = new StreamClient(
      'ws',
      { ip, port: req.socket.remotePort ?? 0 },
      {
        write: (b) => ws.send(b),
        buffered: () => ws.bufferedAmount + (req.socket.writableLength ?? 0),
        destroy: () => ws.terminate(),
      },
      core,
      limits,
      gate,
      bridge,
    );
    req.socket.setTimeout(limits.idleMs, () => client.gone());
    ws.on('message', (data, isBinary) => {
      if (!isBinary || !Buffer.isBuffer(data)) return core.countDrop('ws-not-binary');
      client.receive(data);
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws refuses a message over maxPayload (close 1009) before buffering it.
      const oversized = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      core.countDrop(oversized ? 'ws-oversized-frame' : 'ws-error');
      client.gone();
    });
    ws.on('close', () => client.gone());
  });
  const closeAll = (): Promise<void> =>
    new Promise<void>((done) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => done());
    });
  if (opts.server) return Promise.resolve({ port: opts.port, close: closeAll });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const addr = wss.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}
