// Entry point of an emulated cluster node process, started by the Supervisor with
// ZEEK_MGMT_NODE_LAUNCH naming its launch description (see ../launch-spec.ts).
// Exits 1 with Zeek's "fatal error: ..." on stderr where Zeek would not start.

import { LAUNCH_ENV, readLaunchSpec } from '../launch-spec';
import { EmulatedNode, FatalError } from './node';

function fatal(msg: string): never {
  process.stderr.write(msg + '\n');
  process.exit(1);
}

async function main(): Promise<void> {
  const file = process.env[LAUNCH_ENV];
  if (!file) fatal(`fatal error: ${LAUNCH_ENV} is not set; emulated nodes are started by the zeek-mgmt Supervisor`);
  let node: EmulatedNode;
  try {
    node = new EmulatedNode(readLaunchSpec(file));
    node.check();
    await node.start();
  } catch (err) {
    fatal(err instanceof FatalError ? err.message : `fatal error: ${(err as Error).message}`);
  }
  const stop = (): void => {
    node.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
