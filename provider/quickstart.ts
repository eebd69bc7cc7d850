// The quickstart through the Pulumi provider's code path, without the Pulumi CLI: starts
// an all-in-one `zeek-mgmt run` with emulated nodes, then does what `pulumi up` does with
// a ZeekCluster resource (check, then create, through the same serializable provider
// Pulumi ships in the state), shows the nodes, does what `pulumi preview` does (check,
// diff: no changes), and what `pulumi destroy` does (delete), and stops.
//
// Usage: node dist/provider/quickstart.js [--controller HOST:PORT] [--ini FILE] [--keep]
//   --controller  use a running controller instead of starting zeek-mgmt run
//   --ini         deploy this cluster configuration instead of the documentation's mini config
//   --keep        leave the cluster deployed (and zeek-mgmt run running, until Ctrl-C)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterInputs, ClusterOutputs } from './inputs';
import { controllerOrLocalCluster } from './local-cluster';
import { serializableProvider as provider } from './serializable-provider';

interface Options { controller?: string; ini?: string; keep: boolean }

function options(argv: string[]): Options {
  const o: Options = { keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--controller') o.controller = value();
    else if (a === '--ini') o.ini = value();
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node dist/provider/quickstart.js [--controller HOST:PORT] [--ini FILE] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** The documentation's mini configuration (a manager, a logger, two workers on this host's agent). */
function miniConfiguration(): ClusterInputs {
  const second = fs.existsSync('/sys/class/net/eth0') ? 'eth0' : 'lo';
  return {
    nodes: {
      manager: { role: 'manager' },
      logger: { role: 'logger' },
      'worker-01': { role: 'worker', interface: 'lo' },
      'worker-02': { role: 'worker', interface: second },
    },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => '  ' + r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

function nodesTable(outs: ClusterOutputs): string {
  const rows = [['NODE', 'INSTANCE', 'ROLE', 'STATE', 'PID', 'PORT', 'METRICS', 'DEPLOYED']];
  for (const [name, s] of Object.entries(outs.nodeStatus)) {
    const r = outs.results[name];
    rows.push([name, s.instance, s.cluster_role ?? s.mgmt_role ?? '-', s.state, String(s.pid ?? '-'), String(s.port ?? '-'),
      String(s.metrics_port ?? '-'), r === undefined ? '-' : r.success ? 'ok' : `FAILED: ${(r.stderr ?? '').trim()}`]);
  }
  return table(rows);
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const say = (s: string): void => { process.stdout.write(`${s}\n`); };
  const t0 = Date.now();
  const { host, port, cluster: run } = await controllerOrLocalCluster(o.controller, { keepDir: o.keep });
  if (run) say(`zeek-mgmt run (pid ${run.pid}) is up in ${Date.now() - t0} ms: controller ${host}:${port}, agent ${run.agentName}, state in ${run.dir}`);
  else say(`using the controller at ${host}:${port}`);
  try {
    const config: ClusterInputs = o.ini !== undefined ? { iniFile: path.resolve(o.ini) } : miniConfiguration();
    const program = { ...config, controller: { host, port } };

    say('\npulumi up: check, then create (stage + deploy)');
    const checked = await provider.check({}, program);
    if (checked.failures && checked.failures.length > 0) {
      for (const f of checked.failures) say(`  check failure${f.property ? ` (${f.property})` : ''}: ${f.reason}`);
      return 1;
    }
    const t1 = Date.now();
    const created = await provider.create(checked.inputs);
    const outs = created.outs as ClusterOutputs;
    say(`  ZeekCluster ${created.id}: configuration ${outs.configurationId} deployed in ${Date.now() - t1} ms`);
    say(nodesTable(outs));

    say('\npulumi preview: check, then diff against the deployed configuration');
    const again = await provider.check(checked.inputs, program);
    const d = await provider.diff(created.id, outs, again.inputs);
    say(`  ${d.changes ? 'changes pending' : 'no changes'} (ports the controller assigned do not count)`);

    if (o.keep) {
      say(`\nleft deployed; ${run ? 'Ctrl-C stops zeek-mgmt run' : 'done'}`);
      if (run) {
        await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      }
      return 0;
    }
    say('\npulumi destroy: delete (deploys the empty configuration)');
    await provider.delete(created.id, outs);
    say('  the agents stood down');
    return 0;
  } finally {
    if (run) await run.stop();
  }
}

main().then((code) => { process.exitCode = code; }, (err: Error) => {
  process.stderr.write(`quickstart failed: ${err.message}\n`);
  process.exitCode = 1;
});
