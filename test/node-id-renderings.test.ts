// Renderings of get_id_value values that Zeek 8.0.9's to_json() was seen to produce
// (intervals as IntervalVal describes them), checked without a Zeek.

import { strict as assert } from 'node:assert';
import { describeDouble, describeInterval } from '../framework/node/id-values';

describe('get_id_value renderings as Zeek 8.0.9 writes them', () => {
  it('intervals: units from days to microseconds, plural unless exactly one', () => {
    const cases: Array<[number, string]> = [
      [0, '0 secs'], [3600, '1.0 hr'], [86400, '1.0 day'], [30, '30.0 secs'], [90, '1.0 min 30.0 secs'], [172800, '2.0 days'],
      [-1, '-1.0 sec'], [0.1, '100.0 msecs'], [1e-6, '1.0 usec'], [3601, '1.0 hr 1.0 sec'], [90000, '1.0 day 1.0 hr'],
      [1e-7, '0.1 usecs'], [3 * 86400 + 7200 + 5.5, '3.0 days 2.0 hrs 5.0 secs 500.0 msecs'], [1.23456789e-6, '1.234568 usecs'],
      [86400 * 1e9, '1000000000.0 days'], [-90061.5, '-1.0 day -1.0 hr -1.0 min -1.0 sec -500.0 msecs'], [1.5e-6, '1.5 usecs'],
    ];
    for (const [secs, text] of cases) assert.equal(describeInterval(secs), text, `${secs} s`);
  });

  it('doubles in descriptions: six decimals at most, whole numbers with .0', () => {
    assert.equal(describeDouble(1), '1.0');
    assert.equal(describeDouble(0.1234567), '0.123457');
    assert.equal(describeDouble(-2.5), '-2.5');
    assert.equal(describeDouble(3e9), '3.000000e+09');
  });
});
