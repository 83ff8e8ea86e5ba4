// Types for the parts of noise-handshake (holepunch, CommonJS) that Porthole uses.
declare module 'noise-handshake' {
  export interface KeyPair {
    publicKey: Uint8Array;
    secretKey: Uint8Array;
  }
  export default class Noise {
    constructor(pattern: 'IK' | 'XX' | 'NK' | 'XK', initiator: boolean, staticKeypair?: KeyPair);
    s: KeyPair;
    rs: Uint8Array | null;
    complete: boolean;
    tx: Uint8Array | null;
    rx: Uint8Array | null;
    hash: Uint8Array | null;
    initialise(prologue: Uint8Array, remoteStatic?: Uint8Array): void;
    send(payload?: Uint8Array): Uint8Array;
    recv(buf: Uint8Array): Uint8Array;
  }
}

declare module 'noise-handshake/cipher.js' {
  export default class Cipher {
    constructor(key: Uint8Array);
    setNonce(nonce: number): void;
    encrypt(plaintext: Uint8Array, ad?: Uint8Array): Uint8Array;
    decrypt(ciphertext: Uint8Array, ad?: Uint8Array): Uint8Array;
  }
}

declare module 'noise-handshake/dh.js' {
  import type { KeyPair } from 'noise-handshake';
  export function generateKeyPair(privKey?: Uint8Array): KeyPair;
}
