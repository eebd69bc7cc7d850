// Config file bench: a 1,000-node cluster configuration (bench/codec.ts's) rendered to and
// read back from .ini (as get-config prints / stage-config reads it) and JSON
// (get-config --as-json, and our JSON input).
//
// Usage: node dist/bench/config-files.js [--iterations N] [--nodes N]

import { deepStrictEqual } from 'node:assert';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { parseConfigurationJson } from '../sdk/config/configuration-from-json';
import { configurationToIni } from '../sdk/config/configuration-to-ini';
import { configurationToJson } from '../sdk/config/configuration-to-json';
import { Configuration } from '../sdk/model/schemas';
import { buildConfiguration } from './codec';
import { readOptions } from './options';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMs(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(20, iterations); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

function sortedByName(c: Configuration): Configuration {
  const by = <T extends { name: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...c, instances: by(c.instances), nodes: by(c.nodes) };
}

function main(): void {
  const o = readOptions({ iterations: 'count', nodes: 'count' }, { iterations: 100, nodes: 1000 });
  const iterations = o.iterations;
  const cfg = buildConfiguration(o.nodes);
  const opts = { id: cfg.id, hostname: 'bench' };

  // Correctness first. .ini has no place for node options, and zeek-client lowercases
  // instance names and sorts scripts; the rest must survive.
  const ini = configurationToIni(cfg);
  const fromIni = parseConfigurationIni(ini, opts);
  deepStrictEqual(sortedByName(fromIni), sortedByName({
    ...cfg,
    instances: cfg.instances.map((i) => ({ ...i, name: i.name.toLowerCase(), host: i.listen_port === null ? '0.0.0.0' : i.host })),
    nodes: cfg.nodes.map((n) => ({ ...n, options: null, scripts: n.scripts && [...n.scripts].sort() })),
  }));
  const json = configurationToJson(cfg);
  deepStrictEqual(parseConfigurationJson(json, opts), sortedByName(cfg));

  const f = (x: number): string => x.toFixed(2).padStart(7);
  console.log(`config file bench: ${cfg.nodes.length} nodes, ${cfg.instances.length} instances, median of ${iterations} (Node ${process.version})`);
  console.log(`  .ini  ${String(Buffer.byteLength(ini)).padStart(8)} bytes   render ${f(timeMs(() => configurationToIni(cfg), iterations))} ms   parse ${f(timeMs(() => parseConfigurationIni(ini, opts), iterations))} ms`);
  console.log(`  JSON  ${String(Buffer.byteLength(json)).padStart(8)} bytes   render ${f(timeMs(() => configurationToJson(cfg), iterations))} ms   parse ${f(timeMs(() => parseConfigurationJson(json, opts), iterations))} ms`);
}

if (require.main === module) main();
