// A growable byte writer and a bounds-checked reader with Broker's primitive encodings
// (format/bin.hh, namespace broker::format::bin::v1): integers big-endian ("network
// order"), and lengths as a "varbyte": 7 bits per byte, least significant group first,
// the high bit set on every byte but the last. Broker computes varbytes on 32 bits, so
// no length may exceed 2^32 - 1 and no varbyte is longer than 5 bytes.

import { WireError } from '../errors';

export const MAX_VARBYTE = 0xffffffff;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  varbyte(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > MAX_VARBYTE) throw new WireError('serialization_failed', `length ${n} does not fit Broker's 32-bit varbyte`);
    this.room(5);
    let x = n;
    while (x > 0x7f) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[this.pos++] = x;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Varbyte length, then the UTF-8 bytes. */
  string(s: string): void {
    // Short ASCII strings (most names, topics, scripts) are copied by hand: cheaper than
    // two calls into Buffer's native code.
    if (s.length < 64) {
      this.room(s.length + 1);
      const at = this.pos;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[at + 1 + i] = c;
      }
      if (i === s.length) {
        this.buf[at] = s.length;
        this.pos = at + 1 + s.length;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varbyte(n);
    this.room(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  /** Overwrites 4 bytes at `at` (used to fill in a frame length). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The bytes written between two positions, as a string key (for duplicate checks). */
  keyOf(from: number, to: number): string {
    return this.buf.toString('latin1', from, to);
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class ByteReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string, path: string): void {
    if (this.end - this.pos < n) {
      throw new WireError('deserialization_failed', `truncated: ${what} needs ${n} byte(s), ${this.end - this.pos} left`, path);
    }
  }

  u8(what = 'a byte', path = '$'): number {
    this.need(1, what, path);
    return this.buf[this.pos++];
  }

  u16(what = 'a 16-bit number', path = '$'): number {
    this.need(2, what, path);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'a 32-bit number', path = '$'): number {
    this.need(4, what, path);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'a 64-bit number', path = '$'): bigint {
    this.need(8, what, path);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  varbyte(what = 'a length', path = '$', lengthOf = false): number {
    let x = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.need(1, lengthOf ? `the length of ${what}` : what, path);
      const b = this.buf[this.pos++];
      x += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (x > MAX_VARBYTE) break;
        return x;
      }
    }
    throw new WireError('deserialization_failed', `${lengthOf ? `the length of ${what}` : what} is not a varbyte of at most 32 bits`, path);
  }

  bytes(n: number, what: string, path = '$'): Buffer {
    this.need(n, what, path);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Varbyte length and UTF-8 text (invalid sequences become U+FFFD). */
  string(what = 'a string', path = '$'): string {
    const n = this.varbyte(what, path, true);
    if (this.end - this.pos < n) this.need(n, what, path);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
