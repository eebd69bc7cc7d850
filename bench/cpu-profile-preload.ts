// Preloaded (`NODE_OPTIONS=--require .../cpu-profile-preload.js`, which is allowed where
// --cpu-prof is not) into the processes a bench wants profiled: starts V8's sampling
// profiler through node:inspector and, when the process exits, writes the profile as
// `<role>-<pid>.cpuprofile` (Chrome DevTools' format) into ZEEK_MGMT_BENCH_PROFILE_DIR.
// Emulated nodes (CLUSTER_NODE set) are left alone unless ZEEK_MGMT_BENCH_PROFILE_NODES=1.

import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';

const dir = process.env.ZEEK_MGMT_BENCH_PROFILE_DIR;
const isNode = process.env.CLUSTER_NODE !== undefined;
if (dir && (!isNode || process.env.ZEEK_MGMT_BENCH_PROFILE_NODES === '1')) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  const script = process.argv[1] ?? '';
  const role = isNode ? `node-${process.env.CLUSTER_NODE}`
    : script.includes('controller/main') ? 'controller' : script.includes('agent/main') ? 'agent' : script.includes('framework/run') ? 'supervisor' : path.basename(script, '.js') || 'process';
  // An in-thread Session answers synchronously, so this works in an 'exit' handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
