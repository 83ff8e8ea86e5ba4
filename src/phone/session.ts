/// <reference lib="dom" />
// One home, kept connected: opens the link (phone/link.ts), lists the devices and watches them,
// reconnects with a bounded backoff, at once when the page becomes visible again or the network
// comes back (phones stall sockets in the background), and resyncs before showing states as live.
import type { Command, EntityState } from '../devices/model.js';
import type { PathKind } from '../ui/components.js';
import { RelayCloseCode } from '../wire/relay-messages.js';
import { browserClock, browserRandom } from './env.js';
import type { PhoneIdentity } from './keys.js';
import { LinkError, openLink, type HomeKeys, type OpenLink } from './link.js';
import { saveStates } from './store.js';

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000, 15_000];
/** After the direct path failed or died: try again this much later (while the link lives). */
const DIRECT_RETRY_MS = 30_000;
const MAX_ATTEMPTS = 40;
/**
 * While the page's own origin does not answer (the node serving the app is down: the page can
 * reach nothing else), ask it again every ~2 s (±25 %) instead of backing off, for up to
 * ORIGIN_POLL_FOR_MS; then the backoff above. A refused TCP connect costs one SYN, and a
 * restarted node is used at once: the soak's node-kill of the page's node waited ~8 s for the
 * next backoff step after the node was back (live 30.7 s after the kill, the node back after ~22).
 */
const ORIGIN_POLL_MS = 2000;
const ORIGIN_POLL_FOR_MS = 5 * 60_000;

export interface SessionView {
  path: PathKind;
  devices: EntityState[];
  /** True while the states shown are last known, not live. */
  stale: boolean;
  error: string;
  /** The home refused this phone: re-pairing is the way on. */
  refused: boolean;
}

export class HomeSession {
  private link: OpenLink | undefined;
  private states = new Map<string, EntityState>();
  private view: SessionView;
  private attempts = 0;
  /** When the origin first failed to answer in the current outage (undefined: it answers). */
  private originDownSince: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connecting = false;
  private closed = false;
  private readonly wake = (): void => {
    if (document.visibilityState === 'visible' && !this.link) this.reconnectNow();
  };

  constructor(
    private readonly me: PhoneIdentity,
    readonly home: HomeKeys,
    private readonly wsUrl: string,
    lastKnown: EntityState[],
    private readonly onView: (v: SessionView) => void,
  ) {
    for (const s of lastKnown) this.states.set(s.entity_id, s);
    this.view = {
      path: 'connecting',
      devices: lastKnown,
      stale: lastKnown.length > 0,
      error: '',
      refused: false,
    };
    document.addEventListener('visibilitychange', this.wake);
    window.addEventListener('online', this.wake);
    window.addEventListener('pageshow', this.wake);
    window.addEventListener('offline', () => this.link?.close());
  }

  /** Starts with a link already open (the one pairing made), or opens one. */
  start(adopt?: OpenLink): void {
    if (adopt) void this.use(adopt);
    else this.connect();
  }

  private emit(patch: Partial<SessionView>): void {
    this.view = { ...this.view, ...patch };
    this.onView(this.view);
  }

  private connect(): void {
    if (this.closed || this.connecting || this.link) return;
    this.connecting = true;
    this.emit({ path: 'connecting' });
    openLink({
      wsUrl: this.wsUrl,
      me: this.me,
      home: this.home,
      clock: browserClock,
      rng: browserRandom,
    })
      .then((l) => this.use(l))
      .catch((e: Error) =>
        this.lost(
          e.message,
          e.message.includes('refused') ? RelayCloseCode.Refused : undefined,
          e instanceof LinkError && e.originDown,
        ),
      )
      .finally(() => (this.connecting = false));
  }

  private async use(link: OpenLink): Promise<void> {
    if (this.closed) return link.close();
    this.link = link;
    let live = false;
    let path: 'relayed' | 'direct' = 'relayed';
    link.onEnd((why, code) => {
      if (this.link === link) this.link = undefined;
      this.lost(why, code);
    });
    link.onPath((p) => {
      path = p;
      if (live && this.link === link) this.emit({ path: p });
      if (p === 'relayed') this.direct(link, DIRECT_RETRY_MS);
    });
    // The direct path is tried beside the resync (it needs only the secure channel).
    this.direct(link, 0);
    try {
      // Resync before showing anything as live: subscribe, then the full list. A push that
      // lands while the list is on its way is newer than the list's entry (subscribing after
      // the list would lose a change made between the two until that entity changes again).
      let early: Map<string, EntityState> | undefined = new Map();
      await link.devices.watch((s) => {
        if (early) return void early.set(s.entity_id, s);
        this.states.set(s.entity_id, s);
        this.changed();
      });
      const list = await link.devices.list();
      this.states = new Map(list.map((s) => [s.entity_id, s]));
      for (const [id, s] of early) this.states.set(id, s);
      early = undefined;
      this.attempts = 0;
      this.originDownSince = undefined;
      live = true;
      this.emit({ path, stale: false, error: '', refused: false });
      this.changed();
    } catch (e) {
      link.close();
      this.lost((e as Error).message);
    }
  }

  /** Tries the direct path after `delayMs`; the time it took is logged for the bench. */
  private direct(link: OpenLink, delayMs: number): void {
    setTimeout(() => {
      if (this.closed || this.link !== link) return;
      const t0 = performance.now();
      link.goDirect().then(
        (ok) => {
          if (ok) console.info(`porthole: direct after ${Math.round(performance.now() - t0)} ms`);
          else if (this.link === link) this.direct(link, DIRECT_RETRY_MS);
        },
        (e: Error) => {
          console.info(`porthole: staying relayed (${e.message})`);
          if (this.link === link) this.direct(link, DIRECT_RETRY_MS);
        },
      );
    }, delayMs);
  }

  private changed(): void {
    const devices = [...this.states.values()];
    this.emit({ devices });
    void saveStates(this.home.homeId, devices).catch(() => {});
  }

  private lost(why: string, code?: RelayCloseCode, originDown = false): void {
    if (this.closed) return;
    const refused = code === RelayCloseCode.Refused;
    this.emit({ path: 'offline', stale: this.states.size > 0, error: why, refused });
    if (refused) return;
    const now = performance.now();
    if (!originDown) this.originDownSince = undefined;
    else this.originDownSince ??= now;
    const polling =
      this.originDownSince !== undefined && now - this.originDownSince < ORIGIN_POLL_FOR_MS;
    if (!polling && ++this.attempts > MAX_ATTEMPTS) return;
    // Hidden (a backgrounded tab or app): no retries that wake the radio; becoming visible again
    // reconnects at once (wake).
    if (document.visibilityState === 'hidden') return;
    const delay = polling
      ? ORIGIN_POLL_MS * (0.75 + browserRandom.int(501) / 1000)
      : (BACKOFF_MS[Math.min(this.attempts - 1, BACKOFF_MS.length - 1)] as number);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow(): void {
    clearTimeout(this.timer);
    this.attempts = 0;
    this.originDownSince = undefined;
    this.connect();
  }

  async act(entityId: string, command: Command): Promise<void> {
    const dc = this.link?.devices;
    if (!dc) throw new Error('not connected to the home');
    const s = await dc.call(entityId, command);
    this.states.set(s.entity_id, s);
    this.changed();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.wake);
    window.removeEventListener('online', this.wake);
    window.removeEventListener('pageshow', this.wake);
    this.link?.close();
  }
}
