// Opens the device source named on the command line: the simulated house, an MQTT broker, or
// Home Assistant.
import type { Clock } from '../net/types.js';
import { DeviceError, type DeviceSource } from './model.js';
import { SimulatedHouse } from './simulated.js';

export interface DeviceSourceOptions {
  /** For ha:// and has://: the file holding a long-lived access token (never on the command line). */
  haTokenFile?: string;
}

/** `spec`: "simulated", mqtt://HOST:PORT, ha://HOST:PORT or has://HOST:PORT. `clock` drives the
 *  simulated house's timers and the HA link's retries (the Env's). */
export async function openDeviceSource(
  spec: string,
  clock: Clock,
  o: DeviceSourceOptions = {},
): Promise<DeviceSource> {
  if (spec === 'simulated') return new SimulatedHouse(clock);
  // The MQTT client loads only for a broker (a simulated house never needs it); the same for HA.
  if (/^mqtts?:\/\/[^/]+$/.test(spec))
    return (await import('./mqtt-bridge.js')).openMqttBridge(spec);
  if (/^has?:\/\/[^/\s]+\/?$/.test(spec))
    return (await import('./ha-bridge.js')).openHaBridge(spec, o.haTokenFile, clock);
  throw new DeviceError(
    `--devices ${spec}: expected "simulated" or mqtt://HOST:PORT, or ha://HOST:PORT (has:// for TLS)`,
  );
}
