// Types for the parts of udx-native (holepunch, CommonJS) that Porthole uses (src/streams).
declare module 'udx-native' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'streamx';

  export interface UDXStreamOptions {
    /**
     * Return true to drop a packet from (port, host) that arrived on another socket of the
     * instance than the stream's own (or on any socket before the stream is connected).
     */
    firewall?: (socket: UDXSocket, port: number, host: string) => boolean;
  }
  export class UDXStream extends Duplex {
    readonly id: number;
    readonly mtu: number;
    readonly rtt: number;
    readonly cwnd: number;
    readonly inflight: number;
    readonly retransmits: number;
    /** Retransmission timeouts that fired (each one resends the whole window in flight). */
    readonly rtoCount: number;
    readonly connected: boolean;
    readonly destroying: boolean;
    readonly destroyed: boolean;
    readonly socket: UDXSocket | null;
    readonly remoteId: number;
    readonly remotePort: number;
    readonly remoteHost: string | null;
    connect(socket: UDXSocket, remoteId: number, port: number, host?: string): void;
    /**
     * Moves the connected stream to another socket of the same instance and/or another remote;
     * settles once the packets sent to the old remote are acked (null: moved at once, nothing
     * was in flight). Throws while one is pending.
     */
    changeRemote(
      socket: UDXSocket,
      remoteId: number,
      port: number,
      host: string,
    ): Promise<void> | null;
    destroy(err?: Error): void;
  }
  export class UDXSocket extends EventEmitter {
    bind(port?: number, host?: string): void;
    address(): { host: string; family: number; port: number };
    close(): Promise<void>;
    /** Queue one datagram now (ttl 0: the socket's default). Throws on a host that is not an IP. */
    trySend(buffer: Uint8Array, port: number, host: string, ttl?: number): void;
    readonly closing: boolean;
    setRecvBufferSize(size: number): number;
    getRecvBufferSize(): number;
    setSendBufferSize(size: number): number;
    getSendBufferSize(): number;
    readonly bytesTransmitted: number;
    readonly packetsTransmitted: number;
  }
  export default class UDX {
    createSocket(opts?: { ipv6Only?: boolean }): UDXSocket;
    createStream(id: number, opts?: UDXStreamOptions): UDXStream;
  }
}

declare module 'streamx' {
  import type { EventEmitter } from 'node:events';
  export class Duplex extends EventEmitter {
    write(data: Uint8Array): boolean;
    end(data?: Uint8Array): this;
    pause(): this;
    resume(): this;
    destroy(err?: Error): void;
  }
}

// @hyperswarm/secret-stream (holepunch, CommonJS): only the preset-keys form src/streams uses.
declare module '@hyperswarm/secret-stream' {
  import type { Duplex } from 'streamx';
  export interface PresetHandshake {
    tx: Uint8Array;
    rx: Uint8Array;
    hash: Uint8Array;
    publicKey: Uint8Array;
    remotePublicKey: Uint8Array;
  }
  export default class SecretStream extends Duplex {
    constructor(isInitiator: boolean, rawStream: Duplex, opts: { handshake: PresetHandshake });
    readonly rawStream: Duplex;
  }
}
