// Zeek events on the wire: [format 1, type 1, [name, args, metadata?]].

import { B, BrokerData } from './data';
import { ShapeError } from './errors';

export interface ZeekEvent {
  name: string;
  args: BrokerData[];
  /** Key/value metadata pairs (key 1 is the network timestamp). */
  metadata?: Array<[bigint, BrokerData]>;
}

export function eventToData(ev: ZeekEvent): BrokerData {
  const inner: BrokerData[] = [B.str(ev.name), B.vec(ev.args)];
  if (ev.metadata !== undefined) inner.push(B.vec(ev.metadata.map(([k, v]) => B.vec([B.count(k), v]))));
  return B.vec([B.count(1), B.count(1), B.vec(inner)]);
}

/** Reads an event, accepting the Zeek 8 form with metadata; throws ShapeError otherwise. */
export function eventFromData(d: BrokerData): ZeekEvent {
  if (d.type !== 'vector' || d.value.length !== 3) throw new ShapeError('an event must be a vector of 3 elements [format, type, [name, args]]');
  const [fmt, typ, body] = d.value;
  if (fmt.type !== 'count' || fmt.value !== 1n) throw new ShapeError('event format number must be count 1', '$[0]');
  if (typ.type !== 'count' || typ.value !== 1n) throw new ShapeError('event message type must be count 1', '$[1]');
  if (body.type !== 'vector' || body.value.length < 2 || body.value.length > 3) {
    throw new ShapeError('event body must be a vector [name, args] or [name, args, metadata]', '$[2]');
  }
  const [name, args, meta] = body.value;
  if (name.type !== 'string' || name.value === '') throw new ShapeError('event name must be a non-empty string', '$[2][0]');
  if (args.type !== 'vector') throw new ShapeError('event arguments must be a vector', '$[2][1]');
  const ev: ZeekEvent = { name: name.value, args: args.value };
  if (meta !== undefined) {
    if (meta.type !== 'vector') throw new ShapeError('event metadata must be a vector', '$[2][2]');
    ev.metadata = meta.value.map((entry, i) => {
      if (entry.type !== 'vector' || entry.value.length !== 2 || entry.value[0].type !== 'count') {
        throw new ShapeError('metadata entries must be [count, value] vectors', `$[2][2][${i}]`);
      }
      return [entry.value[0].value as bigint, entry.value[1]];
    });
  }
  return ev;
}
