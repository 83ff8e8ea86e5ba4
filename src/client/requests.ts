// The client's requests to the rendezvous (assist, observe, addrQuery): each carries the next
// transaction id of the attempt's counter and is padded (no amplification); assist and observe are retransmitted until
// answered, and silence ends the attempt.
import type { MessageSocket } from '../net/message-socket.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { TxIds } from '../net/tx-ids.js';
import type { Env, SocketAddr } from '../net/types.js';
import {
  REQUEST_PAD,
  type Message,
  type PunchMode,
  type SessionId,
  type WireNat,
} from '../wire/messages.js';

export class RendezvousRequests {
  private pending: Retransmitter | undefined;
  assistTx = -1;
  observeTx = -1;
  addrTx = -1;

  constructor(
    private readonly env: Env,
    private readonly tx: TxIds,
    private readonly retransmit: RetransmitOptions,
    private readonly main: MessageSocket,
    private readonly rendezvous: SocketAddr,
    private readonly homeId: string,
    private readonly onSilence: () => void,
  ) {}

  private nextTx(): number {
    return this.tx.next();
  }

  private send(msg: Message): void {
    this.main.send(msg, this.rendezvous, { padTo: REQUEST_PAD });
  }

  private retransmitted(msg: Message): void {
    this.pending = new Retransmitter(
      this.env.clock,
      this.retransmit,
      () => this.send(msg),
      this.onSilence,
    ).start();
  }

  /** Step 2. `auth` is computed after the tx is drawn (the signature does not cover it). */
  assist(
    session: SessionId,
    mode: PunchMode,
    auth: () => Uint8Array,
    nat?: { nat: WireNat; tried: number },
  ): void {
    const tx = this.nextTx();
    this.assistTx = tx;
    this.retransmitted({
      type: 'assist',
      tx,
      homeId: this.homeId,
      session,
      mode,
      auth: auth(),
      ...nat,
    });
  }

  /** Our address as the rendezvous sees it (a signed assist names it). */
  observe(): void {
    this.observeTx = this.nextTx();
    this.retransmitted({ type: 'observe', tx: this.observeTx });
  }

  /** The patent's step-4 query for the home's current address (answered or not: no retry). */
  addrQuery(): void {
    this.addrTx = this.nextTx();
    this.send({ type: 'addrQuery', tx: this.addrTx, homeId: this.homeId });
  }

  /** The pending request was answered. */
  ack(): void {
    this.pending?.ack();
  }

  cancel(): void {
    this.pending?.cancel();
  }
}
