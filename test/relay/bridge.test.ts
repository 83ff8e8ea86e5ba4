// The web front's bridge (src/relay/bridge.ts) in process: a relay core whose sessions all go to
// a relay node (here a bare UDP socket the test answers for), a WebSocket front with the bridge
// on, and a `ws` client as the page. The open, both directions, the close of either side, the
// open's deadline, a bad second redirect and the per-connection cap; the core counts it all.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import WebSocket from 'ws';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { RelayCore } from '../../src/relay/server.js';
import { startWsRelay } from '../../src/relay/ws-server.js';
import { decode, encode, REQUEST_PAD, type Message } from '../../src/wire/messages.js';
import { RelayCloseCode } from '../../src/wire/relay-messages.js';

const auth = new Uint8Array(64).fill(5);

/** The far relay's answer sending session `session` (open `tx`) on to `relay`. */
const redirect = (tx: number, session: string, relay: SocketAddr): Message => ({
  type: 'relayRedirect',
  tx,
  session,
  relay,
  tcpPort: 0,
  wsPort: 0,
});

async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Messages a socket received, and a way to wait for the next that matches. */
class Inbox {
  readonly got: { msg: Message; from?: SocketAddr }[] = [];
  private waiters: (() => void)[] = [];
  push(msg: Message, from?: SocketAddr): void {
    this.got.push({ msg, from });
    for (const w of this.waiters.splice(0)) w();
  }
  async next(what: string, pred: (m: Message) => boolean, ms = 3000) {
    return within(
      what,
      ms,
      (async () => {
        for (;;) {
          const i = this.got.findIndex((g) => pred(g.msg));
          if (i >= 0) return this.got.splice(i, 1)[0]!;
          await new Promise<void>((r) => this.waiters.push(r));
        }
      })(),
    );
  }
}

