// The shape every message channel has (plain connection, encrypted channel, in-memory pair):
// what the remote-procedure layer and the app build on.
export interface MessageChannel {
  send(data: Uint8Array): void;
  onMessage(cb: (data: Uint8Array) => void): void;
  close(): void;
}
