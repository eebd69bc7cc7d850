// Names of rotated logs (Zeek's archiver_rotation_format_func) and of archived logs
// (zeek-archiver's <date>/<stream>.<HH:MM:SS>-<HH:MM:SS>[-suffix].log.gz), the rotation
// schedule, and the settings the agent derives for archival.

import * as assert from 'node:assert/strict';
import { archivedName, formatStamp, parseRotatedName, parseStamp, rotatedName, stampOf } from '../framework/logs/names';
import { archivalSettings, effectiveRotationInterval, nextRotationAt } from '../framework/logs/log-settings';
import { logSuffixFor } from '../framework/logs/node-rotation';
import { Settings } from '../framework/settings/settings';

const s = (text: string) => parseStamp(text)!;

describe('logs: rotated and archived names', () => {
  it('writes the documentation\'s example name and reads it back', () => {
    const name = rotatedName({ stream: 'conn', open: s('2022-06-20-10-00-00'), close: s('2022-06-20-11-00-00'), suffix: null, ext: '.log' });
    assert.equal(name, 'conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log');
    const p = parseRotatedName(name);
    assert.ok(p.ok);
    assert.deepEqual(p.log, { stream: 'conn', open: s('2022-06-20-10-00-00'), close: s('2022-06-20-11-00-00'), suffix: null, ext: '.log' });
    assert.deepEqual(archivedName(p.log), { dir: '2022-06-20', file: 'conn.10:00:00-11:00:00.log.gz' });
  });

  it('puts a node\'s log_suffix after the second stamp and into the archived name', () => {
    const name = rotatedName({ stream: 'dns', open: s('2022-06-20-19-00-00'), close: s('2022-06-20-20-00-00'), suffix: 'worker-1', ext: '.log' });
    assert.equal(name, 'dns__2022-06-20-19-00-00__2022-06-20-20-00-00__log_suffix=worker-1__.log');
    const p = parseRotatedName(name);
    assert.ok(p.ok);
    assert.deepEqual(archivedName(p.log), { dir: '2022-06-20', file: 'dns.19:00:00-20:00:00-worker-1.log.gz' });
  });

  it('files an archive under the open date, also when the log closes the next day', () => {
    const p = parseRotatedName('conn__2022-06-20-23-00-00__2022-06-21-00-00-00__.log');
    assert.ok(p.ok);
    assert.deepEqual(archivedName(p.log), { dir: '2022-06-20', file: 'conn.23:00:00-00:00:00.log.gz' });
  });

  it('reads metadata as zeek-archiver does: other keys ignored, empty metadata allowed', () => {
    const a = parseRotatedName('conn__2022-06-20-10-00-00__2022-06-20-11-00-00__pid=4711,log_suffix=logger-2__.log');
    assert.ok(a.ok);
    assert.equal(a.log.suffix, 'logger-2');
    const b = parseRotatedName('conn__2022-06-20-10-00-00__2022-06-20-11-00-00____.log');
    assert.ok(b.ok);
    assert.equal(b.log.suffix, null);
  });

  it('keeps already compressed logs as they are', () => {
    const p = parseRotatedName('conn__2022-06-20-10-00-00__2022-06-20-11-00-00__.log.gz');
    assert.ok(p.ok);
    assert.deepEqual(archivedName(p.log), { dir: '2022-06-20', file: 'conn.10:00:00-11:00:00.log.gz' });
  });

  it('does not understand other names, and says why', () => {
    const cases: [string, RegExp][] = [
      ['conn.log', /expected 4 or 5 parts/],
      ['conn__2022-06-20-10-00-00__.log', /found 3/],
      ['a__b__c__d__e__f', /found 6/],
      ['__2022-06-20-10-00-00__2022-06-20-11-00-00__.log', /stream name is empty/],
      ['conn__2022-06-20 10:00:00__2022-06-20-11-00-00__.log', /open time .* not a %Y-%m-%d-%H-%M-%S stamp/],
      ['conn__2022-13-20-10-00-00__2022-06-20-11-00-00__.log', /open time/],
      ['conn__2022-02-30-10-00-00__2022-06-20-11-00-00__.log', /open time/],
      ['conn__2022-06-20-10-00-00__2022-06-20-24-00-00__.log', /close time/],
      ['conn__2022-06-20-10-00-00__2022-06-20-11-00-00x__.log', /close time/],
      ['conn__2022-06-20-10-00-00__2022-06-20-11-00-00__log_suffix__.log', /not key=value/],
      ['conn__2022-06-20-10-00-00__2022-06-20-11-00-00__log_suffix=__.log', /empty key or value/],
      ['conn__2022-06-20-10-00-00__2022-06-20-11-00-00__log', /extension 'log'/],
    ];
    for (const [name, why] of cases) {
      const p = parseRotatedName(name);
      assert.equal(p.ok, false, name);
      if (!p.ok) assert.match(p.reason, why, name);
    }
  });

  it('refuses to write names the archiver could not read back', () => {
    const open = s('2022-06-20-10-00-00');
    assert.throws(() => rotatedName({ stream: 'a__b', open, close: open, suffix: null, ext: '.log' }), /cannot be written/);
    assert.throws(() => rotatedName({ stream: 'conn', open, close: open, suffix: 'w=1', ext: '.log' }), /log_suffix/);
    assert.throws(() => rotatedName({ stream: 'conn', open, close: open, suffix: 'w__1', ext: '.log' }), /log_suffix/);
  });

  it('formats stamps in local time, as Zeek\'s strftime does', () => {
    const d = new Date(2022, 5, 20, 9, 5, 7);
    assert.equal(formatStamp(stampOf(d)), '2022-06-20-09-05-07');
    assert.equal(parseStamp('2024-02-29-23-59-60')?.second, 60);
    assert.equal(parseStamp('2023-02-29-00-00-00'), null);
  });

  it('adds log_suffix only when several nodes share the queue, and never an unusable one', () => {
    assert.equal(logSuffixFor('logger', 1), null);
    assert.equal(logSuffixFor('worker-1', 3), 'worker-1');
    const warnings: string[] = [];
    assert.equal(logSuffixFor('w__1', 3, (m) => warnings.push(m)), null);
    assert.match(warnings[0], /Invalid log_metadata: k='log_suffix' v='w__1'/);
  });
});

