// Asks the rendezvous for the home's extra candidates (mapped, IPv6) and hands it ours (IPv6),
// from a short-lived socket. Bounded: 2 requests, one deadline; silence or an error means "none"
// (an older rendezvous drops the unknown type), and the caller goes on with IPv4 traversal.
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
  /** Default 600 ms (requests at 0 and 300 ms). */
  deadlineMs?: number;
}

export function queryCandidates(env: Env, o: QueryOptions): Promise<Candidate[]> {
  const deadline = o.deadlineMs ?? 600;
  return new Promise((resolve) => {
    const timers: TimerHandle[] = [];
    const tx = new TxIds(env.rng).next();
    const end = (list: Candidate[]): void => {
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
        { type: 'candidatesQuery', tx, homeId: o.homeId, session: o.session, list: o.mine },
        o.rendezvous,
        { padTo: CANDIDATES_PAD },
      );
    send();
    timers.push(env.clock.setTimer(deadline / 2, send));
    timers.push(env.clock.setTimer(deadline, () => end([])));
  });
}
