// The layout stays true: no import crosses a layer the wrong way (ARCHITECTURE.md, "Layers").

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { layerOf, layerViolations, readTree, specifiersOf } from './helpers/layers';

const ROOT = path.resolve(__dirname, '..');

describe('layers', () => {
  it('no file of sdk/, framework/, cli/, provider/ or examples/ imports across a layer the wrong way', () => {
    const tree = readTree(ROOT);
    assert.ok(tree.size > 100, `read ${tree.size} files`);
    const found = layerViolations(tree).map((v) => `${v.file}: '${v.specifier}' (${v.reason})`);
    assert.deepEqual(found, []);
  });

  it('every source file of sdk/, framework/, cli/ and provider/ is in a layer', () => {
    const outside = [...readTree(ROOT).keys()].filter((f) => !f.startsWith('examples/') && layerOf(f) === null);
    assert.deepEqual(outside, []);
  });

  it('reads static, dynamic, require and re-export specifiers', () => {
    const src = [
      "import { a } from '../a';",
      'import type { B } from "./b";',
      "export * from './c';",
      "const d = require('../../d') as typeof import('../../d');",
      "import './e';",
      "const f = await import('node:fs');",
    ].join('\n');
    assert.deepEqual(specifiersOf(src), ['../a', './b', './c', '../../d', '../../d', './e', 'node:fs']);
  });

  it('names the wrong-way imports it is shown', () => {
    const tree = new Map([
      ['sdk/index.ts', "export * from './model/schemas';\nexport * from '../cli/main';"],
      ['sdk/model/records.ts', "import { y } from '../transport/topics';\nimport { z } from '../broker/data';"],
      ['sdk/config/x.ts', "const r = require('../../framework/run');"],
      ['provider/p.ts', "import { q } from '../cli/plan-report';\nimport { ok } from '../sdk/plan/diff';"],
      ['cli/c.ts', "import { a } from '../framework/agent/agent';\nimport { run } from '../framework/run';\nimport { p } from '../provider/index';"],
      ['framework/agent/a.ts', "import { c } from '../../cli/output';\nimport { s } from '../../sdk/model/schemas';"],
      ['examples/e.ts', "import { Z } from '../provider/zeek-cluster';\nimport { Y } from 'zeek-mgmt/pulumi';\nimport { W } from 'zeek-mgmt/dist/sdk';"],
    ]);
    const found = layerViolations(tree).map((v) => `${v.file} -> ${v.target}`);
    assert.deepEqual(found, [
      'sdk/index.ts -> cli/main.ts',
      'sdk/model/records.ts -> sdk/transport/topics.ts',
      'sdk/config/x.ts -> framework/run.ts',
      'provider/p.ts -> cli/plan-report.ts',
      'cli/c.ts -> framework/agent/agent.ts',
      'cli/c.ts -> provider/index.ts',
      'framework/agent/a.ts -> cli/output.ts',
      'examples/e.ts -> provider/zeek-cluster.ts',
      'examples/e.ts -> zeek-mgmt/dist/sdk',
    ]);
  });
});
