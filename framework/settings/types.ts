// The value types of settings, their checked conversion from Zeek literals and from raw
// strings (environment variables, NAME=VALUE arguments), and their Zeek spelling.

import { describeLiteral, Literal, LiteralError, parseLiteral, PortProto } from './zeek-literal';

export type SettingType = 'string' | 'bool' | 'count' | 'int' | 'double' | 'port' | 'interval' | 'addr' | 'network-info' | 'websocket-tls-options' | 'enum';

export interface PortValue { port: number; proto: PortProto }
export interface NetworkInfo { address: string; bound_port: PortValue }
/** Cluster::WebSocketTLSOptions: only the fields given are present (cert_file and key_file are &optional, the rest have defaults). */
export interface WebSocketTlsOptions { cert_file?: string; key_file?: string; enable_peer_verification?: boolean; ca_file?: string; ciphers?: string }

/** interval values are seconds (a number); enum values are their full Zeek name. */
export type SettingValue = string | boolean | number | PortValue | NetworkInfo | WebSocketTlsOptions;

const TLS_FIELDS: Record<keyof WebSocketTlsOptions, 'string' | 'bool'> = {
  cert_file: 'string', key_file: 'string', enable_peer_verification: 'bool', ca_file: 'string', ciphers: 'string',
};

export class SettingError extends Error {
  override readonly name = 'SettingError';
}

const TYPE_WORDS: Record<SettingType, string> = {
  string: 'a string', bool: 'a bool (T or F)', count: 'a count', int: 'an int', double: 'a double',
  port: 'a port such as 2151/tcp', interval: 'an interval such as 30 sec', addr: 'an address',
  'network-info': 'a Broker::NetworkInfo record such as [$address="127.0.0.1", $bound_port=2150/tcp]',
  'websocket-tls-options': 'a Cluster::WebSocketTLSOptions record such as [$cert_file="cert.pem", $key_file="key.pem", $ca_file="ca.pem", $enable_peer_verification=T]',
  enum: 'an enum value',
};

export function typeWords(t: SettingType, enumValues?: readonly string[]): string {
  return t === 'enum' && enumValues ? `one of ${enumValues.join(', ')}` : TYPE_WORDS[t];
}

/** Checks a parsed literal against a type. Throws LiteralError explaining the mismatch. */
export function coerce(l: Literal, t: SettingType, enumValues?: readonly string[]): SettingValue {
  const wrong = (): never => {
    throw new LiteralError(`expected ${typeWords(t, enumValues)}, got ${describeLiteral(l)}`);
  };
  switch (t) {
    case 'string':
      return l.kind === 'string' ? l.value : wrong();
    case 'bool':
      return l.kind === 'bool' ? l.value : wrong();
    case 'count':
      if (l.kind !== 'number' || !Number.isSafeInteger(l.value) || l.value < 0) return wrong();
      return l.value;
    case 'int':
      if (l.kind !== 'number' || !Number.isSafeInteger(l.value)) return wrong();
      return l.value;
    case 'double':
      return l.kind === 'number' ? l.value : wrong();
    case 'port':
      return l.kind === 'port' ? { port: l.port, proto: l.proto } : wrong();
    case 'interval':
      return l.kind === 'interval' ? l.seconds : wrong();
    case 'addr':
      return l.kind === 'addr' ? l.value : wrong();
    case 'enum': {
      if (l.kind !== 'ident') return wrong();
      const hit = enumValues?.find((e) => e === l.name || e.endsWith(`::${l.name}`));
      return hit ?? wrong();
    }
    case 'network-info': {
      if (l.kind !== 'record' || (l.type !== null && l.type !== 'Broker::NetworkInfo')) return wrong();
      let address: string | undefined;
      let bound: PortValue | undefined;
      for (const [name, v] of l.fields) {
        if (name === 'address') {
          if (v.kind === 'string') address = v.value;
          else if (v.kind === 'addr') address = v.value;
          else throw new LiteralError(`$address: expected a string, got ${describeLiteral(v)}`);
        } else if (name === 'bound_port') {
          if (v.kind !== 'port') throw new LiteralError(`$bound_port: expected a port, got ${describeLiteral(v)}`);
          bound = { port: v.port, proto: v.proto };
        } else {
          throw new LiteralError(`Broker::NetworkInfo has no field $${name} (fields: $address, $bound_port)`);
        }
      }
      if (address === undefined) throw new LiteralError('Broker::NetworkInfo needs $address');
      if (bound === undefined) throw new LiteralError('Broker::NetworkInfo needs $bound_port');
      return { address, bound_port: bound };
    }
    case 'websocket-tls-options': {
      if (l.kind !== 'record' || (l.type !== null && l.type !== 'Cluster::WebSocketTLSOptions')) return wrong();
      const out: WebSocketTlsOptions = {};
      for (const [name, v] of l.fields) {
        const want = TLS_FIELDS[name as keyof WebSocketTlsOptions];
        if (want === undefined) throw new LiteralError(`Cluster::WebSocketTLSOptions has no field $${name} (fields: ${Object.keys(TLS_FIELDS).map((f) => `$${f}`).join(', ')})`);
        if (v.kind !== want) throw new LiteralError(`$${name}: expected ${want === 'bool' ? 'a bool (T or F)' : 'a string'}, got ${describeLiteral(v)}`);
        (out as Record<string, string | boolean>)[name] = v.value;
      }
      return out;
    }
  }
}

/** Parses Zeek source text of a value of type t. */
export function parseTyped(text: string, t: SettingType, enumValues?: readonly string[]): SettingValue {
  return coerce(parseLiteral(text), t, enumValues);
}

/**
 * A raw string from the command line or the environment. As in Zeek's NAME=VALUE
 * arguments, a string-typed setting takes the text as it is; other types parse it as
 * a Zeek value (a bare port number counts as TCP for convenience).
 */
export function parseRaw(text: string, t: SettingType, enumValues?: readonly string[]): SettingValue {
  if (t === 'string') return text;
  if (t === 'port' && /^\d+$/.test(text.trim())) return parseTyped(`${text.trim()}/tcp`, t);
  if (t === 'bool') {
    const s = text.trim();
    if (s === 'T' || s === 'true' || s === '1') return true;
    if (s === 'F' || s === 'false' || s === '0') return false;
  }
  return parseTyped(text, t, enumValues);
}

/** Parses a port string the way Zeek's to_port() does for listen_port settings ("2151/tcp"; we also take "2151"). */
export function portFromString(text: string): PortValue | null {
  const m = /^\s*(\d+)(?:\/(tcp|udp|icmp|unknown))?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (n > 65535) return null;
  return { port: n, proto: (m[2] ?? 'tcp') as PortProto };
}

export function formatPort(p: PortValue): string {
  return `${p.port}/${p.proto}`;
}

/** The Zeek spelling of a value, as a redef would write it. */
export function formatValue(v: SettingValue, t: SettingType): string {
  switch (t) {
    case 'string': return JSON.stringify(v);
    case 'bool': return v ? 'T' : 'F';
    case 'port': return formatPort(v as PortValue);
    case 'interval': return `${v} secs`;
    case 'network-info': {
      const n = v as NetworkInfo;
      return `[$address=${JSON.stringify(n.address)}, $bound_port=${formatPort(n.bound_port)}]`;
    }
    case 'websocket-tls-options':
      return `[${Object.entries(v as WebSocketTlsOptions).map(([k, x]) => `$${k}=${typeof x === 'boolean' ? (x ? 'T' : 'F') : JSON.stringify(x)}`).join(', ')}]`;
    default: return String(v);
  }
}

export { LiteralError };