describe('logs: schedule and settings', () => {
  it('aligns rotation to multiples of the interval from local midnight', () => {
    const at = (h: number, m: number, sec: number, ms = 0) => new Date(2022, 5, 20, h, m, sec, ms).getTime();
    assert.equal(nextRotationAt(at(10, 17, 3), 3600), at(11, 0, 0));
    assert.equal(nextRotationAt(at(11, 0, 0), 3600), at(12, 0, 0));
    assert.equal(nextRotationAt(at(10, 17, 3, 500), 2), at(10, 17, 4));
    assert.equal(nextRotationAt(at(23, 59, 59, 999), 3600), new Date(2022, 5, 21, 0, 0, 0).getTime());
  });

  it('rotates hourly under management unless Log::default_rotation_interval is set', () => {
    assert.equal(effectiveRotationInterval({ 'Log::default_rotation_interval': 0 }, []), 3600);
    assert.equal(effectiveRotationInterval({ 'Log::default_rotation_interval': 2 }, ['Log::default_rotation_interval']), 2);
    assert.equal(effectiveRotationInterval({ 'Log::default_rotation_interval': 0 }, ['Log::default_rotation_interval']), 0);
  });

  it('derives the agent\'s archival settings with Zeek\'s names and defaults', () => {
    const d = archivalSettings(Settings.resolve({ env: {}, baseDir: '/srv/zeek' }));
    assert.deepEqual(d, { enabled: true, intervalSec: 3600, cmd: '', queueDir: '/srv/zeek/spool/log-queue', archiveDir: '/srv/zeek/logs' });
    const e = archivalSettings(Settings.resolve({
      env: { ZEEK_MANAGEMENT_SPOOL_DIR: '/var/spool/zm' }, baseDir: '/srv/zeek',
      args: ['Management::Agent::archive_logs=F', 'Log::default_rotation_interval=10 secs', 'Management::Agent::archive_dir=/data/logs', 'Management::Agent::archive_cmd=/usr/local/bin/zeek-archiver -v'],
    }));
    assert.deepEqual(e, { enabled: false, intervalSec: 10, cmd: '/usr/local/bin/zeek-archiver -v', queueDir: '/var/spool/zm/log-queue', archiveDir: '/data/logs' });
    const f = archivalSettings(Settings.resolve({ env: {}, args: ['Log::default_rotation_interval=10 secs', 'Management::Agent::archive_interval=1 min'] }));
    assert.equal(f.intervalSec, 60);
    const g = archivalSettings(Settings.resolve({ env: {}, args: ['Log::default_rotation_interval=0 secs'] }));
    assert.equal(g.intervalSec, 0, 'no rotation, no archival');
  });
});
