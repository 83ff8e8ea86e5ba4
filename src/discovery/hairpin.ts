// Does our NAT hairpin (RFC 4787 §6): can a socket behind it reach another one through the
// other's public mapping? A fresh socket H learns its mapping MH from the server, then S (whose
// mapping M1 is known) sends a STUN indication to MH while H sends one to M1, retransmitted with
// a bound. Either arriving proves it; both are sent so that a filtering NAT lets the second in
// (S's packet towards MH opened S's filter for MH). Silence → false; H unanswered → unknown.
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr } from '../net/types.js';
import type { StunClient } from './stun-client.js';
import { BINDING, encodeStun, type StunMessage } from './stun-codec.js';

export class HairpinTest {
  private rt: Retransmitter | undefined;
  private done = false;

  constructor(
    private readonly env: Env,
    private readonly retransmit: RetransmitOptions,
    private readonly server: SocketAddr,
  ) {}

  start(
    s: StunClient,
    m1: SocketAddr,
    h: StunClient,
    done: (hairpin: boolean | undefined) => void,
  ): void {
    const finish = (v: boolean | undefined): void => {
      if (this.done) return;
      this.done = true;
      this.rt?.cancel();
      done(v);
    };
    h.request(this.server, (a) => {
      if (!a?.mapped) return finish(undefined);
      const mh = a.mapped;
      const txId = this.env.rng.bytes(12);
      const probe = encodeStun({ cls: 'indication', method: BINDING, txId });
      this.rt = new Retransmitter(
        this.env.clock,
        this.retransmit,
        () => {
          s.socket.send(probe, mh);
          h.socket.send(probe, m1);
          s.sent++;
          h.sent++;
        },
        () => finish(false),
      );
      const heard = (msg: StunMessage): void => {
        if (sameBytes(msg.txId, txId)) finish(true);
      };
      s.onIndication = heard;
      h.onIndication = heard;
      this.rt.start();
    });
  }

  cancel(): void {
    this.done = true;
    this.rt?.cancel();
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
