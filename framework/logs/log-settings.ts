// The rotation and archival values the Management framework derives from its settings,
// and when the next rotation is due.
//
// Under management, Zeek's persistence.zeek gives logging processes a rotation interval
// of one hour and steers rotated logs into <Management::spool_dir>/log-queue. An explicit
// Log::default_rotation_interval wins (0 turns rotation, and with it archival, off).

import * as path from 'node:path';
import type { Settings } from '../settings/settings';
import type { SettingValue } from '../settings/types';

/** Log::default_rotation_interval under management unless set explicitly: 1 hr. */
export const MANAGED_ROTATION_INTERVAL = 3600;

/** The rotation interval (seconds) of a process, from its globals and which of them were set explicitly. */
export function effectiveRotationInterval(globals: Record<string, SettingValue>, explicit: readonly string[]): number {
  const v = globals['Log::default_rotation_interval'];
  if (explicit.includes('Log::default_rotation_interval') && typeof v === 'number') return v;
  return MANAGED_ROTATION_INTERVAL;
}

export interface ArchivalSettings {
  /** Management::Agent::archive_logs */
  enabled: boolean;
  /** Seconds between runs: Management::Agent::archive_interval, or the rotation interval when that is 0. 0 = never. */
  intervalSec: number;
  /** Management::Agent::archive_cmd; '' = the built-in archiver. */
  cmd: string;
  /** Where rotated logs wait: Log::default_rotation_dir, i.e. <spool>/log-queue. */
  queueDir: string;
  /** Management::Agent::archive_dir, or Installation::log_dir when empty. */
  archiveDir: string;
}

export function archivalSettings(s: Settings): ArchivalSettings {
  let intervalSec = s.num('Management::Agent::archive_interval');
  if (intervalSec === 0) {
    intervalSec = s.isExplicit('Log::default_rotation_interval') ? s.num('Log::default_rotation_interval') : MANAGED_ROTATION_INTERVAL;
  }
  return {
    enabled: s.bool('Management::Agent::archive_logs'),
    intervalSec,
    cmd: s.str('Management::Agent::archive_cmd'),
    queueDir: s.rotationDir(),
    archiveDir: path.resolve(s.baseDir, s.str('Management::Agent::archive_dir') || s.str('Installation::log_dir')),
  };
}

/**
 * When the next rotation is due (ms since the epoch): the next multiple of the interval
 * counted from local midnight, as Zeek aligns rotation to Log's rotation base time 0:00.
 */
export function nextRotationAt(nowMs: number, intervalSec: number): number {
  const ivMs = intervalSec * 1000;
  const midnight = new Date(nowMs);
  midnight.setHours(0, 0, 0, 0);
  const base = midnight.getTime();
  return base + (Math.floor((nowMs - base) / ivMs) + 1) * ivMs;
}
