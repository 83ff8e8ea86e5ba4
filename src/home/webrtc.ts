// The home's WebRTC answerer (issue 18 item 4, docs/phone.md "Direct over WebRTC"): a phone page
// that reaches the home over the relay asks, inside its Noise channel (the `rtc` device call), for
// a direct data channel. The home answers with node-datachannel (libdatachannel: prebuilt for
// linux x64/arm64, loaded lazily); when the channel opens it becomes a Path of kind
// 'datachannel', and the page's first Noise frame over it moves the live channel there
// (peer-channels.ts: the same roaming that follows a client to a new address). Where the native
// part cannot load (32-bit ARM, an old glibc), the home says why once, `home status` shows
// `webrtc: "unavailable: …"`, and phones simply stay relayed.
import type { Path } from '../net/path.js';
import type { Logger, SocketAddr } from '../net/types.js';
import { parseSignal, sdpFromSignal, signalFromSdp, type RtcSignal } from '../wire/rtc-signal.js';

type Ndc = typeof import('node-datachannel');
type Pc = InstanceType<Ndc['PeerConnection']>;
type Dc = ReturnType<Pc['createDataChannel']>;

export interface WebRtcOptions {
  /** Off: phones stay relayed (`--no-webrtc`). */
  enabled?: boolean;
  /** STUN servers ("HOST:PORT"); default: the rendezvous, which answers STUN on its port. */
  stun?: string[];
  /** UDP ports ICE may bind (inclusive); default: any. */
  portRange?: [number, number];
}

/** Gathering (host + STUN) is awaited this long before the answer goes with what it has. */
const GATHER_MS = 2500;
/** A peer connection whose data channel is not open by then is closed. */
const CONNECT_MS = 20_000;
const MAX_PEERS = 16;

/** The RPC's answer to the page: `{ice}` (config) or `{a}` (the answer to its offer `o`). */
export type RtcReply = { ice: string[] } | { a: RtcSignal };

export class HomeWebRtc {
  /** 'off' | 'loading' | 'ready' | 'unavailable: …' (home status). */
  status: string;
  private ndc: Ndc | undefined;
  private loading: Promise<void> | undefined;
  private readonly pcs = new Set<Pc>();
  private closed = false;

  constructor(
    private readonly log: Logger,
    private readonly opts: WebRtcOptions,
    /** The STUN servers when none are configured (the rendezvous). */
    private readonly defaultStun: () => string[],
    private readonly onPath: (path: Path, peer: SocketAddr) => void,
    private readonly onStatus: () => void = () => {},
    /** How the native part is loaded (a test gives one that fails). */
    private readonly loadModule: () => Promise<unknown> = () => import('node-datachannel'),
  ) {
    this.status = opts.enabled === false ? 'off' : 'loading';
  }

  /** Loads the native part (once). Never throws: an unloadable one leaves the status saying why. */
  load(): Promise<void> {
    if (this.status === 'off') return Promise.resolve();
    this.loading ??= this.loadModule().then(
      (m) => {
        const mod = (m as { default?: Ndc }).default ?? (m as Ndc);
        if (typeof mod.PeerConnection !== 'function') throw new Error('no PeerConnection export');
        this.ndc = mod;
        if (this.closed) return mod.cleanup();
        this.set('ready');
        this.log.info({ stun: this.stunServers() }, 'webrtc ready: phones may go direct');
      },
      (e: Error) => {
        const why = e.message.split('\n')[0] ?? String(e);
        this.set(`unavailable: ${why}`);
        this.log.warn(
          { err: why },
          'webrtc unavailable (node-datachannel did not load): phones stay relayed',
        );
      },
    );
    return this.loading;
  }

  private set(s: string): void {
    this.status = s;
    this.onStatus();
  }

  private stunServers(): string[] {
    return this.opts.stun ?? this.defaultStun();
  }

  /** The `rtc` device call: `{}` → the ICE servers; `{o: offer}` → `{a: answer}`. */
  async handle(p: Record<string, unknown>): Promise<RtcReply> {
    await this.load();
    if (!this.ndc) throw new Error(`webrtc ${this.status}`);
    if (p.o === undefined) return { ice: this.stunServers().map((s) => `stun:${s}`) };
    const offer = parseSignal(p.o);
    if (!offer || offer.s !== 'actpass') throw new Error('bad offer');
    return { a: await this.answer(offer) };
  }

