// The client agent's control socket (src/client/agent/control-wire.ts): newline-delimited JSON
// requests, split by LineSplitter and parsed by parseRequest. A line is a typed request or a
// ControlProtocolError; the splitter holds at most one line's worth of bytes.
import {
  ControlProtocolError,
  LineSplitter,
  MAX_CONTROL_LINE,
  parseRequest,
} from '../../../src/client/agent/control-wire.js';
import { DeviceError } from '../../../src/devices/model.js';
import { check, decodes, sameJson, type FuzzTarget } from '../target.js';

const lines = [
  { id: 1, op: 'status' },
  { id: 2, op: 'list', home: 'ph-abc' },
  { id: 3, op: 'get', entity: 'light.kitchen' },
  { id: 4, op: 'call', entity: 'light.kitchen', command: { service: 'turn_on', brightness: 80 } },
  { id: 5, op: 'watch' },
  { id: 6, op: 'unwatch', home: 'ph-abc' },
];

export const target: FuzzTarget = {
  name: 'control-wire',
  about: 'src/client/agent/control-wire.ts LineSplitter + parseRequest (the agent socket)',
  sources: ['src/client/agent/control-wire.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'),
    ...lines.map((l) => Buffer.from(JSON.stringify(l) + '\n')),
  ],
  fuzz(data) {
    let overflows = 0;
    const split = new LineSplitter(
      (line) => {
        // A bad entity id is the device model's DeviceError (the server answers kind "device").
        const req = decodes(() => parseRequest(line), ControlProtocolError, DeviceError);
        if (!req) return;
        check(Number.isSafeInteger(req.id) && req.id >= 0, 'request id');
        // What the agent accepted parses the same when sent again.
        sameJson(parseRequest(JSON.stringify(req)), req, 'control request');
      },
      () => overflows++,
    );
    const text = data.toString('utf8');
    // Cut the stream where the input says (its first byte), as a socket would.
    const cut = text.length ? (data[0] as number) % text.length : 0;
    decodes(() => split.push(text.slice(0, cut)));
    decodes(() => split.push(text.slice(cut)));
    const held = (split as unknown as { buf: string }).buf.length;
    check(held <= MAX_CONTROL_LINE, `the splitter holds ${held} characters`);
    void overflows;
  },
};
