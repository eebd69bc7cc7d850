// Entry point of an emulated cluster node process, started by the Supervisor with
// ZEEK_MGMT_NODE_LAUNCH naming its launch description (see ../launch-spec.ts).
// Exits 1 with Zeek's "fatal error: ..." on stderr where Zeek would not start.
// The Supervisor runs this file, or the start-up snapshot built from it
// (snapshot-entry.ts), which calls main() once the snapshot is deserialized.

import { LAUNCH_ENV, readLaunchSpec } from '../launch-spec';
import { EmulatedNode, FatalError } from './node';

function fatal(msg: string): never {
  process.stderr.write(msg + '\n');
  process.exit(1);
}

export async function main(): Promise<void> {
  const file = process.env[LAUNCH_ENV];
  if (!file) fatal(`fatal error: ${LAUNCH_ENV} is not set; emulated nodes are started by the zeek-mgmt Supervisor`);
  let node: EmulatedNode | null = null;
  // In place before the node writes its first log or opens a port, so that a SIGTERM at any
  // point after that stops it cleanly (logs closed and rotated) rather than killing it.
  const stop = (): void => {
    node?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    node = new EmulatedNode(readLaunchSpec(file));
    node.check();
    await node.start();
  } catch (err) {
    fatal(err instanceof FatalError ? err.message : `fatal error: ${(err as Error).message}`);
  }
}

if (require.main === module) void main();
