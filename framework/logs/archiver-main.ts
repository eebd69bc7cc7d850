// The built-in archiver as a program with zeek-archiver's command line:
//
//   node dist/framework/logs/archiver-main.js [-v] [-i SECS] [-1] <src_dir> <dst_dir>
//
// -1 archives what is in <src_dir> once and exits; without it, it keeps polling (every
// SECS seconds, 30 by default; right away again after archiving something). Messages
// follow zeek-archiver's "[<time>] [INFO] ..." lines: info and debug on stdout, errors on
// stderr. Exit status 0 unless the arguments are wrong or <dst_dir> cannot be created;
// a log that could not be archived stays in the queue and is reported.
//
// Started by an agent as its archive_cmd, it finds the token of the queue lock the agent
// holds for it in ZEEK_MGMT_ARCHIVE_LOCK_TOKEN and archives under that lock while it is in
// place, instead of finding the queue locked.

import { LOCK_TOKEN_ENV } from './archive-lock';
import { archiveQueue, ArchiveLogLevel } from './archiver';
import { mkdirsDurable } from './durable-fs';

export const ARCHIVER_VERSION = 'zeek-mgmt-archiver 0.1.0';

export const ARCHIVER_USAGE = `usage: archiver-main [options] <src_dir> <dst_dir>
    <src_dir>        | A directory to monitor for Zeek log files
    <dst_dir>        | A directory to archive Zeek logs into
    --version        | Print version and exit
    -1               | Archive current logs and exit w/o looping
    -h|--help        | Show this usage information
    -v|--verbose     | Print verbose/debug logs
    -i|--interval N  | Poll interval in seconds (default: 30)
`;

export interface ArchiverArgs {
  src: string;
  dst: string;
  oneshot: boolean;
  verbose: boolean;
  intervalSec: number;
}

export class ArchiverUsageError extends Error {}

export function parseArchiverArgs(argv: string[]): ArchiverArgs | 'help' | 'version' {
  let oneshot = false;
  let verbose = false;
  let intervalSec = 30;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '') continue;
    if (arg.startsWith('-') && arg !== '-') {
      if (positional.length > 0) throw new ArchiverUsageError(`optional flags must precede non-optional arguments: '${arg}'`);
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(0, eq) : arg;
      const inline = eq >= 0 ? arg.slice(eq + 1) : null;
      switch (flag) {
        case '-1':
        case '-v':
        case '--verbose':
        case '-h':
        case '--help':
        case '--version':
          if (inline !== null) throw new ArchiverUsageError(`invalid argument=value: '${arg}'`);
          if (flag === '-1') oneshot = true;
          else if (flag === '-h' || flag === '--help') return 'help';
          else if (flag === '--version') return 'version';
          else verbose = true;
          break;
        case '-i':
        case '--interval': {
          const v = inline ?? argv[++i];
          if (v === undefined || v === '') throw new ArchiverUsageError(`flag '${flag}' is missing a value`);
          const n = Number(v);
          if (!Number.isFinite(n) || n <= 0) throw new ArchiverUsageError(`invalid '${flag}' value - must be a positive interval`);
          intervalSec = n;
          break;
        }
        default:
          throw new ArchiverUsageError(`invalid argument: '${arg}'`);
      }
      continue;
    }
    positional.push(arg);
  }
  if (positional.length === 0) throw new ArchiverUsageError('no <src_dir> provided');
  if (positional.length === 1) throw new ArchiverUsageError('no <dst_dir> provided');
  if (positional.length > 2) throw new ArchiverUsageError(`extra/invalid argument: '${positional[2]}': <src_dir>/<dst_dir> already provided: ${positional[0]}/${positional[1]}`);
  return { src: positional[0], dst: positional[1], oneshot, verbose, intervalSec };
}

function stamp(): string {
  return (Date.now() / 1000).toFixed(6).padStart(17);
}

export async function archiverMain(argv: string[]): Promise<number> {
  let args: ArchiverArgs | 'help' | 'version';
  try {
    args = parseArchiverArgs(argv);
  } catch (err) {
    process.stderr.write(`${ARCHIVER_USAGE}ERROR: ${(err as Error).message}\n`);
    return 1;
  }
  if (args === 'help') {
    process.stderr.write(ARCHIVER_USAGE);
    return 0;
  }
  if (args === 'version') {
    process.stdout.write(`${ARCHIVER_VERSION}\n`);
    return 0;
  }
  const { src, dst, oneshot, verbose, intervalSec } = args;
  const log = (level: ArchiveLogLevel, msg: string): void => {
    if (level === 'debug' && !verbose) return;
    const tag = level === 'warning' ? 'WARNING' : level.toUpperCase();
    (level === 'error' || level === 'warning' ? process.stderr : process.stdout).write(`[${stamp()}] [${tag}] ${msg}\n`);
  };
  try {
    mkdirsDurable(dst);
  } catch (err) {
    log('error', `Failed to create destination archive dir: ${dst}: ${(err as Error).message}`);
    return 1;
  }
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const heldLockToken = process.env[LOCK_TOKEN_ENV];
  try {
    for (;;) {
      const report = await archiveQueue({ queueDir: src, archiveDir: dst, signal: abort.signal, log, heldLockToken });
      if (oneshot || abort.signal.aborted) return 0;
      const busy = report.archived.length + report.completed.length > 0;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, (busy ? 1 : intervalSec) * 1000);
        abort.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (abort.signal.aborted) return 0;
    }
  } catch (err) {
    log('error', (err as Error).message);
    return 1;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

if (require.main === module) {
  archiverMain(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`fatal error: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