  private answer(offer: RtcSignal): Promise<RtcSignal> {
    const ndc = this.ndc as Ndc;
    if (this.pcs.size >= MAX_PEERS) this.pcs.values().next().value?.close();
    const range = this.opts.portRange;
    const pc = new ndc.PeerConnection('porthole-home', {
      iceServers: this.stunServers().map((s) => `stun:${s}`),
      ...(range ? { portRangeBegin: range[0], portRangeEnd: range[1] } : {}),
    });
    this.pcs.add(pc);
    let open = false;
    const dispose = (): void => {
      if (!this.pcs.delete(pc)) return;
      try {
        pc.close();
      } catch {
        // already closed
      }
    };
    const giveUp = setTimeout(() => {
      if (!open) dispose();
    }, CONNECT_MS);
    giveUp.unref();
    pc.onStateChange((s) => {
      if (s === 'failed' || s === 'closed') {
        clearTimeout(giveUp);
        dispose();
      }
    });
    pc.onDataChannel((dc) => {
      open = true;
      clearTimeout(giveUp);
      const pair = pc.getSelectedCandidatePair();
      const peer = pair ? { ip: pair.remote.address, port: pair.remote.port } : undefined;
      const path = dataChannelPath(dc, peer, dispose);
      const at = peer ? `${peer.ip}:${peer.port}` : 'unknown';
      this.log.info({ peer: at }, 'phone data channel open: its session moves there (direct)');
      path.onClose((why) =>
        this.log.info(
          { peer: at, why },
          'phone data channel closed: its session falls back to the relay',
        ),
      );
      this.onPath(path, peer ?? { ip: '0.0.0.0', port: 0 });
    });
    // mDNS (.local) host candidates cannot be resolved here: the phone's checks reveal it anyway.
    const remote = { ...offer, c: offer.c.filter((c) => !c.split(' ')[1]?.endsWith('.local')) };
    return new Promise<RtcSignal>((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(gatherTimer);
        const sig = signalFromSdp(pc.localDescription()?.sdp ?? '');
        if (sig) resolve(sig);
        else {
          dispose();
          reject(new Error('no local description'));
        }
      };
      const gatherTimer = setTimeout(finish, GATHER_MS);
      // The state-change callback is sometimes missed when gathering ends at once: poll as well.
      const poll = setInterval(() => {
        if (done) clearInterval(poll);
        else if (pc.gatheringState() === 'complete') {
          clearInterval(poll);
          finish();
        }
      }, 25);
      pc.onGatheringStateChange((s) => {
        if (s === 'complete') finish();
      });
      try {
        pc.setRemoteDescription(sdpFromSignal(remote), 'offer');
      } catch (e) {
        done = true;
        clearTimeout(gatherTimer);
        clearInterval(poll);
        dispose();
        reject(new Error(`offer refused: ${(e as Error).message}`));
      }
    });
  }

  close(): void {
    this.closed = true;
    for (const pc of [...this.pcs]) {
      this.pcs.delete(pc);
      try {
        pc.close();
      } catch {
        // already closed
      }
    }
    // libdatachannel's threads would keep the process alive; the home is its only user here.
    this.ndc?.cleanup();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** An open data channel as a Path: one Noise frame per message, both ways. */
function dataChannelPath(dc: Dc, peer: SocketAddr | undefined, dispose: () => void): Path {
  const msgCbs: ((d: Uint8Array) => void)[] = [];
  const closeCbs: ((why: string) => void)[] = [];
  let closed = false;
  const end = (why: string): void => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs) cb(why);
    dispose();
  };
  dc.onMessage((m) => {
    if (closed || typeof m === 'string') return;
    const b = m instanceof ArrayBuffer ? new Uint8Array(m) : new Uint8Array(m);
    for (const cb of msgCbs) cb(b);
  });
  dc.onClosed(() => end('data channel closed'));
  dc.onError((e) => end(`data channel error: ${e}`));
  return {
    kind: 'datachannel',
    maxPayload: 1024,
    remote: peer ? `datachannel ${peer.ip}:${peer.port}` : 'datachannel',
    send(data) {
      if (closed) return;
      try {
        dc.sendMessageBinary(data);
      } catch {
        end('data channel send failed');
      }
    },
    onMessage: (cb) => void msgCbs.push(cb),
    onClose: (cb) => void closeCbs.push(cb),
    close() {
      try {
        dc.close();
      } catch {
        // already closed
      }
      end('closed');
    },
  };
}
