// Placeholder until the bridge lands in the next commit.
import { DeviceError, type DeviceSource } from './model.js';
export function openMqttBridge(url: string): Promise<DeviceSource> {
  return Promise.reject(new DeviceError(`MQTT bridge not available yet (${url})`));
}
