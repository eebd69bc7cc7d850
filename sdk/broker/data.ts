// Broker's data model (see broker/data.rst), as plain tagged values.
//
// Counts, integers, timespans and timestamps are bigints so that 64-bit values never
// lose precision. Timespans hold nanoseconds; timestamps nanoseconds since the epoch.

export type PortProtocol = 'tcp' | 'udp' | 'icmp' | '?';

export interface BrokerPort {
  number: number;
  protocol: PortProtocol;
}

export type BrokerData =
  | { type: 'none' }
  | { type: 'boolean'; value: boolean }
  | { type: 'count'; value: bigint }
  | { type: 'integer'; value: bigint }
  | { type: 'real'; value: number }
  | { type: 'timespan'; value: bigint }
  | { type: 'timestamp'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'enum-value'; value: string }
  | { type: 'address'; value: string }
  | { type: 'subnet'; value: string }
  | { type: 'port'; value: BrokerPort }
  | { type: 'vector'; value: BrokerData[] }
  | { type: 'set'; value: BrokerData[] }
  | { type: 'table'; value: Array<[BrokerData, BrokerData]> };

export type BrokerDataType = BrokerData['type'];

export const BROKER_DATA_TYPES: readonly BrokerDataType[] = [
  'none', 'boolean', 'count', 'integer', 'real', 'timespan', 'timestamp', 'string',
  'enum-value', 'address', 'subnet', 'port', 'vector', 'set', 'table',
];

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;

/** Constructors, so callers rarely spell out the tagged objects. */
export const B = {
  none: (): BrokerData => NONE,
  bool: (value: boolean): BrokerData => ({ type: 'boolean', value }),
  count: (value: number | bigint): BrokerData => ({ type: 'count', value: BigInt(value) }),
  int: (value: number | bigint): BrokerData => ({ type: 'integer', value: BigInt(value) }),
  real: (value: number): BrokerData => ({ type: 'real', value }),
  timespan: (ns: number | bigint): BrokerData => ({ type: 'timespan', value: BigInt(ns) }),
  timestamp: (nsSinceEpoch: number | bigint): BrokerData => ({ type: 'timestamp', value: BigInt(nsSinceEpoch) }),
  str: (value: string): BrokerData => ({ type: 'string', value }),
  enum: (value: string): BrokerData => ({ type: 'enum-value', value }),
  addr: (value: string): BrokerData => ({ type: 'address', value }),
  subnet: (value: string): BrokerData => ({ type: 'subnet', value }),
  port: (number: number, protocol: PortProtocol = 'tcp'): BrokerData => ({ type: 'port', value: { number, protocol } }),
  vec: (value: BrokerData[]): BrokerData => ({ type: 'vector', value }),
  set: (value: BrokerData[]): BrokerData => ({ type: 'set', value }),
  table: (value: Array<[BrokerData, BrokerData]>): BrokerData => ({ type: 'table', value }),
  /** none for undefined/null, else the constructed value. */
  opt<T>(value: T | null | undefined, make: (v: T) => BrokerData): BrokerData {
    return value === undefined || value === null ? NONE : make(value);
  },
};

const NONE: BrokerData = Object.freeze({ type: 'none' }) as BrokerData;

export function isNone(d: BrokerData | undefined): boolean {
  return d === undefined || d.type === 'none';
}
