// Asks the rendezvous for the home's extra candidates (mapped, IPv6) and hands it ours (IPv6),
// from a short-lived socket. Bounded: 2 requests, one deadline; an error means "none", silence
// resolves undefined (an older rendezvous drops the unknown type); the caller goes on with IPv4
// traversal either way, or, with no IPv4 (v6-only client), says which it was.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { TxIds } from '../net/tx-ids.js';
import { sameAddr } from '../wire/addr.js';
import { CANDIDATES_PAD, type Candidate } from '../wire/candidates.js';

export interface QueryOptions {
  homeId: string;
  rendezvous: SocketAddr;
  session: string;
  mine: Candidate[];
  bindIp?: string;
  /** The client's signature over the query (secure homes answer only clients they accept). */
  auth?: Uint8Array;
  /** Default 600 ms (requests at 0 and half the deadline). */
  deadlineMs?: number;
}

export function queryCandidates(env: Env, o: QueryOptions): Promise<Candidate[] | undefined> {
  const deadline = o.deadlineMs ?? 600;
  return new Promise((resolve) => {
    const timers: TimerHandle[] = [];
    const tx = new TxIds(env.rng).next();
    const end = (list: Candidate[] | undefined): void => {
      for (const t of timers) t.cancel();
      sock.close();
      resolve(list);
    };
    const sock = new MessageSocket(
      env.net.open(o.bindIp ? { ip: o.bindIp } : {}),
      new DropCounter(),
      env.log,
      (m, from) => {
        if (!sameAddr(from, o.rendezvous)) return;
        if (m.type === 'peerCandidates' && m.tx === tx && m.session === o.session) end(m.list);
        else if (m.type === 'error' && m.tx === tx) end([]);
      },
    );
    const send = (): void =>
      sock.send(
        {
          type: 'candidatesQuery',
          tx,
          homeId: o.homeId,
          session: o.session,
          list: o.mine,
          auth: o.auth ?? new Uint8Array(),
        },
        o.rendezvous,
        { padTo: CANDIDATES_PAD },
      );
    send();
    timers.push(env.clock.setTimer(deadline / 2, send));
    timers.push(env.clock.setTimer(deadline, () => end(undefined)));
  });
}
