// Is the router's mapping real? The home asks the rendezvous (mapCheck) to send a nonce to the
// mapped address from a socket the home never talked to; the mapping is believable only if the
// nonce arrives on the home's socket. Bounded: 3 requests (the rendezvous rate-limits too), one
// deadline.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import type { TxIds } from '../net/tx-ids.js';
import { REQUEST_PAD, type Message, type MessageOf } from '../wire/messages.js';

const SENDS_AT_MS = [0, 700, 1400];
const DEADLINE_MS = 2500;

export class MapCheck {
  private pending = new Map<string, (ok: boolean) => void>();

  constructor(
    private readonly env: Env,
    private readonly homeId: string,
    /** The rendezvous the home is registered with now (it may rotate between nodes). */
    private readonly rendezvous: () => SocketAddr,
    private readonly tx: TxIds,
    private readonly send: (msg: Message, to: SocketAddr, padTo?: number) => void,
  ) {}

  verify(external: SocketAddr): Promise<boolean> {
    const nonce = Buffer.from(this.env.rng.bytes(8)).toString('hex');
    return new Promise((resolve) => {
      const timers: TimerHandle[] = [];
      const end = (ok: boolean): void => {
        for (const t of timers) t.cancel();
        this.pending.delete(nonce);
        resolve(ok);
      };
      this.pending.set(nonce, end);
      for (const at of SENDS_AT_MS) {
        timers.push(
          this.env.clock.setTimer(at, () =>
            this.send(
              { type: 'mapCheck', tx: this.tx.next(), homeId: this.homeId, external, nonce },
              this.rendezvous(),
              REQUEST_PAD,
            ),
          ),
        );
      }
      timers.push(this.env.clock.setTimer(DEADLINE_MS, () => end(false)));
    });
  }

  /** A nonce arrived on the home's socket (from any source: that is the point). */
  onNonce(msg: MessageOf<'mapNonce'>): void {
    this.pending.get(msg.nonce)?.(true);
  }

  close(): void {
    for (const end of [...this.pending.values()]) end(false);
  }
}