async function world(bridge: Record<string, unknown> = {}) {
  const far: Socket = createSocket('udp4');
  await new Promise<void>((r) => far.bind(0, '127.0.0.1', r));
  const farAddr = { ip: '127.0.0.1', port: far.address().port };
  const farIn = new Inbox();
  far.on('message', (d, r) => {
    const m = decode(d);
    if (m.ok) farIn.push(m.msg, { ip: r.address, port: r.port });
  });
  const env = realEnv(silentLogger);
  const core = new RelayCore(env, {
    lookupHome: () => undefined,
    sendUdp: () => {},
    relayNode: { relay: farAddr, tcpPort: 0, wsPort: 0 },
  });
  const front = await startWsRelay(core, {
    host: '127.0.0.1',
    port: 0,
    bridge: { openTimeoutMs: 600, ...bridge },
  });
  const sockets: WebSocket[] = [];
  const page = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${front.port}/porthole`);
    sockets.push(ws);
    const inbox = new Inbox();
    ws.on('message', (d: Buffer) => {
      const m = decode(d);
      if (m.ok) inbox.push(m.msg);
    });
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await within('the WebSocket to open', 3000, new Promise((r) => ws.once('open', r)));
    const open = (session: string, tx: number) =>
      ws.send(
        encode(
          { type: 'relayOpen', tx, homeId: 'ph-home', session, auth, early: new Uint8Array(3) },
          REQUEST_PAD,
        ),
      );
    return { ws, inbox, open, closed, send: (m: Message) => ws.send(encode(m)) };
  };
  const reply = (m: Message, to: SocketAddr) => far.send(encode(m), to.port, to.ip);
  return {
    core,
    farIn,
    page,
    reply,
    stop: async () => {
      for (const s of sockets) s.terminate();
      await front.close();
      core.close();
      far.close();
    },
  };
}

test('a bridged session: opened at the relay node, frames both ways, closed by either side', async () => {
  const w = await world();
  try {
    const p = await w.page();
    const session = '00112233aabbccdd';
    p.open(session, 41);
    const open = await w.farIn.next(
      'the relayOpen at the far relay',
      (m) => m.type === 'relayOpen',
    );
    assert.deepEqual(
      { ...open.msg, auth: undefined, early: undefined },
      { type: 'relayOpen', tx: 41, homeId: 'ph-home', session, auth: undefined, early: undefined },
    );
    assert.equal(open.msg.type === 'relayOpen' && open.msg.early.length, 3, 'the early frame');
    const from = open.from!;
    w.reply({ type: 'relayReady', tx: 41, session }, from);
    await p.inbox.next('relayReady at the page', (m) => m.type === 'relayReady');
    p.send({ type: 'relayData', session, payload: new Uint8Array([1, 2, 3]) });
    const up = await w.farIn.next('data at the far relay', (m) => m.type === 'relayData');
    assert.deepEqual(up.from, from, 'from the same socket as the open');
    w.reply({ type: 'relayData', session, payload: new Uint8Array([4, 5]) }, from);
    const down = await p.inbox.next('data at the page', (m) => m.type === 'relayData');
    assert.ok(down.msg.type === 'relayData' && down.msg.payload.length === 2);
    // Forged: the same session from another socket never reaches the page.
    const other = createSocket('udp4');
    other.send(
      encode({ type: 'relayData', session, payload: new Uint8Array(9) }),
      from.port,
      '127.0.0.1',
    );
    await new Promise((r) => setTimeout(r, 100));
    other.close();
    assert.equal(p.inbox.got.length, 0);
    assert.equal(w.core.stats.drops['bridge-wrong-sender'], 1, 'dropped and counted');
    // The page goes: the far relay is told.
    p.ws.close();
    await w.farIn.next('relayClosed at the far relay', (m) => m.type === 'relayClosed');
    const s = w.core.stats;
    assert.equal(s.bridged, 1);
    assert.equal(s.bridgedLive, 0);
    assert.equal(s.redirected, 0, 'bridged, not redirected');
    assert.deepEqual(s.bridgeCloses, { 'client-gone': 1 });
    assert.equal(s.bytesToHome, 3);
    assert.equal(s.bytesToClient, 2);

    // Closed by the far relay: the page is told, the bridge is gone.
    const q = await w.page();
    q.open('1111111111111111', 7);
    const o2 = await w.farIn.next('the second open', (m) => m.type === 'relayOpen');
    w.reply({ type: 'relayReady', tx: 7, session: '1111111111111111' }, o2.from!);
    await q.inbox.next('ready', (m) => m.type === 'relayReady');
    w.reply(
      {
        type: 'relayClosed',
        session: '1111111111111111',
        code: RelayCloseCode.Refused,
        message: 'no',
      },
      o2.from!,
    );
    const bye = await q.inbox.next('relayClosed at the page', (m) => m.type === 'relayClosed');
    assert.ok(bye.msg.type === 'relayClosed' && bye.msg.code === RelayCloseCode.Refused);
    assert.equal(w.core.stats.bridgedLive, 0);
  } finally {
    await w.stop();
  }
});

test('bounded: an unanswered open, a bad redirect, the per-connection cap', async () => {
  const w = await world({ maxPerConnection: 2 });
  try {
    const p = await w.page();
    p.open('aaaaaaaaaaaaaaaa', 1);
    // Re-sent while unanswered (UDP may lose it), then the page is told.
    await w.farIn.next('open', (m) => m.type === 'relayOpen' && m.tx === 1);
    await w.farIn.next('its re-send', (m) => m.type === 'relayOpen' && m.tx === 1);
    const late = await p.inbox.next('the deadline', (m) => m.type === 'relayClosed');
    assert.ok(late.msg.type === 'relayClosed' && late.msg.code === RelayCloseCode.HomeUnreachable);

    p.open('bbbbbbbbbbbbbbbb', 2);
    const o = await w.farIn.next('open 2', (m) => m.type === 'relayOpen' && m.tx === 2);
    w.reply(redirect(2, 'bbbbbbbbbbbbbbbb', { ip: '224.0.0.1', port: 9 }), o.from!);
    const bad = await p.inbox.next('refused redirect', (m) => m.type === 'relayClosed');
    assert.ok(bad.msg.type === 'relayClosed' && bad.msg.code === RelayCloseCode.BadRequest);

    for (const s of ['c', 'd', 'e']) p.open(s.repeat(16), 3);
    const busy = await p.inbox.next('the cap', (m) => m.type === 'relayClosed');
    assert.ok(busy.msg.type === 'relayClosed' && busy.msg.code === RelayCloseCode.Busy);
    assert.equal(busy.msg.type === 'relayClosed' && busy.msg.session, 'e'.repeat(16));
    assert.equal(w.core.stats.bridgedLive, 2);
    assert.equal(w.core.stats.drops['bridge-cap'], 1);
    p.ws.close();
    await p.closed;
    await within(
      'the bridges to end',
      3000,
      (async () => {
        while (w.core.stats.bridgedLive > 0) await new Promise((r) => setTimeout(r, 10));
      })(),
    );
    assert.deepEqual(w.core.stats.bridgeCloses, {
      'open-timeout': 1,
      'bad-redirect': 1,
      'client-gone': 2,
    });
  } finally {
    await w.stop();
  }
});

test('a redirect keeps the open deadline; traffic keeps a session, silence idles it out', async () => {
  const w = await world({ idleMs: 800 });
  const silent = createSocket('udp4'); // a second relay that never answers
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const p = await w.page();
    p.open('ffffffffffffffff', 5);
    const o = await w.farIn.next('the open', (m) => m.type === 'relayOpen' && m.tx === 5);
    w.reply(
      redirect(5, 'ffffffffffffffff', { ip: '127.0.0.1', port: silent.address().port }),
      o.from!,
    );
    // The deadline (600 ms) counts from the page's open, redirects included.
    const late = await p.inbox.next(
      'the deadline after a redirect',
      (m) => m.type === 'relayClosed',
    );
    assert.ok(late.msg.type === 'relayClosed' && late.msg.code === RelayCloseCode.HomeUnreachable);

    const session = '2222222222222222';
    p.open(session, 6);
    const o2 = await w.farIn.next('the open', (m) => m.type === 'relayOpen' && m.tx === 6);
    w.reply({ type: 'relayReady', tx: 6, session }, o2.from!);
    await p.inbox.next('ready', (m) => m.type === 'relayReady');
    // Frames every 200 ms for 2 s (past twice the idle limit): the session lives.
    for (let i = 0; i < 10; i++) {
      p.send({ type: 'relayData', session, payload: new Uint8Array([i]) });
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(w.core.stats.bridgeCloses.idle, undefined, 'not idled while frames crossed');
    const idle = await p.inbox.next('the idle close', (m) => m.type === 'relayClosed');
    assert.ok(idle.msg.type === 'relayClosed' && idle.msg.code === RelayCloseCode.Idle);
    assert.deepEqual(w.core.stats.bridgeCloses, { 'open-timeout': 1, idle: 1 });
  } finally {
    silent.close();
    await w.stop();
  }
});
