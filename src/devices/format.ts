// One line per entity for people (the CLI's default output); --json prints the state itself.
import type { EntityState } from './model.js';

export function formatState(s: EntityState): string {
  const a = s.attributes;
  const extra = [
    a.brightness !== undefined && s.state === 'on' ? `brightness ${String(a.brightness)}` : '',
    a.temperature !== undefined ? `target ${String(a.temperature)}` : '',
    a.current_temperature !== undefined ? `now ${String(a.current_temperature)}` : '',
    a.current_position !== undefined ? `position ${String(a.current_position)}` : '',
    a.unit_of_measurement !== undefined ? String(a.unit_of_measurement) : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.entity_id.padEnd(34)} ${s.state.padEnd(10)} ${extra}`.trimEnd();
}
