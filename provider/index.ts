// The `zeek-mgmt/pulumi` entry point: the ZeekCluster resource and the types of its inputs
// and outputs, for Pulumi programs.
//
//   import { ZeekCluster } from 'zeek-mgmt/pulumi';

export { ZeekCluster } from './zeek-cluster';
export type {
  ZeekClusterArgs, ZeekClusterControllerArgs, ZeekClusterInstanceArgs, ZeekClusterNodeArgs, ZeekClusterTlsArgs,
} from './zeek-cluster';
export type {
  CanonicalConfiguration, CanonicalInstance, CanonicalNode, NodeDeployResult, NodeStatusOutput,
} from './shapes';
