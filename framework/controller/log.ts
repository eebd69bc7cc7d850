// The controller's management log, the equivalent of Zeek's Management::Log stream: one
// JSON object per line with Zeek's columns {ts, node, level, role, message}, appended to
// <directory>/management.log. Warnings and errors, and the start-up line, also go to the
// console (stderr for warnings/errors, stdout otherwise), or to the stdout/stderr files
// when the controller writes them itself.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogLevel } from './config';

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export interface ManagementLogOptions {
  directory: string;
  logFile: string;
  node: string;
  level: LogLevel;
  role?: string;
  /** When set, console output is appended to these files in `directory` instead of the process streams. */
  outputFiles?: { stdout: string; stderr: string };
}

type Sink = { write(text: string): void; end?(cb: () => void): void };

/**
 * An append-only file. Lines written in one turn of the event loop go out in one write,
 * so a busy controller does not pay a system call per log line. A write that fails (a
 * full disk) is reported on stderr and loses its lines; the file is opened again for the
 * next ones (after a newline ending what part of a line got out), so logging resumes once
 * there is space.
 */
function fileSink(file: string): Sink {
  const open = (): fs.WriteStream => {
    const s = fs.createWriteStream(file, { flags: 'a' });
    s.on('error', (err) => {
      process.stderr.write(`error: cannot write ${file}: ${err.message}\n`);
      if (stream === s) failed = true;
    });
    return s;
  };
  let failed = false;
  let stream = open();
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (failed) {
      // The failed write may have left part of a line: end it, so the next ones parse.
      failed = false;
      stream = open();
      stream.write('\n');
    }
    stream.write(text);
  };
  return {
    write: (t) => {
      pending += t;
      if (pending.length > 1 << 20) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    end: (cb) => {
      flush();
      stream.end(cb);
    },
  };
}

export class ManagementLog {
  readonly file: string;
  private readonly sink: Sink;
  private readonly out: Sink;
  private readonly err: Sink;
  private readonly min: number;

  constructor(private readonly opts: ManagementLogOptions) {
    fs.mkdirSync(opts.directory, { recursive: true });
    this.file = path.join(opts.directory, opts.logFile);
    this.sink = fileSink(this.file);
    this.min = RANK[opts.level];
    if (opts.outputFiles) {
      this.out = opts.outputFiles.stdout ? fileSink(path.join(opts.directory, opts.outputFiles.stdout)) : { write: () => undefined };
      this.err = opts.outputFiles.stderr ? fileSink(path.join(opts.directory, opts.outputFiles.stderr)) : { write: () => undefined };
    } else {
      this.out = { write: (t) => void process.stdout.write(t) };
      this.err = { write: (t) => void process.stderr.write(t) };
    }
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }

  write(level: LogLevel, message: string): void {
    if (RANK[level] < this.min) return;
    const now = Date.now() / 1000;
    this.sink.write(JSON.stringify({ ts: now, node: this.opts.node, level, role: this.opts.role ?? 'CONTROLLER', message }) + '\n');
    if (RANK[level] >= RANK.WARNING) this.err.write(`${new Date(now * 1000).toISOString()} ${level.toLowerCase()}: ${message}\n`);
  }

  debug(message: string): void {
    this.write('DEBUG', message);
  }

  info(message: string): void {
    this.write('INFO', message);
  }

  warning(message: string): void {
    this.write('WARNING', message);
  }

  error(message: string): void {
    this.write('ERROR', message);
  }

  /** A line for the console (stdout or its file) regardless of level, e.g. the start-up line. */
  console(message: string): void {
    this.out.write(message + '\n');
  }

  async close(): Promise<void> {
    const ends = [this.sink, this.out, this.err].filter((s) => s.end).map((s) => new Promise<void>((r) => s.end!(r)));
    await Promise.all(ends);
  }
}
