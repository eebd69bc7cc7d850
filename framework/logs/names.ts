// File names of rotated and archived logs, as Zeek's archiver_rotation_format_func writes
// them and zeek-archiver reads them.
//
// Rotated (in the log queue), parts separated by "__":
//   <stream>__<open>__<close>__<ext>                     conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log
//   <stream>__<open>__<close>__<metadata>__<ext>         ...__log_suffix=worker-1__.log
// where <open>/<close> are %Y-%m-%d-%H-%M-%S (local time) and <metadata> is a comma
// separated key=value list of which only log_suffix has a meaning.
//
// Archived: <YYYY-MM-DD of open>/<stream>.<HH:MM:SS>-<HH:MM:SS>[-<log_suffix>]<ext>[.gz]
// The archiver works on the text of the stamps (no time zone conversion), as zeek-archiver does.

export const DELIMITER = '__';
/** Extensions of logs that are already compressed: archived as they are, not compressed again. */
export const ZIPPED_EXTENSIONS = ['gz', 'bz2', 'lz', 'lz4'];
export const COMPRESSED_EXTENSION = '.gz';

/** A broken-down %Y-%m-%d-%H-%M-%S stamp. */
export interface Stamp {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** A Date as Zeek's Log::default_rotation_date_format renders it (local time). */
export function stampOf(d: Date): Stamp {
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
}

export function formatStamp(s: Stamp): string {
  return `${pad(s.year, 4)}-${pad(s.month)}-${pad(s.day)}-${pad(s.hour)}-${pad(s.minute)}-${pad(s.second)}`;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses a %Y-%m-%d-%H-%M-%S stamp; null unless it is exactly that with valid field values. */
export function parseStamp(text: string): Stamp | null {
  const m = STAMP.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  // strptime's %S takes 60 (leap second); so do we.
  if (hour > 23 || minute > 59 || second > 60) return null;
  return { year, month, day, hour, minute, second };
}

export interface RotatedLog {
  /** The log stream's path (conn, dns, ...). */
  stream: string;
  open: Stamp;
  close: Stamp;
  /** log_suffix metadata (a node name when several nodes write the same stream), or null. */
  suffix: string | null;
  /** Everything after the last delimiter, e.g. ".log". */
  ext: string;
}

/** Why a metadata value cannot go into a file name, or null when it can. */
export function metadataProblem(key: string, value: string): string | null {
  for (const s of [key, value]) {
    if (/[,=]/.test(s)) return `'${s}' contains ',' or '='`;
    if (s.includes(DELIMITER)) return `'${s}' contains '${DELIMITER}'`;
    if (s.includes('/') || s.includes('\0')) return `'${s}' contains a path separator or NUL`;
    if (s.trim() !== s || s === '') return `'${s}' is empty or has surrounding white space`;
  }
  return null;
}

/** The queue file name of a rotated log. Throws when a part cannot be represented. */
export function rotatedName(log: RotatedLog): string {
  if (log.stream === '' || log.stream.includes(DELIMITER) || log.stream.includes('/') || log.stream.startsWith('.')) {
    throw new Error(`log stream name '${log.stream}' cannot be written as a rotated log name`);
  }
  const parts = [log.stream, formatStamp(log.open), formatStamp(log.close)];
  if (log.suffix !== null) {
    const p = metadataProblem('log_suffix', log.suffix);
    if (p) throw new Error(`log_suffix ${p}`);
    parts.push(`log_suffix=${log.suffix}`);
  }
  if (log.ext.includes(DELIMITER) || log.ext.includes('/')) throw new Error(`extension '${log.ext}' cannot be written as part of a rotated log name`);
  parts.push(log.ext);
  return parts.join(DELIMITER);
}

export type ParsedName = { ok: true; log: RotatedLog } | { ok: false; reason: string };

const EXTENSION = /^(\.[A-Za-z0-9_-]+)*$/;

/**
 * Reads a queue file name the way zeek-archiver does (4 or 5 parts separated by "__"),
 * but strictly: the stamps must be exact and valid, metadata entries must be key=value,
 * and the extension must look like one. Anything else is not understood.
 */
export function parseRotatedName(name: string): ParsedName {
  const no = (reason: string): ParsedName => ({ ok: false, reason });
  const parts = name.split(DELIMITER);
  if (parts.length !== 4 && parts.length !== 5) return no(`expected 4 or 5 parts separated by '${DELIMITER}', found ${parts.length}`);
  const [stream, openText, closeText] = parts;
  if (stream === '') return no('the log stream name is empty');
  const open = parseStamp(openText);
  if (!open) return no(`open time '${openText}' is not a %Y-%m-%d-%H-%M-%S stamp`);
  const close = parseStamp(closeText);
  if (!close) return no(`close time '${closeText}' is not a %Y-%m-%d-%H-%M-%S stamp`);
  const ext = parts[parts.length - 1];
  if (!EXTENSION.test(ext)) return no(`extension '${ext}' is not of the form .log`);
  let suffix: string | null = null;
  if (parts.length === 5 && parts[3] !== '') {
    for (const entry of parts[3].split(',')) {
      const kv = entry.split('=');
      if (kv.length !== 2) return no(`metadata entry '${entry}' is not key=value`);
      const key = kv[0].trim();
      const value = kv[1].trim();
      if (key === '' || value === '') return no(`metadata entry '${entry}' has an empty key or value`);
      // Other keys are allowed and ignored, as zeek-archiver ignores them.
      if (key === 'log_suffix') suffix = value;
    }
  }
  return { ok: true, log: { stream, open, close, suffix, ext } };
}

/** Whether a log with this extension is stored as it is (already compressed). */
export function alreadyCompressed(ext: string): boolean {
  return ZIPPED_EXTENSIONS.some((z) => ext.endsWith(z));
}

/** Where zeek-archiver puts a rotated log: directory (relative to the archive dir) and file name. */
export function archivedName(log: RotatedLog): { dir: string; file: string } {
  const dir = `${pad(log.open.year, 4)}-${pad(log.open.month)}-${pad(log.open.day)}`;
  const hms = (s: Stamp): string => `${pad(s.hour)}:${pad(s.minute)}:${pad(s.second)}`;
  let file = `${log.stream}.${hms(log.open)}-${hms(log.close)}`;
  if (log.suffix !== null) file += `-${log.suffix}`;
  file += log.ext;
  if (!alreadyCompressed(log.ext)) file += COMPRESSED_EXTENSION;
  return { dir, file };
}
