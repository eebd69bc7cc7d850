// A Broker endpoint id is a 16-byte UUID (broker/endpoint_id.hh), written as its raw
// bytes on the wire and compared bytewise (memcmp): the endpoint with the smaller id
// becomes the originator of a peering handshake. The all-zero id means "nobody", e.g.
// the receiver of a message meant for every subscriber.

import { randomUUID } from 'node:crypto';
import { WireError } from '../errors';

export const ENDPOINT_ID_BYTES = 16;

export class EndpointId {
  private constructor(readonly bytes: Uint8Array) {}

  static readonly NIL = new EndpointId(new Uint8Array(ENDPOINT_ID_BYTES));

  /** A random version-4 UUID, as Broker makes for every endpoint. */
  static random(): EndpointId {
    return EndpointId.parse(randomUUID());
  }

  static fromBytes(src: Uint8Array, at = 0): EndpointId {
    if (src.length - at < ENDPOINT_ID_BYTES) throw new WireError('invalid_message', 'an endpoint id needs 16 bytes');
    return new EndpointId(Uint8Array.from(src.subarray(at, at + ENDPOINT_ID_BYTES)));
  }

  /** Reads the 8-4-4-4-12 hex form that Broker prints. */
  static parse(text: string): EndpointId {
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) {
      throw new WireError('invalid_data', `${JSON.stringify(text.slice(0, 60))} is not a UUID`);
    }
    return new EndpointId(Uint8Array.from(Buffer.from(text.replace(/-/g, ''), 'hex')));
  }

  isNil(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  /** memcmp order: negative if this id sorts first. */
  compare(other: EndpointId): number {
    for (let i = 0; i < ENDPOINT_ID_BYTES; i++) {
      if (this.bytes[i] !== other.bytes[i]) return this.bytes[i] - other.bytes[i];
    }
    return 0;
  }

  equals(other: EndpointId): boolean {
    return this.compare(other) === 0;
  }

  toString(): string {
    const h = Buffer.from(this.bytes).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
