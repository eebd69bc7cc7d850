// Broker's TCP (or TLS) stream is a sequence of frames: a 4-byte big-endian length and
// that many bytes of message (CAF's length_prefix_framing, used by Broker's connector
// for the handshake and by the peer connection afterwards). A frame of length zero is
// refused (connector.cc drops the connection), and so is one longer than our limit,
// before any of it is buffered.

import { WireError } from '../errors';

export const FRAME_HEADER = 4;
/** Our default cap on a frame's length; CAF's own cap is 2^31 - 5. */
export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + message.length);
  out.writeUInt32BE(message.length, 0);
  message.copy(out, FRAME_HEADER);
  return out;
}

/** Splits a byte stream into frames; push() returns the complete frames so far. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private want = -1; // length of the frame being read, -1 while reading a header

  constructor(private readonly maxFrame = DEFAULT_MAX_FRAME) {}

  /** Bytes held that do not yet make a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.want < 0) {
        if (this.buffered < FRAME_HEADER) break;
        const len = this.take(FRAME_HEADER).readUInt32BE(0);
        if (len === 0) throw new WireError('invalid_message', 'a frame of length 0');
        if (len > this.maxFrame) throw new WireError('invalid_message', `a frame of ${len} bytes exceeds the limit of ${this.maxFrame}`);
        this.want = len;
      }
      if (this.buffered < this.want) break;
      out.push(this.take(this.want));
      this.want = -1;
    }
    return out;
  }

  private take(n: number): Buffer {
    const head = this.chunks[0];
    let result: Buffer;
    if (head.length >= n) {
      result = head.subarray(0, n);
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    } else {
      result = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - filled);
        c.copy(result, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return result;
  }
}
