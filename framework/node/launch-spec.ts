// What a cluster node process is told at launch, written by the Supervisor as JSON into
// the node's directory (the emulated runtime reads it; the zeek runtime turns it into
// cluster-layout.zeek and a command line). It carries what a real Zeek node gets from
// the Supervisor: its name, the cluster layout, interface and scripts, plus the values
// of the global settings nodes share with the Supervisor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterEndpoint } from '../supervisor/records';
import type { SettingValue } from '../settings/types';

export const LAUNCH_FILE = '.zeek-mgmt-node.json';
export const LAUNCH_ENV = 'ZEEK_MGMT_NODE_LAUNCH';

export interface NodeLaunchSpec {
  /** Cluster::node */
  name: string;
  directory: string;
  interface: string | null;
  pcap_file: string | null;
  /** addl_user_scripts, in load order. */
  scripts: string[];
  /** The Supervisor's cluster table: every node of the cluster. */
  cluster: Record<string, ClusterEndpoint>;
  /** Values of the node-visible settings (see settings/registry.ts `node`). */
  globals: Record<string, SettingValue>;
  /** Which of those were set explicitly rather than defaulted. */
  explicitGlobals: string[];
  /** Where the node checks in: Management::Agent::endpoint_info()$network. */
  agent: { host: string; port: number };
  /** Set by an emulated node at start-up: identifiers its site's scripts set, as JSON text (node/emulated/script-redefs.ts). */
  siteValues?: Record<string, string>;
}

export function writeLaunchSpec(spec: NodeLaunchSpec): string {
  const file = path.join(spec.directory, LAUNCH_FILE);
  // Compact: with the whole cluster layout in every node's file, indentation made it a third larger.
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

export function readLaunchSpec(file: string): NodeLaunchSpec {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as NodeLaunchSpec;
  if (typeof spec.name !== 'string' || typeof spec.cluster !== 'object' || spec.cluster === null) {
    throw new Error(`${file} is not a node launch description`);
  }
  return spec;
}
