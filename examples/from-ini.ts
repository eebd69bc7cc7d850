// Deploys an existing zeek-client cluster configuration file. The file is read (and
// validated) at preview time, so `pulumi preview --diff` shows its nodes one by one.
//
//   pulumi config set zeek-mgmt:iniFile /etc/zeek/cluster.ini

import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { ZeekCluster } from 'zeek-mgmt/pulumi';

export const DEFAULT_INI = path.join(__dirname, 'clusters', 'mini.ini');

export function iniCluster(name = 'from-ini', iniFile?: string): ZeekCluster {
  const file = iniFile ?? new pulumi.Config('zeek-mgmt').get('iniFile') ?? DEFAULT_INI;
  return new ZeekCluster(name, { iniFile: path.resolve(file) });
}
