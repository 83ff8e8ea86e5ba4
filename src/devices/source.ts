// Opens the device source named on the command line: the simulated house or an MQTT broker.
import type { Clock } from '../net/types.js';
import { DeviceError, type DeviceSource } from './model.js';
import { SimulatedHouse } from './simulated.js';

/** `spec`: "simulated" or mqtt://HOST:PORT. `clock` drives the simulated house's timers (the Env's). */
export async function openDeviceSource(spec: string, clock: Clock): Promise<DeviceSource> {
  if (spec === 'simulated') return new SimulatedHouse(clock);
  // The MQTT client loads only for a broker (a simulated house never needs it).
  if (/^mqtts?:\/\/[^/]+$/.test(spec))
    return (await import('./mqtt-bridge.js')).openMqttBridge(spec);
  throw new DeviceError(`--devices ${spec}: expected "simulated" or mqtt://HOST:PORT`);
}
