// A growable byte writer and a bounds-checked reader with Broker's primitive encodings
// (format/bin.hh, namespace broker::format::bin::v1): integers big-endian ("network
// order"), and lengths as a "varbyte": 7 bits per byte, least significant group first,
// the high bit set on every byte but the last. Broker computes varbytes on 32 bits, so
// no length may exceed 2^32 - 1 and no varbyte is longer than 5 bytes.
//
// Both are on the hot path of the data codec, so they avoid what costs there: 64-bit
// numbers go through two 32-bit halves (a BigInt is made or read only beyond 2^53), and
// short ASCII strings are copied by hand when writing and cut from latin1 windows of
// the input when reading, instead of one call into Buffer's native code per string
// (which costs more than a JavaScript loop over a few dozen bytes).

import { WireError } from '../errors';

export const MAX_VARBYTE = 0xffffffff;

const TWO_32 = 4294967296;
/** A high 32-bit half in -2^21..2^21-1 keeps the whole 64-bit value within 2^53. */
const SAFE_HIGH = 0x200000;

/** ASCII strings up to this long are cut from a latin1 window when reading (longer ones decoded by Buffer). */
const CUT_UP_TO = 40;
/** Bytes of input a latin1 window covers. */
const TEXT_WINDOW = 4096;

/** 0..255 as BigInts, made once: small counts are common and BigInts are immutable. */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

const HASH_SEED = Math.floor(Math.random() * TWO_32) | 0;
/** Bytes of a range that sampleHash reads at most: the first HASH_HEAD and the last HASH_TAIL. */
const HASH_HEAD = 64;
const HASH_TAIL = 16;

