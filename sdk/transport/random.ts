// Random bytes and SHA-1 for the WebSocket client and request ids, without node:crypto
// where the system allows: loading node:crypto (and the ~15 modules of node's it pulls
// in) was ~3 ms of every CLI start (bench/README.md, "CLI start-up"), for 16 bytes of key,
// a 4-byte mask per frame, a reqid and one SHA-1 of 60 bytes.
//
// The bytes come from the kernel's random device (/dev/urandom, the same source as
// getrandom(2) and node's own randomBytes), read 4 KiB at a time into a pool that belongs
// to the process that filled it (a process started from a V8 start-up snapshot refills
// it), and from node:crypto where there is no such device (Windows) or it cannot be read.
// Every byte is handed out once.

import * as fs from 'node:fs';

const POOL_SIZE = 4096;
let pool: Buffer | null = null;
let poolPid = -1;
let used = POOL_SIZE;

function fromDevice(buf: Buffer): boolean {
  let fd = -1;
  try {
    fd = fs.openSync('/dev/urandom', 'r');
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got <= 0) return false;
      n += got;
    }
    return true;
  } catch {
    return false;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Fills `buf` with cryptographically strong random bytes. */
export function fillRandom(buf: Uint8Array): void {
  if (buf.length > POOL_SIZE) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:crypto') as typeof import('node:crypto')).randomFillSync(buf);
    return;
  }
  if (pool === null || poolPid !== process.pid || used + buf.length > POOL_SIZE) {
    pool ??= Buffer.allocUnsafeSlow(POOL_SIZE);
    if (!fromDevice(pool)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('node:crypto') as typeof import('node:crypto')).randomFillSync(pool);
    }
    poolPid = process.pid;
    used = 0;
  }
  buf.set(pool.subarray(used, used + buf.length));
  pool.fill(0, used, used + buf.length);
  used += buf.length;
}

export function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  fillRandom(b);
  return b;
}

/** A random (version 4) UUID, as crypto.randomUUID() gives. */
export function randomUUID(): string {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** SHA-1 (FIPS 180-4) of `data`; here only for Sec-WebSocket-Accept, which RFC 6455 defines with it. */
export function sha1(data: Buffer): Buffer {
  const bitLen = data.length * 8;
  const padded = Buffer.alloc(((data.length + 8) >> 6) * 64 + 64);
  data.copy(padded);
  padded[data.length] = 0x80;
  padded.writeUInt32BE(Math.floor(bitLen / 0x100000000), padded.length - 8);
  padded.writeUInt32BE(bitLen >>> 0, padded.length - 4);
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = new Int32Array(80);
  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = padded.readInt32BE(off + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number, k: number;
      if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0; h4 = (h4 + e) | 0;
  }
  const out = Buffer.alloc(20);
  [h0, h1, h2, h3, h4].forEach((v, i) => out.writeInt32BE(v, i * 4));
  return out;
}
