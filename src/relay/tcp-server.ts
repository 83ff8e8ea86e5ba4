// Clients whose UDP is blocked reach the relay over TCP: u16-length-prefixed frames, each one
// encoded message (frames.ts). Outside the Env seam (node:net), but it feeds the same relay
// core through a ClientTransport. A frame over the limit ends the connection (framing is lost);
// a client that does not read its frames has frames dropped over maxBuffered, and is cut off after slowReaderMs over it.
import { createServer, type Server, type Socket } from 'node:net';
import { withDefaults } from '../options.js';
import { FrameDecoder, frame } from './frames.js';
import type { RelayCore } from './server.js';
import {
  ConnectionGate,
  DEFAULT_STREAM_LIMITS,
  StreamClient,
  type StreamLimits,
} from './stream-client.js';

export interface TcpRelayOptions extends Partial<StreamLimits> {
  host?: string;
  port: number;
}

export function startTcpRelay(
  core: RelayCore,
  opts: TcpRelayOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const limits = withDefaults(DEFAULT_STREAM_LIMITS, opts);
  const gate = new ConnectionGate(limits.maxConnectionsPerIp);
  const live = new Set<Socket>();
  const server = createServer({ noDelay: true }, (sock) => {
    live.add(sock);
    sock.once('close', () => live.delete(sock));
    const ip = sock.remoteAddress ?? '0.0.0.0';
    if (!gate.admit(ip)) {
      core.countDrop('tcp-per-ip-connections');
      return void sock.destroy();
    }
    const client = new StreamClient(
      'tcp',
      { ip, port: sock.remotePort ?? 0 },
      {
        write: (b) => void sock.write(frame(b)),
        buffered: () => sock.writableLength,
        destroy: () => sock.destroy(),
      },
      core,
      limits,
      gate,
    );
    const decoder = new FrameDecoder(limits.maxFrame);
    sock.setTimeout(limits.idleMs, () => client.gone());
    sock.on('data', (chunk) => {
      const r = decoder.push(chunk);
      if ('error' in r) {
        core.countDrop('tcp-oversized-frame');
        return client.gone();
      }
      for (const f of r.frames) client.receive(f);
    });
    sock.on('error', () => client.gone());
    sock.on('close', () => client.gone());
  });
  server.maxConnections = limits.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      const addr = server.address();
      resolve({
        server,
        port: typeof addr === 'object' && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of live) s.destroy();
          }),
      });
    });
  });
}