/** Whether buf's ranges [a, aEnd) and [b, bEnd) hold the same bytes. */
function sameRanges(buf: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = aEnd - a;
  if (bEnd - b !== n) return false;
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/**
 * A 32-bit hash of the length and at most the first 64 and the last 16 bytes of
 * buf[from, to): cheap on large ranges, so equal hashes need a byte comparison to mean
 * equal bytes.
 */
function sampleHash(buf: Uint8Array, from: number, to: number): number {
  const n = to - from;
  let h = HASH_SEED ^ n;
  if (n <= HASH_HEAD + HASH_TAIL) {
    h = mixRange(buf, from, to, h);
  } else {
    h = mixRange(buf, from, from + HASH_HEAD, h);
    h = mixRange(buf, to - HASH_TAIL, to, h);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function mixRange(buf: Uint8Array, from: number, to: number, h: number): number {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    h = Math.imul(h ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)), 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (; i < to; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h;
}

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  /** Forgets what was written, keeping the buffer (for a writer used for one value after another). */
  reset(): void {
    this.pos = 0;
  }

  /** Bytes allocated, written or not. */
  get capacity(): number {
    return this.buf.length;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(64, this.buf.length * 2);
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    if (this.pos >= this.buf.length) this.room(1);
    this.buf[this.pos++] = v & 0xff;
  }

  /** Two bytes, e.g. a tag and a one-byte body. */
  u8u8(a: number, b: number): void {
    if (this.pos + 2 > this.buf.length) this.room(2);
    const buf = this.buf;
    buf[this.pos] = a & 0xff;
    buf[this.pos + 1] = b & 0xff;
    this.pos += 2;
  }

  /** Throws a RangeError outside 0..65535 (Buffer's own check, which an envelope's TTL relies on). */
  u16(v: number): void {
    if (this.pos + 2 > this.buf.length) this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.room(4);
    this.put32(v >>> 0);
    this.pos += 4;
  }

  private put32(v: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = v >>> 24;
    buf[p + 1] = (v >>> 16) & 0xff;
    buf[p + 2] = (v >>> 8) & 0xff;
    buf[p + 3] = v & 0xff;
  }

  /** The low 64 bits of `v`, two's complement (so a negative int64 and its uint64 pattern agree). */
  u64(v: bigint): void {
    if (this.pos + 8 > this.buf.length) this.room(8);
    const n = Number(v);
    if (Number.isSafeInteger(n)) {
      const hi = Math.floor(n / TWO_32);
      this.put32(hi >>> 0);
      this.pos += 4;
      this.put32((n - hi * TWO_32) >>> 0);
      this.pos += 4;
      return;
    }
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  /** A double's IEEE 754 bits, big-endian. */
  f64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A tag byte and a varbyte count (a container's head). */
  taggedLength(tag: number, n: number): void {
    if (n >= 0 && n < 0x80 && (n | 0) === n) {
      this.u8u8(tag, n);
      return;
    }
    this.u8(tag);
    this.varbyte(n);
  }

  varbyte(n: number): void {
    if (n >= 0 && n < 0x80 && (n | 0) === n) {
      if (this.pos >= this.buf.length) this.room(1);
      this.buf[this.pos++] = n;
      return;
    }
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
    this.taggedString(-1, s);
  }

  /**
   * A tag byte (none if negative), the varbyte length and the UTF-8 bytes of `s`: one
   * call for what the data codec writes most.
   */
  taggedString(tag: number, s: string): void {
    const len = s.length;
    // ASCII strings shorter than 128 (names, topics, scripts, nearly everything) are
    // copied by hand behind their one-byte length: cheaper than calls into Buffer's
    // native code. Anything else is measured and written as UTF-8.
    if (len < 0x80) {
      if (this.pos + len + 2 > this.buf.length) this.room(len + 2);
      const buf = this.buf;
      const at = tag < 0 ? this.pos + 1 : this.pos + 2;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === len) {
        if (tag >= 0) buf[at - 2] = tag;
        buf[at - 1] = len;
        this.pos = at + len;
        return;
      }
    }
    if (tag >= 0) this.u8(tag);
    const n = Buffer.byteLength(s, 'utf8');
    this.varbyte(n);
    this.room(n);
    this.buf.write(s, this.pos, n, 'utf8');
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

  /** sampleHash of the written bytes [from, to). */
  hashOf(from: number, to: number): number {
    return sampleHash(this.buf, from, to);
  }

  /** Whether the written ranges [a, aEnd) and [b, bEnd) hold the same bytes. */
  sameBytes(a: number, aEnd: number, b: number, bEnd: number): boolean {
    return sameRanges(this.buf, a, aEnd, b, bEnd);
  }

  /** A copy of what was written, exactly as long. */
  finish(): Buffer {
    // A buffer filled exactly is handed over as it is: any further write would grow
    // into a new one first, so the caller's bytes can no longer change.
    if (this.pos === this.buf.length) {
      const whole = this.buf;
      this.buf = Buffer.allocUnsafe(0);
      this.pos = 0;
      return whole;
    }
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}

export class ByteReader {
  pos: number;
  /**
   * A window of the input as latin1 text, buf[textFrom, textFrom + text.length): a short
   * ASCII string inside it is a substring of it, which is what the string's UTF-8
   * decoding would give. One call into Buffer's native code makes the text for the
   * strings of the next few kilobytes.
   */
  private text = '';
  private textFrom = 0;

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
    if (this.pos >= this.end) this.need(1, what, path);
    return this.buf[this.pos++];
  }

  u16(what = 'a 16-bit number', path = '$'): number {
    if (this.end - this.pos < 2) this.need(2, what, path);
    const buf = this.buf;
    const v = (buf[this.pos] << 8) | buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(what = 'a 32-bit number', path = '$'): number {
    if (this.end - this.pos < 4) this.need(4, what, path);
    const v = this.get32();
    this.pos += 4;
    return v >>> 0;
  }

  /** Four bytes at pos as a signed 32-bit number; the caller checked they are there. */
  private get32(): number {
    const buf = this.buf;
    const p = this.pos;
    return (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
  }

  u64(what = 'a 64-bit number', path = '$'): bigint {
    if (this.end - this.pos < 8) this.need(8, what, path);
    const hi = this.get32() >>> 0;
    this.pos += 4;
    const lo = this.get32() >>> 0;
    this.pos += 4;
    if (hi === 0 && lo < 256) return SMALL_BIGINTS[lo];
    if (hi < SAFE_HIGH) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Eight bytes as a two's complement 64-bit number. */
  i64(what = 'a 64-bit number', path = '$'): bigint {
    if (this.end - this.pos < 8) this.need(8, what, path);
    const hi = this.get32();
    this.pos += 4;
    const lo = this.get32() >>> 0;
    this.pos += 4;
    if (hi === 0 && lo < 256) return SMALL_BIGINTS[lo];
    if (hi >= -SAFE_HIGH && hi < SAFE_HIGH) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** The high 32 bits of the 8 bytes at pos, unsigned, without moving (to look at a real's exponent). */
  peekHigh32(what: string, path = '$'): number {
    if (this.end - this.pos < 8) this.need(8, what, path);
    return this.get32() >>> 0;
  }

  /** Eight bytes as a double's IEEE 754 bits, big-endian. */
  f64(what = 'a 64-bit number', path = '$'): number {
    if (this.end - this.pos < 8) this.need(8, what, path);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  varbyte(what = 'a length', path = '$', lengthOf = false): number {
    if (this.pos < this.end) {
      const b = this.buf[this.pos];
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
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
    const from = this.pos;
    const to = from + n;
    this.pos = to;
    const buf = this.buf;
    if (n > CUT_UP_TO) return buf.toString('utf8', from, to);
    for (let i = from; i < to; i++) {
      if (buf[i] >= 0x80) return buf.toString('utf8', from, to);
    }
    if (n === 0) return '';
    // A string of 13 characters or more cut from the window shares its memory, so one
    // of them kept keeps the window (TEXT_WINDOW bytes at most).
    if (from < this.textFrom || to > this.textFrom + this.text.length) {
      this.textFrom = from;
      this.text = buf.toString('latin1', from, Math.min(this.end, from + TEXT_WINDOW));
    }
    return this.text.substring(from - this.textFrom, to - this.textFrom);
  }

  /** The bytes [from, to) already read, as a string key (for duplicate checks). */
  keyOf(from: number, to: number): string {
    return this.buf.toString('latin1', from, to);
  }

  /** sampleHash of the bytes [from, to). */
  hashOf(from: number, to: number): number {
    return sampleHash(this.buf, from, to);
  }

  /** Whether the ranges [a, aEnd) and [b, bEnd) hold the same bytes. */
  sameBytes(a: number, aEnd: number, b: number, bEnd: number): boolean {
    return sameRanges(this.buf, a, aEnd, b, bEnd);
  }
}
