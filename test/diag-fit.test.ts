// What the Supervisor sends of node diagnostics when they are large (fitDiagnostics): long
// lines are cut with a note of how much, and an answer beyond its byte budget keeps the
// most recent lines of every stream, as many as fit.

import { strict as assert } from 'node:assert';
import { DIAGNOSTICS_LINE_CHARS, fitDiagnostics } from '../framework/supervisor/supervisor';
import { NodeDiagnostics } from '../sdk/model/diagnostics';

function node(name: string, lines: string[]): NodeDiagnostics {
  return {
    node: name, instance: '', cluster_role: 'WORKER', mgmt_role: 'NONE', state: 'RUNNING', pid: 1, started: 1, next_start: null, restarts: 1,
    directory: null, stdout_file: null, stderr_file: null, stdout: lines, stderr: lines,
    last_exit: { time: 1, code: 1, signal: null, ran: 1, stdout: lines, stderr: lines },
  };
}

describe('node diagnostics that do not fit', () => {
  it('leaves what fits as it is', () => {
    const list = [node('a', ['one', 'two'])];
    assert.deepEqual(fitDiagnostics(list, 1 << 20), list);
  });

  it('cuts a long line, saying how much was cut', () => {
    const long = 'x'.repeat(DIAGNOSTICS_LINE_CHARS + 10);
    const [d] = fitDiagnostics([node('a', [long, 'short'])], 1 << 20);
    assert.equal(d.stderr[0], `${'x'.repeat(DIAGNOSTICS_LINE_CHARS)} [... 10 more characters]`);
    assert.equal(d.stderr[1], 'short');
    assert.equal(d.last_exit!.stdout[0].length, d.stderr[0].length);
  });

  it('keeps the most recent lines of every stream when over the budget', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'y'.repeat(200)}`);
    const list = Array.from({ length: 20 }, (_, i) => node(`n${i}`, lines));
    const budget = 200_000;
    assert.ok(JSON.stringify(list).length > budget);
    const out = fitDiagnostics(list, budget);
    assert.ok(Buffer.byteLength(JSON.stringify(out)) <= budget);
    const kept = out[0].stderr.length;
    assert.ok(kept >= 1 && kept < 100, String(kept));
    for (const d of out) {
      for (const l of [d.stdout, d.stderr, d.last_exit!.stdout, d.last_exit!.stderr]) assert.deepEqual(l, lines.slice(-kept));
    }
  });
});
