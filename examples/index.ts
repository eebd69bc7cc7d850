// The Pulumi program Pulumi.yaml points at. It deploys one of the examples, chosen by the
// stack configuration `zeek-mgmt:example` (mini, full, sensors or ini; default mini):
//
//   pulumi config set zeek-mgmt:controller 127.0.0.1:2149
//   pulumi config set zeek-mgmt:example sensors
//   pulumi up

import * as pulumi from '@pulumi/pulumi';
import { fullCluster } from './full';
import { iniCluster } from './from-ini';
import { miniCluster } from './mini';
import { sensorCluster } from './sensors';

const programs = { mini: miniCluster, full: fullCluster, sensors: sensorCluster, ini: iniCluster } as const;
const which = new pulumi.Config('zeek-mgmt').get('example') ?? 'mini';
if (!Object.prototype.hasOwnProperty.call(programs, which)) {
  throw new Error(`zeek-mgmt:example is "${which}"; choose one of ${Object.keys(programs).join(', ')}`);
}
const cluster = programs[which as keyof typeof programs]();

export const configurationId = cluster.configurationId;
export const deployedNodes = cluster.deployed.apply((d) => d.nodes);
export const results = cluster.results;
export const nodeStatus = cluster.nodeStatus;
