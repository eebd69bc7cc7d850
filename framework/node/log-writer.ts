// Zeek-style log files: one LogStream per log path (conn, cluster, loaded_scripts, ...)
// in a node's directory, in Zeek's ASCII format (a #separator/#fields/#types header,
// tab-separated values, `-` for unset and `(empty)` for empty containers, #close at the
// end) or, with LogAscii::use_json, one JSON object per line.
//
// The header is written when the first record arrives, as Zeek does. Rotation (issue 7)
// builds on rotate(): it closes the current file (writing #close) and returns what it
// was, so the caller can move it; the next write opens a fresh file with a new header.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Zeek log column types this writer formats. */
export type LogType = 'time' | 'interval' | 'string' | 'count' | 'int' | 'double' | 'bool' | 'port' | 'addr' | 'enum' | 'set[string]' | 'vector[string]';

export interface LogField {
  name: string;
  type: LogType;
}

export type LogValue = string | number | boolean | string[] | null | undefined;
export type LogRecord = Record<string, LogValue>;

export interface LogFormat {
  useJson: boolean;
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
}

export const DEFAULT_FORMAT: LogFormat = { useJson: false, separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-' };

export interface ClosedLog {
  file: string;
  path: string;
  openedAt: Date;
  closedAt: Date;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Zeek's #open/#close stamp: %Y-%m-%d-%H-%M-%S (local time). */
export function logStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
}

/** The separator as Zeek writes it in the header: non-printables as \xNN. */
function escapeHeader(s: string): string {
  return [...s].map((c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code > 0x7e ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }).join('');
}

export class LogStream {
  private fd: number | null = null;
  private openedAt: Date | null = null;
  readonly file: string;

  constructor(readonly dir: string, readonly path: string, readonly fields: LogField[], readonly format: LogFormat = DEFAULT_FORMAT) {
    this.file = pathJoin(dir, `${path}.log`);
  }

  write(rec: LogRecord): void {
    if (this.fd === null) this.open();
    fs.writeSync(this.fd!, this.format.useJson ? this.json(rec) : this.tsv(rec));
  }

  private open(): void {
    this.openedAt = new Date();
    this.fd = fs.openSync(this.file, 'a');
    if (this.format.useJson) return;
    const f = this.format;
    const header = [
      `#separator ${escapeHeader(f.separator)}`,
      `#set_separator${f.separator}${f.setSeparator}`,
      `#empty_field${f.separator}${f.emptyField}`,
      `#unset_field${f.separator}${f.unsetField}`,
      `#path${f.separator}${this.path}`,
      `#open${f.separator}${logStamp(this.openedAt)}`,
      `#fields${f.separator}${this.fields.map((x) => x.name).join(f.separator)}`,
      `#types${f.separator}${this.fields.map((x) => x.type).join(f.separator)}`,
    ];
    fs.writeSync(this.fd, header.join('\n') + '\n');
  }

  private escapeValue(s: string): string {
    let out = '';
    for (const c of s) {
      const code = c.charCodeAt(0);
      if (c === '\\' || code < 0x20 || code === 0x7f || c === this.format.separator) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += c;
    }
    return out;
  }

  private tsvValue(v: LogValue, t: LogType): string {
    const f = this.format;
    if (v === null || v === undefined) return f.unsetField;
    switch (t) {
      case 'time':
      case 'interval':
        return (v as number).toFixed(6);
      case 'bool':
        return v ? 'T' : 'F';
      case 'set[string]':
      case 'vector[string]': {
        const arr = v as string[];
        return arr.length === 0 ? f.emptyField : arr.map((x) => this.escapeValue(x).split(f.setSeparator).join(`\\x${f.setSeparator.charCodeAt(0).toString(16)}`)).join(f.setSeparator);
      }
      case 'string':
      case 'enum':
      case 'addr': {
        const s = String(v);
        if (s === '') return f.emptyField;
        if (s === f.unsetField) return `\\x${s.charCodeAt(0).toString(16)}`;
        return this.escapeValue(s);
      }
      default:
        return String(v);
    }
  }

  private tsv(rec: LogRecord): string {
    return this.fields.map((fd) => this.tsvValue(rec[fd.name], fd.type)).join(this.format.separator) + '\n';
  }

  private json(rec: LogRecord): string {
    const obj: Record<string, unknown> = {};
    for (const fd of this.fields) {
      const v = rec[fd.name];
      if (v === null || v === undefined) continue;
      obj[fd.name] = fd.type === 'time' || fd.type === 'interval' ? Math.round((v as number) * 1e6) / 1e6 : v;
    }
    return JSON.stringify(obj) + '\n';
  }

  /** Closes the file (with #close in ASCII mode); null when nothing was written since it opened. */
  rotate(): ClosedLog | null {
    if (this.fd === null || this.openedAt === null) return null;
    const closedAt = new Date();
    if (!this.format.useJson) fs.writeSync(this.fd, `#close${this.format.separator}${logStamp(closedAt)}\n`);
    fs.closeSync(this.fd);
    const closed: ClosedLog = { file: this.file, path: this.path, openedAt: this.openedAt, closedAt };
    this.fd = null;
    this.openedAt = null;
    return closed;
  }

  /** Opens the file now (header included) if it is closed: Zeek reopens a log right after rotating it. */
  reopen(): void {
    if (this.fd === null) this.open();
  }

  close(): void {
    this.rotate();
  }
}

function pathJoin(dir: string, file: string): string {
  return path.join(dir, file);
}

/** All log streams of one process. */
export class LogWriter {
  private readonly streams = new Map<string, LogStream>();

  constructor(readonly dir: string, readonly format: LogFormat = DEFAULT_FORMAT) {}

  stream(logPath: string, fields: LogField[]): LogStream {
    let s = this.streams.get(logPath);
    if (!s) {
      s = new LogStream(this.dir, logPath, fields, this.format);
      this.streams.set(logPath, s);
    }
    return s;
  }

  all(): LogStream[] {
    return [...this.streams.values()];
  }

  closeAll(): void {
    for (const s of this.streams.values()) s.close();
  }
}
