// Broker keeps every address in 16 bytes: IPv6 as is, IPv4 mapped into ::ffff:0:0/96
// (broker/address.cc). Our model keeps addresses and subnets as text, so this file turns
// text into those 16 bytes and back. The text written back is the one Broker itself
// prints (inet_ntop): dotted quads for mapped IPv4, RFC 5952 compression for IPv6, and
// glibc's "::a.b.c.d" for addresses whose first 96 bits are zero.

import { WireError } from '../errors';

const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseV4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseV6(text: string): number[] | undefined {
  // An embedded IPv4 tail counts as two groups.
  let tail: number[] = [];
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    body = text.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (known > 7) return undefined;
    words = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  } else {
    if (known !== 8) return undefined;
    words = [...head, ...tail];
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

/** Dotted-quad text straight into mapped bytes (the common case), or undefined for anything else. */
function v4Mapped(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  let part = 12;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a '.' after the end closes the last part
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      value = value * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || value > 255 || part > 15) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return part === 16 ? out : undefined;
}

/** The 16 bytes Broker stores for an address text; throws WireError for anything else. */
export function addressToBytes(text: string, path = '$'): Uint8Array {
  const mapped = v4Mapped(text);
  if (mapped) return mapped;
  const v6 = text.includes(':') ? parseV6(text) : undefined;
  if (!v6) throw new WireError('invalid_data', `address ${JSON.stringify(text.slice(0, 80))} is not an IPv4 or IPv6 address`, path);
  return Uint8Array.from(v6);
}

export function isV4Mapped(b: Uint8Array, at = 0): boolean {
  for (let i = 0; i < 12; i++) if (b[at + i] !== V4_MAPPED[i]) return false;
  return true;
}

/** Broker's text for 16 address bytes starting at `at`. */
export function bytesToAddress(b: Uint8Array, at = 0): string {
  if (isV4Mapped(b, at)) return `${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  // Longest run of two or more zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += i === 0 ? '::' : ':';
      continue;
    }
    // glibc writes the last 32 bits as a dotted quad when the first 96 bits are zero.
    if (i === 6 && best === 0 && bestLen === 6) {
      out += `${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
      break;
    }
    out += words[i].toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

/** Network bytes and Broker's raw prefix length (IPv4 lengths count the 96 mapped bits). */
export function subnetToBytes(text: string, path = '$'): { bytes: Uint8Array; rawLength: number } {
  const slash = text.lastIndexOf('/');
  const lenText = slash > 0 ? text.slice(slash + 1) : '';
  if (!/^\d{1,3}$/.test(lenText)) throw new WireError('invalid_data', `subnet ${JSON.stringify(text.slice(0, 80))} is not <address>/<prefix length>`, path);
  const bytes = addressToBytes(text.slice(0, slash), path);
  const v4 = isV4Mapped(bytes);
  const len = Number(lenText);
  if (len > (v4 ? 32 : 128)) throw new WireError('invalid_data', `subnet ${JSON.stringify(text.slice(0, 80))} has a prefix longer than its address`, path);
  const rawLength = v4 ? len + 96 : len;
  maskInPlace(bytes, rawLength);
  return { bytes, rawLength };
}

/** Clears the bits after the first `bits` bits, as Broker's subnet constructor does. */
function maskInPlace(bytes: Uint8Array, bits: number): void {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
}

/** Broker's text for a subnet read from the wire; refuses prefix lengths Broker could not have made. */
export function bytesToSubnet(b: Uint8Array, at: number, rawLength: number, path = '$'): string {
  const v4 = isV4Mapped(b, at);
  if (rawLength > 128 || (v4 && rawLength < 96)) {
    throw new WireError('invalid_data', `subnet prefix length ${rawLength} does not fit its ${v4 ? 'IPv4' : 'IPv6'} address`, path);
  }
  return `${bytesToAddress(b, at)}/${v4 ? rawLength - 96 : rawLength}`;
}
