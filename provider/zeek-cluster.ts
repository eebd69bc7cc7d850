// ZeekCluster: a Zeek cluster configuration, deployed through a Management controller, as
// a Pulumi resource.
//
//   const cluster = new ZeekCluster('sensors', {
//     nodes: {
//       manager: { role: 'manager' },
//       logger: { role: 'logger' },
//       'worker-01': { role: 'worker', interface: 'eth0' },
//     },
//   });
//
// The controller connection comes from the `controller` input, else from the stack
// configuration (`zeek-mgmt:controller` = "host:port", `zeek-mgmt:certificate`,
// `zeek-mgmt:keyfile`, `zeek-mgmt:cafile`, `zeek-mgmt:capath`, and the secret
// `zeek-mgmt:passphrase`), else 127.0.0.1:2149.

import * as pulumi from '@pulumi/pulumi';
import { parseControllerAddress } from './inputs';
import { CanonicalConfiguration, CanonicalInstance, CanonicalNode, NodeDeployResult, NodeStatusOutput } from './shapes';
import { serializableProvider } from './serializable-provider';

export interface ZeekClusterTlsArgs {
  certificate?: pulumi.Input<string>;
  keyfile?: pulumi.Input<string>;
  cafile?: pulumi.Input<string>;
  capath?: pulumi.Input<string>;
}

export interface ZeekClusterControllerArgs {
  host?: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  /** wss:// with these settings (an empty object: TLS without a client certificate). */
  tls?: pulumi.Input<ZeekClusterTlsArgs>;
  peeringAttempts?: pulumi.Input<number>;
  peeringRetryDelaySecs?: pulumi.Input<number>;
  requestTimeoutSecs?: pulumi.Input<number>;
}

export interface ZeekClusterInstanceArgs {
  /** The agent's address when the controller connects to it. */
  host?: pulumi.Input<string>;
  listen_port?: pulumi.Input<number>;
}

export interface ZeekClusterNodeArgs {
  /** When no node names an instance, all run on "agent-<hostname>". */
  instance?: pulumi.Input<string>;
  /** manager, logger, proxy or worker (any case). */
  role: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  metrics_port?: pulumi.Input<number>;
  scripts?: pulumi.Input<pulumi.Input<string>[]>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  interface?: pulumi.Input<string>;
  cpu_affinity?: pulumi.Input<number>;
  options?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface ZeekClusterArgs {
  controller?: pulumi.Input<ZeekClusterControllerArgs>;
  /** Passphrase of the TLS key file; defaults to the secret `zeek-mgmt:passphrase`. */
  keyPassphrase?: pulumi.Input<string>;
  /** Pin the configuration id; otherwise every deployment draws a fresh UUID, as zeek-client does. */
  configurationId?: pulumi.Input<string>;
  /** Typed configuration: instances keyed by name (optional, as in an .ini). */
  instances?: pulumi.Input<Record<string, pulumi.Input<ZeekClusterInstanceArgs>>>;
  /** Typed configuration: nodes keyed by node name. */
  nodes?: pulumi.Input<Record<string, pulumi.Input<ZeekClusterNodeArgs>>>;
  /** Or: the path of a zeek-client cluster configuration (.ini) file. */
  iniFile?: pulumi.Input<string>;
  /** Or: the text of one. */
  iniText?: pulumi.Input<string>;
}

/** The controller connection the stack configuration gives (namespace "zeek-mgmt"). */
function controllerFromStack(): { controller?: ZeekClusterControllerArgs; passphrase?: pulumi.Output<string> } {
  const cfg = new pulumi.Config('zeek-mgmt');
  const out: { controller?: ZeekClusterControllerArgs; passphrase?: pulumi.Output<string> } = {};
  const controller: ZeekClusterControllerArgs = {};
  const addr = cfg.get('controller');
  if (addr) Object.assign(controller, parseControllerAddress(addr));
  const tls: ZeekClusterTlsArgs = {};
  for (const k of ['certificate', 'keyfile', 'cafile', 'capath'] as const) {
    const v = cfg.get(k);
    if (v) tls[k] = v;
  }
  if (Object.keys(tls).length > 0) controller.tls = tls;
  if (Object.keys(controller).length > 0) out.controller = controller;
  const passphrase = cfg.getSecret('passphrase');
  if (passphrase !== undefined) out.passphrase = passphrase;
  return out;
}

export class ZeekCluster extends pulumi.dynamic.Resource {
  /** The controller connection in use (defaults filled in). */
  declare public readonly controller: pulumi.Output<{ host: string; port: number }>;
  /** The desired configuration in canonical form: instances and nodes keyed by name. */
  declare public readonly instances: pulumi.Output<Record<string, CanonicalInstance>>;
  declare public readonly nodes: pulumi.Output<Record<string, CanonicalNode>>;
  /** The id of the deployed configuration. */
  declare public readonly configurationId: pulumi.Output<string>;
  /** The deployed configuration as the controller reports it, auto-assigned ports included. */
  declare public readonly deployed: pulumi.Output<CanonicalConfiguration & { id: string }>;
  /** Per-node results of the last deployment. */
  declare public readonly results: pulumi.Output<Record<string, NodeDeployResult>>;
  /** Node status (cluster nodes, agents, the controller) at the last create, update or refresh. */
  declare public readonly nodeStatus: pulumi.Output<Record<string, NodeStatusOutput>>;

  constructor(name: string, args: ZeekClusterArgs, opts?: pulumi.CustomResourceOptions) {
    const stack = controllerFromStack();
    const passphrase = args.keyPassphrase !== undefined ? pulumi.secret(args.keyPassphrase) : stack.passphrase;
    const props: Record<string, unknown> = {
      ...args,
      controller: args.controller ?? stack.controller,
      keyPassphrase: passphrase,
      instances: args.instances,
      nodes: args.nodes,
      // Outputs, unknown until the provider reports them.
      configurationId: args.configurationId,
      deployed: undefined,
      results: undefined,
      nodeStatus: undefined,
    };
    super(serializableProvider, name, props, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), 'keyPassphrase'],
    }, 'zeek-mgmt', 'ZeekCluster');
  }
}
