// Zeek literal values as they appear on the right-hand side of `redef NAME = VALUE;`
// and in `NAME=VALUE` command-line assignments: strings, booleans (T/F), numbers,
// ports (2151/tcp), intervals (1 hr, 30secs), addresses, enum identifiers and record
// constructors ([$address="1.2.3.4", $bound_port=21500/tcp] or
// Broker::NetworkInfo($address=..., $bound_port=...)).
//
// parseLiteral() turns text into a small syntax tree; coerce() (in types.ts) checks it
// against the type a setting needs. Errors carry the offending text.

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'port'; port: number; proto: PortProto }
  | { kind: 'interval'; seconds: number; text: string }
  | { kind: 'addr'; value: string }
  | { kind: 'ident'; name: string }
  | { kind: 'record'; type: string | null; fields: Array<[string, Literal]> };

export type PortProto = 'tcp' | 'udp' | 'icmp' | 'unknown';

export class LiteralError extends Error {
  override readonly name = 'LiteralError';
}

const INTERVAL_UNITS: Record<string, number> = {
  usec: 1e-6, usecs: 1e-6, msec: 1e-3, msecs: 1e-3, sec: 1, secs: 1, min: 60, mins: 60,
  hr: 3600, hrs: 3600, day: 86400, days: 86400,
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])/;

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  fail(what: string): never {
    const near = this.rest().slice(0, 20);
    throw new LiteralError(near ? `${what} at "${near}"` : `${what} at end of value`);
  }

  expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }
}

/** Parses one Zeek literal occupying the whole text. */
export function parseLiteral(text: string): Literal {
  const r = new Reader(text);
  const v = value(r);
  r.skipSpace();
  if (r.pos < text.length) r.fail('unexpected text after the value');
  return v;
}

function value(r: Reader): Literal {
  r.skipSpace();
  const c = r.peek();
  if (c === '') r.fail('missing value');
  if (c === '"') return stringLit(r);
  if (c === '[') {
    // A record constructor, or a bracketed IPv6 address.
    const m = /^\[([0-9A-Fa-f:.]+)\]/.exec(r.rest());
    if (m && m[1].includes(':') && !m[1].startsWith('$')) {
      r.pos += m[0].length;
      return { kind: 'addr', value: m[1] };
    }
    r.pos++;
    return recordFields(r, null, ']');
  }
  const ip = IPV4.exec(r.rest());
  if (ip) {
    r.pos += ip[0].length;
    return { kind: 'addr', value: ip[0] };
  }
  const num = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(r.rest());
  if (num) {
    r.pos += num[0].length;
    const port = /^\/(tcp|udp|icmp|unknown)\b/.exec(r.rest());
    if (port) {
      r.pos += port[0].length;
      const n = Number(num[0]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new LiteralError(`port number ${num[0]} is out of range 0-65535`);
      return { kind: 'port', port: n, proto: port[1] as PortProto };
    }
    const unit = /^\s*([a-z]+)\b/.exec(r.rest());
    if (unit && INTERVAL_UNITS[unit[1]] !== undefined) {
      r.pos += unit[0].length;
      return { kind: 'interval', seconds: Number(num[0]) * INTERVAL_UNITS[unit[1]], text: `${num[0]} ${unit[1]}` };
    }
    if (unit) throw new LiteralError(`unknown unit "${unit[1]}" after ${num[0]} (intervals use usec, msec, sec, min, hr or day)`);
    return { kind: 'number', value: Number(num[0]), text: num[0] };
  }
  const id = IDENT.exec(r.rest());
  if (id) {
    r.pos += id[0].length;
    if (id[0] === 'T') return { kind: 'bool', value: true };
    if (id[0] === 'F') return { kind: 'bool', value: false };
    r.skipSpace();
    if (r.peek() === '(') {
      r.pos++;
      return recordFields(r, id[0], ')');
    }
    return { kind: 'ident', name: id[0] };
  }
  return r.fail('not a Zeek value');
}

function stringLit(r: Reader): Literal {
  r.pos++; // opening quote
  let out = '';
  for (;;) {
    const c = r.text[r.pos++];
    if (c === undefined) throw new LiteralError('unterminated string literal');
    if (c === '"') break;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = r.text[r.pos++];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x': {
        const hex = /^[0-9A-Fa-f]{1,2}/.exec(r.rest());
        if (!hex) throw new LiteralError('\\x escape needs hex digits');
        r.pos += hex[0].length;
        out += String.fromCharCode(parseInt(hex[0], 16));
        break;
      }
      default:
        if (e === undefined) throw new LiteralError('unterminated string literal');
        out += e;
    }
  }
  return { kind: 'string', value: out };
}

function recordFields(r: Reader, type: string | null, close: string): Literal {
  const fields: Array<[string, Literal]> = [];
  r.skipSpace();
  if (r.peek() === close) {
    r.pos++;
    return { kind: 'record', type, fields };
  }
  for (;;) {
    r.expect('$');
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(r.rest());
    if (!name) r.fail('expected a field name after "$"');
    r.pos += name[0].length;
    r.expect('=');
    fields.push([name[0], value(r)]);
    r.skipSpace();
    if (r.peek() === ',') {
      r.pos++;
      continue;
    }
    if (r.peek() === close) {
      r.pos++;
      return { kind: 'record', type, fields };
    }
    r.fail(`expected "," or "${close}" in record constructor`);
  }
}

export function describeLiteral(l: Literal): string {
  switch (l.kind) {
    case 'string': return `string ${JSON.stringify(l.value)}`;
    case 'bool': return `bool ${l.value ? 'T' : 'F'}`;
    case 'number': return `number ${l.text}`;
    case 'port': return `port ${l.port}/${l.proto}`;
    case 'interval': return `interval ${l.text}`;
    case 'addr': return `address ${l.value}`;
    case 'ident': return `identifier ${l.name}`;
    case 'record': return `record ${l.type ?? '[...]'}`;
  }
}
