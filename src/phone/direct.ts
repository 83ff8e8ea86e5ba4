/// <reference lib="dom" />
// The phone's direct path (issue 18 item 4, docs/phone.md): over the live (relayed) Noise channel,
// the page asks the home for its STUN servers (the rendezvous), makes a WebRTC offer for one data
// channel, and sends it compact (ufrag, password, DTLS fingerprint, candidates: wire/rtc-signal.ts)
// as an `rtc` device call; the home's answer comes back the same way. Inside Noise, so the relay
// can neither read nor swap the DTLS fingerprints. What happens once it opens is link.ts's.
import type { DeviceClient } from '../devices/rpc-client.js';
import { parseSignal, sdpFromSignal, signalFromSdp } from '../wire/rtc-signal.js';

const GATHER_MS = 2500;

/** Opens a data channel to the home; resolves with it open, rejects when that cannot happen. */
export async function openDirect(
  devices: DeviceClient,
  timeoutMs = 15_000,
): Promise<{ pc: RTCPeerConnection; dc: RTCDataChannel }> {
  if (typeof RTCPeerConnection !== 'function') throw new Error('no WebRTC in this browser');
  const cfg = (await devices.rtc({})) as { ice?: unknown };
  const ice = (Array.isArray(cfg?.ice) ? cfg.ice : [])
    .filter((s): s is string => typeof s === 'string' && /^stuns?:/.test(s))
    .slice(0, 4);
  const pc = new RTCPeerConnection({ iceServers: ice.length ? [{ urls: ice }] : [] });
  try {
    const dc = pc.createDataChannel('porthole', { ordered: false });
    dc.binaryType = 'arraybuffer';
    const opened = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the data channel did not open')), timeoutMs);
      dc.onopen = () => {
        clearTimeout(t);
        resolve();
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed') {
          clearTimeout(t);
          reject(new Error('ICE failed: no direct path'));
        }
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, GATHER_MS);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState !== 'complete') return;
        clearTimeout(t);
        resolve();
      };
    });
    const offer = signalFromSdp(pc.localDescription?.sdp ?? '');
    if (!offer) throw new Error('no usable offer');
    // No UDP candidate at all (WebRTC may use no UDP here): nothing can connect.
    if (offer.c.length === 0) throw new Error('no UDP candidates');
    const r = (await devices.rtc({ o: offer })) as { a?: unknown };
    const answer = parseSignal(r?.a);
    if (!answer || answer.s === 'actpass') throw new Error('the home sent no usable answer');
    await pc.setRemoteDescription({ type: 'answer', sdp: sdpFromSignal(answer) });
    await opened;
    return { pc, dc };
  } catch (e) {
    pc.close();
    throw e;
  }
}
