// Broker writes a real as 8 bytes produced by CAF's own IEEE 754 packer
// (caf/detail/ieee_754.hpp, pack754/unpack754), not by copying the double's bits. For
// normal numbers and zeros both are the same, but CAF differs in its special values:
//   NaN       -> ff ff ff ff ff ff ff ff
//   +Infinity -> ff f0 00 00 00 00 00 00   (IEEE's bit pattern for -Infinity)
//   -Infinity -> 7f f0 00 00 00 00 00 00   (IEEE's bit pattern for +Infinity)
// and it reads every other exponent-2047 pattern as an infinity of that sign. Subnormal
// numbers come out of CAF's loop with a wrapped exponent; we reproduce that too, so the
// bytes are those a Broker peer would send and read.

const PACKED_NAN = 0xffffffffffffffffn;
const PACKED_PINF = 0xfff0000000000000n;
const PACKED_NINF = 0x7ff0000000000000n;
const MASK64 = (1n << 64n) - 1n;

const scratch = new DataView(new ArrayBuffer(8));

export function packDouble(value: number): bigint {
  if (Number.isNaN(value)) return PACKED_NAN;
  if (value === Infinity) return PACKED_PINF;
  if (value === -Infinity) return PACKED_NINF;
  scratch.setFloat64(0, value);
  const bits = scratch.getBigUint64(0);
  const exponent = (bits >> 52n) & 0x7ffn;
  if (exponent !== 0n || (bits & ((1n << 63n) - 1n)) === 0n) return bits; // normal or ±0
  // Subnormal: CAF normalises the fraction and then adds the bias to a negative shift,
  // letting the unsigned sum wrap.
  const sign = bits >> 63n;
  const frac = bits & ((1n << 52n) - 1n);
  const top = BigInt(frac.toString(2).length - 1); // highest set bit, 0..51
  const shift = top - 1074n; // value = 2^shift * (1 + rest)
  const significand = ((frac - (1n << top)) << (52n - top)) & ((1n << 52n) - 1n);
  const exp = (shift + 1023n) & MASK64;
  return ((sign << 63n) | ((exp << 52n) & MASK64) | significand) & MASK64;
}

export function unpackDouble(packed: bigint): number {
  switch (packed) {
    case 0n: return 0;
    case 0x8000000000000000n: return -0;
    case PACKED_PINF: return Infinity;
    case PACKED_NINF: return -Infinity;
    case PACKED_NAN: return NaN;
    default: break;
  }
  const negative = (packed >> 63n) === 1n;
  const exponent = Number((packed >> 52n) & 0x7ffn);
  const frac = Number(packed & ((1n << 52n) - 1n));
  let result: number;
  if (exponent === 0x7ff) {
    result = Infinity; // (1 + f) * 2^1024 overflows in CAF's loop
  } else if (exponent === 0) {
    // CAF assumes a leading one here too: (1 + f) * 2^-1023, rounded once at the end.
    result = ((1 + frac / 2 ** 52) * 2 ** -1022) / 2;
  } else {
    scratch.setBigUint64(0, packed & ((1n << 63n) - 1n));
    result = scratch.getFloat64(0);
  }
  return negative ? -result : result;
}

/** 2^-1022, the smallest positive normal double. */
const MIN_NORMAL = 2.2250738585072014e-308;

/** Whether CAF packs `value` as its plain IEEE bits (zeros and normal numbers), so no BigInt is needed. */
export function packsAsIeee(value: number): boolean {
  const a = Math.abs(value);
  return value === 0 || (a >= MIN_NORMAL && a !== Infinity);
}

/** Whether a packed real whose high 32 bits are `high` reads as its plain IEEE bits (normal numbers). */
export function unpacksAsIeee(high: number): boolean {
  const exponent = (high >>> 20) & 0x7ff;
  return exponent !== 0 && exponent !== 0x7ff;
}
