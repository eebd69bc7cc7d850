// zeek-client's informational output on stderr (logs.py): "error: ...", "warning: ...",
// "info: ...", "debug: ..." lines, or with client.rich_logging_format
// "2024-01-31 12:00:00 error    message". client.verbosity (or -v, -vv, -vvv) selects
// the level: 0 errors, 1 also warnings, 2 also info, 3+ also debug. -q silences all.

export type Level = 'error' | 'warning' | 'info' | 'debug';

const RANK: Record<Level, number> = { error: 0, warning: 1, info: 2, debug: 3 };

export interface LoggerOptions {
  verbosity: number;
  rich: boolean;
  quiet: boolean;
  write?: (line: string) => void;
  now?: () => Date;
}

export class Logger {
  constructor(private readonly opts: LoggerOptions) {}

  enabled(level: Level): boolean {
    return !this.opts.quiet && RANK[level] <= Math.max(0, this.opts.verbosity);
  }

  log(level: Level, message: string): void {
    if (this.enabled(level)) this.write(level, message);
  }

  private write(level: Level, message: string): void {
    const text = this.opts.rich ? `${timestamp((this.opts.now ?? (() => new Date()))())} ${level.padEnd(8)} ${message}` : `${level}: ${message}`;
    (this.opts.write ?? ((l: string) => process.stderr.write(l)))(`${text}\n`);
  }

  /** A line at `level` shown at any verbosity (not with -q): for warnings the user must see. */
  shown(level: Level, message: string): void {
    if (!this.opts.quiet) this.write(level, message);
  }

  error(message: string): void {
    this.log('error', message);
  }

  warning(message: string): void {
    this.log('warning', message);
  }

  info(message: string): void {
    this.log('info', message);
  }

  debug(message: string): void {
    this.log('debug', message);
  }
}

function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
