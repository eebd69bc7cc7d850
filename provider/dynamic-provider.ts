// The ZeekCluster dynamic provider: check, diff, create, read, update and delete of a
// cluster configuration on a Management controller.
//
//   check  - the inputs' shape, the configuration built from them (typed, or .ini path or
//            text), and the controller's own validation (shared code), as check failures;
//            returns the inputs with canonical instance and node maps added.
//   diff   - desired against the deployed configuration the last operation saw,
//            normalised; another controller (host or port) is a replacement.
//   create - stage, then deploy; validation errors and failing nodes fail the operation.
//   read   - the deployed configuration and node status, and inputs matching them.
//   update - like create, but nothing is deployed when the live configuration already
//            matches.
//   delete - deploys the empty configuration, which stands the agents down.
//
// Every operation opens its own connection and closes it before returning: the provider
// holds no live handle between calls. This module is what the serialized provider
// (serializable-provider.ts) requires inside each method; it never loads @pulumi/pulumi.

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult,
} from '@pulumi/pulumi/dynamic';
import { ControllerClient, retriesLikeZeekClient } from '../sdk/client/controller-client';
import { configurationOf, nodeOutputsOf, nodeStatusesOf } from '../sdk/client/result-data';
import { ConfigFileError } from '../sdk/config/config-file-error';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { Result } from '../sdk/model/records';
import { Configuration } from '../sdk/model/schemas';
import { formatHost } from '../sdk/transport/endpoint-client';
import { validateConfiguration } from '../sdk/validation/configuration';
import {
  CanonicalConfiguration, CanonicalNode, CheckedInputs, ClusterInputsSchema, ClusterOutputs, containsUnknown, ControllerInput,
  controllerId, DEFAULT_CONTROLLER, NodeDeployResult, NodeStatusOutput, parseControllerAddress, PROVIDER_KEY,
  ResolvedController, TlsInput,
} from './inputs';
import { diffConfigurations } from '../sdk/plan/diff';
import { configurationSite, withoutSiteEnv } from '../sdk/site/apply';
import { packSite } from '../sdk/site/site';
import { checkSite, CheckedSite, siteChangeLines, siteFilesFor, withCheckedSite } from './site';
import {
  canonicalConfiguration, configurationFromCanonical, configurationFromTyped, ConfigurationInputError, describeChanges,
  inputsFromDeployed,
} from './normalize';

// ---- stack configuration ---------------------------------------------------------

/** Stack configuration keys the provider reads (namespace "zeek-mgmt", as zeek-client's settings). */
export const STACK_CONFIG_KEYS = {
  controller: 'zeek-mgmt:controller',
  certificate: 'zeek-mgmt:certificate',
  keyfile: 'zeek-mgmt:keyfile',
  cafile: 'zeek-mgmt:cafile',
  capath: 'zeek-mgmt:capath',
  passphrase: 'zeek-mgmt:passphrase',
} as const;

interface StackDefaults {
  host?: string;
  port?: number;
  tls?: TlsInput;
  passphrase?: string;
}

/** Defaults from the stack configuration, set by configure() (once per provider process). */
let stackDefaults: StackDefaults = {};

export function stackDefaultsFrom(get: (key: string) => string | undefined): StackDefaults {
  const out: StackDefaults = {};
  const controller = get(STACK_CONFIG_KEYS.controller);
  if (controller) Object.assign(out, parseControllerAddress(controller));
  const tls: TlsInput = {};
  for (const k of ['certificate', 'keyfile', 'cafile', 'capath'] as const) {
    const v = get(STACK_CONFIG_KEYS[k]);
    if (v) tls[k] = v;
  }
  if (Object.keys(tls).length > 0) out.tls = tls;
  const passphrase = get(STACK_CONFIG_KEYS.passphrase);
  if (passphrase) out.passphrase = passphrase;
  return out;
}

async function configure(req: ConfigureRequest): Promise<void> {
  stackDefaults = stackDefaultsFrom((k) => req.config.get(k));
}

/** The connection with its defaults: the input, else the stack configuration, else 127.0.0.1:2149. */
export function resolveController(input: ControllerInput | undefined): ResolvedController {
  const out: ResolvedController = {
    host: input?.host ?? stackDefaults.host ?? DEFAULT_CONTROLLER.host,
    port: input?.port ?? stackDefaults.port ?? DEFAULT_CONTROLLER.port,
  };
  const tls = input?.tls ?? stackDefaults.tls;
  if (tls !== undefined) out.tls = { ...tls };
  if (input?.peeringAttempts !== undefined) out.peeringAttempts = input.peeringAttempts;
  if (input?.peeringRetryDelaySecs !== undefined) out.peeringRetryDelaySecs = input.peeringRetryDelaySecs;
  if (input?.requestTimeoutSecs !== undefined) out.requestTimeoutSecs = input.requestTimeoutSecs;
  return out;
}

// ---- inputs ----------------------------------------------------------------------

type Bag = Record<string, unknown>;

function withoutProviderKey(v: Bag | undefined): Bag {
  const out: Bag = { ...(v ?? {}) };
  delete out[PROVIDER_KEY];
  return out;
}

/** Drops undefined members (gRPC's Struct has no undefined) and copies. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const CONFIG_SOURCES = 'give the cluster configuration as nodes (and instances), as iniFile, or as iniText';

/**
 * Builds the checked inputs, or the reasons they are unusable. `news` are the program's
 * inputs, or (alreadyChecked) inputs an earlier check returned: those hold the canonical
 * instances and nodes next to the .ini they came from, and the canonical maps are used
 * as they are, so that create and update deploy exactly what check saw.
 */
export function checkInputs(news: Bag, alreadyChecked = false): { inputs?: CheckedInputs; failures: CheckFailure[] } {
  const parsed = ClusterInputsSchema.safeParse(withoutProviderKey(news));
  if (!parsed.success) {
    return {
      failures: parsed.error.issues.map((i) => ({
        property: typeof i.path[0] === 'string' ? i.path[0] : '',
        reason: i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message,
      })),
    };
  }
  const inp = parsed.data;
  const typed = inp.nodes !== undefined || inp.instances !== undefined;
  const fromIni = inp.iniFile !== undefined || inp.iniText !== undefined;
  const derived = alreadyChecked && typed && fromIni;
  const sources = derived ? 1 : [typed, inp.iniFile !== undefined, inp.iniText !== undefined].filter(Boolean).length;
  if (sources !== 1) {
    return { failures: [{ property: '', reason: sources === 0 ? `no cluster configuration: ${CONFIG_SOURCES}` : `more than one cluster configuration: ${CONFIG_SOURCES}` }] };
  }

  let config: Configuration;
  try {
    if (typed) config = configurationFromTyped('check', inp.instances, inp.nodes ?? {});
    else if (inp.iniFile !== undefined) {
      let text: string;
      try {
        text = fs.readFileSync(path.resolve(inp.iniFile), 'utf8');
      } catch (err) {
        return { failures: [{ property: 'iniFile', reason: `cannot read cluster configuration "${inp.iniFile}": ${(err as Error).message}` }] };
      }
      config = parseConfigurationIni(text, { fileName: inp.iniFile, id: 'check' });
    } else config = parseConfigurationIni(inp.iniText as string, { fileName: '<iniText>', id: 'check' });
  } catch (err) {
    if (err instanceof ConfigurationInputError) return { failures: [{ property: err.property, reason: err.message }] };
    if (err instanceof ConfigFileError) return { failures: [{ property: inp.iniFile !== undefined ? 'iniFile' : 'iniText', reason: err.message }] };
    throw err;
  }

  const errors = validateConfiguration(config);
  if (errors.length > 0) return { failures: errors.map((reason) => ({ property: '', reason })) };

  const canon = canonicalConfiguration(config);
  const out: CheckedInputs = { controller: resolveController(inp.controller), instances: canon.instances, nodes: canon.nodes };
  if (inp.keyPassphrase !== undefined) out.keyPassphrase = inp.keyPassphrase;
  if (inp.configurationId !== undefined) out.configurationId = inp.configurationId;
  if (inp.iniFile !== undefined) out.iniFile = inp.iniFile;
  if (inp.iniText !== undefined) out.iniText = inp.iniText;
  if (inp.site !== undefined) {
    try {
      const { hash: previewed, manifest: _m, ...given } = inp.site;
      out.site = checkSite(given);
      // Inputs checked before (the preview's): what is deployed must be what was previewed.
      if (alreadyChecked && previewed !== undefined && previewed !== out.site.hash) {
        throw new Error(`site directory ${given.dir ?? '(inline)'} changed since the preview (was ${previewed}, now ${out.site.hash}); run the update again`);
      }
    } catch (err) {
      return { failures: [{ property: 'site', reason: (err as Error).message }] };
    }
  }
  return { inputs: plain(out), failures: [] };
}

/** The checked inputs, for diff, create and update (which Pulumi calls with checked inputs; checked again to be safe). */
function requireChecked(news: Bag): CheckedInputs {
  const { inputs, failures } = checkInputs(news, true);
  if (inputs === undefined) {
    throw new Error(`invalid ZeekCluster inputs:\n${failures.map((f) => `  ${f.property ? f.property + ': ' : ''}${f.reason}`).join('\n')}`);
  }
  return inputs;
}

async function check(olds: Bag, news: Bag): Promise<CheckResult> {
  // Values not known yet (preview with computed inputs) cannot be validated here; the
  // operation that runs once they are known checks them.
  if (containsUnknown(withoutProviderKey(news))) return { inputs: news };
  const { inputs, failures } = checkInputs(news);
  return failures.length > 0 ? { inputs: news, failures } : { inputs };
}

// ---- talking to the controller ---------------------------------------------------

async function withController<T>(c: ResolvedController, passphrase: string | undefined, fn: (client: ControllerClient) => Promise<T>): Promise<T> {
  const keyPassphrase = passphrase ?? stackDefaults.passphrase;
  const tls = c.tls === undefined ? undefined : keyPassphrase === undefined ? { ...c.tls } : { ...c.tls, passphrase: keyPassphrase };
  let client: ControllerClient;
  try {
    client = await ControllerClient.connect({
      host: c.host,
      port: c.port,
      tls,
      peeringAttempts: c.peeringAttempts,
      peeringRetryDelaySecs: c.peeringRetryDelaySecs,
      requestTimeoutSecs: c.requestTimeoutSecs,
      appName: 'zeek-mgmt-pulumi',
      retryable: retriesLikeZeekClient,
    });
  } catch (err) {
    throw new Error(connectFailure(c, tls !== undefined, err as Error));
  }
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** A failed connection, naming the controller and, for a plain/TLS mismatch, the likely fix. */
function connectFailure(c: ResolvedController, tls: boolean, err: Error): string {
  const where = `${formatHost(c.host)}:${c.port}`;
  let message = err.message.includes(`:${c.port}`) ? err.message : `cannot connect to the controller at ${where}: ${err.message}`;
  if (!tls && /before it answered the WebSocket upgrade/.test(err.message)) {
    message += ' (if the controller serves wss://, set the controller\'s tls settings)';
  }
  return message;
}

/** An error after the configuration went out: Pulumi keeps the resource (with these outputs) and reports it as failed to initialise. */
export class ClusterInitError extends Error {
  override readonly name = 'ClusterInitError';
  constructor(message: string, readonly id: string, readonly properties: Bag, readonly reasons: string[]) {
    super(message);
  }
}

interface Deployment {
  /** Errors that name no node: validation errors, agent errors, "request timed out". */
  errors: string[];
  results: Record<string, NodeDeployResult>;
}

function deploymentFrom(results: Result[]): Deployment {
  const out: Deployment = { errors: [], results: {} };
  for (const r of results) {
    if (!r.success && r.node === null && r.error) {
      out.errors.push(r.error);
      continue;
    }
    if (r.instance === null || r.node === null) continue; // the controller's own id result, or an agent without nodes
    const res: NodeDeployResult = { instance: r.instance, success: r.success };
    if (!r.success && r.error) res.error = r.error;
    const outputs = nodeOutputsOf(r);
    if (outputs !== null) {
      res.stdout = outputs.stdout;
      res.stderr = outputs.stderr;
    }
    out.results[r.node] = res;
  }
  return out;
}

function failureLines(d: Deployment): string[] {
  const lines = [...d.errors];
  for (const [node, r] of Object.entries(d.results).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (r.success) continue;
    const stderr = (r.stderr ?? '').trim();
    const why = stderr || r.error;
    lines.push(`node '${node}' on instance '${r.instance}' failed${why ? `: ${why}` : ' (no output)'}`);
  }
  return lines;
}

/** Stages then deploys; throws with the controller's messages when staging is rejected. */
async function stageAndDeploy(client: ControllerClient, config: Configuration, site?: CheckedSite): Promise<Deployment> {
  if (site) {
    const sent = await client.stageSite(packSite(siteFilesFor(site)));
    if (!sent.success) throw new Error(`the controller refused the site ${site.hash}: ${sent.error ?? 'no reason given'}`);
  }
  const staged = await client.stageConfiguration(config);
  const rejected = staged.filter((r) => !r.success).map((r) => r.error ?? 'no reason given');
  if (rejected.length > 0) {
    throw new Error(`the controller rejected configuration ${config.id}:\n  ${rejected.join('\n  ')}`);
  }
  return deploymentFrom(await client.deploy());
}

/** The deployed configuration, or null when the controller has none. */
async function deployedConfiguration(client: ControllerClient): Promise<Configuration | null> {
  const r = await client.getConfiguration(true);
  if (!r.success) {
    if (r.error !== null && /^no deployed configuration/.test(r.error)) return null;
    throw new Error(`get_configuration (deployed) failed: ${r.error ?? 'no reason given'}`);
  }
  return configurationOf(r);
}

async function nodeStatus(client: ControllerClient): Promise<Record<string, NodeStatusOutput>> {
  const out: Record<string, NodeStatusOutput> = {};
  for (const r of await client.getNodes()) {
    if (!r.success || r.instance === null) continue;
    for (const s of nodeStatusesOf(r)) {
      const o: NodeStatusOutput = { instance: r.instance, state: s.state };
      if (s.mgmt_role !== 'NONE') o.mgmt_role = s.mgmt_role;
      if (s.cluster_role !== 'NONE') o.cluster_role = s.cluster_role;
      if (s.pid !== null) o.pid = s.pid;
      if (s.port !== null) o.port = s.port;
      if (s.metrics_port !== null) o.metrics_port = s.metrics_port;
      out[s.node] = o;
    }
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

function deployedOutput(c: Configuration | null): ClusterOutputs['deployed'] {
  return c === null ? { id: '', instances: {}, nodes: {} } : { id: c.id, ...canonicalConfiguration(c) };
}

/** Deploys the checked inputs and builds the outputs, or throws (ClusterInitError once something was deployed). */
async function deploy(inputs: CheckedInputs, previousResults: Record<string, NodeDeployResult> = {}, skipWhenLiveMatches = false): Promise<ClusterOutputs> {
  const id = inputs.configurationId ?? randomUUID();
  const desired = withCheckedSite(configurationFromCanonical(id, inputs), inputs.site);
  return withController(inputs.controller, inputs.keyPassphrase, async (client) => {
    if (skipWhenLiveMatches) {
      const live = await deployedConfiguration(client);
      if (live !== null && !diffConfigurations(desired, live).hasChanges
          && (inputs.configurationId === undefined || inputs.configurationId === live.id)) {
        return plain({ ...inputs, configurationId: live.id, deployed: deployedOutput(live), results: previousResults, nodeStatus: await nodeStatus(client) });
      }
    }
    const deployment = await stageAndDeploy(client, desired, inputs.site);
    const live = await deployedConfiguration(client);
    const outs: ClusterOutputs = plain({
      ...inputs,
      configurationId: live?.id ?? id,
      deployed: deployedOutput(live),
      results: deployment.results,
      nodeStatus: await nodeStatus(client),
      ...(await siteStatusOf(client, live)),
    });
    const failures = failureLines(deployment);
    if (failures.length > 0) {
      throw new ClusterInitError(`deployment of configuration ${id} to ${controllerId(inputs.controller)} failed:\n  ${failures.join('\n  ')}`,
        controllerId(inputs.controller), outs as unknown as Bag, failures);
    }
    return outs;
  });
}

// ---- the provider operations -------------------------------------------------------

function sameController(a: ResolvedController, b: ResolvedController): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}

function connectionChanged(a: ResolvedController, b: ResolvedController): boolean {
  return JSON.stringify(plain({ ...a, host: undefined, port: undefined })) !== JSON.stringify(plain({ ...b, host: undefined, port: undefined }));
}

/** With a site deployed: what each instance's disk holds of it. */
async function siteStatusOf(client: ControllerClient, live: Configuration | null): Promise<{ siteStatus?: Record<string, string> }> {
  if (!live || configurationSite(live).hash === null) return {};
  const out: Record<string, string> = {};
  for (const r of await client.getSiteStatus()) {
    let state = 'error';
    if (r.success && r.data?.type === 'string') {
      try {
        state = String((JSON.parse(r.data.value) as { state?: string }).state ?? 'error');
      } catch {
        // stays 'error'
      }
    }
    out[r.instance ?? '(unknown)'] = state;
  }
  return { siteStatus: Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]])) };
}

/** The configuration changes diff() sees, for messages and tests. */
export function pendingChanges(olds: Bag, news: CheckedInputs): string[] {
  const prev = olds as Partial<ClusterOutputs>;
  const base: CanonicalConfiguration & { id: string } = prev.deployed ?? { id: '', instances: prev.instances ?? {}, nodes: prev.nodes ?? {} };
  const desired = withCheckedSite(configurationFromCanonical(news.configurationId ?? base.id, news), news.site);
  const deployedConfig = configurationFromCanonical(base.id, base);
  // Nodes without the site's mark; the site's files have lines of their own.
  const lines = describeChanges(diffConfigurations(withoutSiteEnv(desired), withoutSiteEnv(deployedConfig)));
  lines.push(...siteChangeLines(deployedConfig, prev.site?.manifest ?? null, news.site));
  // An instance whose disk no longer holds the deployed site (seen by read) is redeployed.
  for (const [inst, state] of Object.entries(prev.siteStatus ?? {})) if (state !== 'ok') lines.push(`~ site on instance ${inst}: ${state}`);
  if (news.configurationId !== undefined && news.configurationId !== base.id) lines.push(`~ configuration id ${JSON.stringify(base.id)} -> ${JSON.stringify(news.configurationId)}`);
  return lines;
}

/**
 * Whether `news` already has check()'s shape (a resolved controller, canonical instance and
 * node maps). The engine always calls diff with checked inputs; validating them again
 * would only make a large diff slow (create and update do re-check before deploying).
 */
function hasCheckedShape(news: Bag): news is Bag & CheckedInputs {
  const c = news.controller as Partial<ResolvedController> | undefined;
  if (typeof c?.host !== 'string' || typeof c.port !== 'number') return false;
  const nodes = news.nodes as Record<string, Partial<CanonicalNode>> | undefined;
  if (nodes === null || typeof nodes !== 'object' || news.instances === null || typeof news.instances !== 'object') return false;
  for (const k in nodes) {
    const n = nodes[k];
    if (typeof n?.instance !== 'string' || typeof n.role !== 'string' || n.role !== n.role.toUpperCase()) return false;
  }
  return true;
}

async function diff(_id: string, olds: Bag, news: Bag): Promise<DiffResult> {
  if (containsUnknown(withoutProviderKey(news))) return { changes: true };
  const checked = hasCheckedShape(news) ? news : requireChecked(news);
  const prev = olds as Partial<ClusterOutputs>;
  const oldController = prev.controller ?? resolveController(undefined);
  if (!sameController(oldController, checked.controller)) {
    return { changes: true, replaces: ['controller'], deleteBeforeReplace: true };
  }
  const changed = pendingChanges(olds, checked).length > 0
    || connectionChanged(oldController, checked.controller)
    || (prev.keyPassphrase ?? null) !== (checked.keyPassphrase ?? null);
  return { changes: changed };
}

async function create(inputs: Bag): Promise<CreateResult> {
  const checked = requireChecked(inputs);
  const outs = await deploy(checked);
  return { id: controllerId(checked.controller), outs };
}

async function update(_id: string, olds: Bag, news: Bag): Promise<UpdateResult> {
  const checked = requireChecked(news);
  const prev = olds as Partial<ClusterOutputs>;
  // A site found damaged on an instance (read's siteStatus) is sent again even when the configuration matches.
  const siteIntact = Object.values(prev.siteStatus ?? {}).every((st) => st === 'ok');
  return { outs: await deploy(checked, prev.results ?? {}, siteIntact) };
}

/** The controller to talk to for an existing resource: its recorded one, else its id (an import). */
function controllerOf(id: string, props: Partial<ClusterOutputs>): ResolvedController {
  if (props.controller?.host !== undefined && props.controller.port !== undefined) return props.controller;
  const addr = parseControllerAddress(id);
  return resolveController({ host: addr.host, port: addr.port });
}

async function read(id: string, props?: Bag): Promise<ReadResult> {
  const prev = withoutProviderKey(props) as Partial<ClusterOutputs>;
  const controller = controllerOf(id, prev);
  return withController(controller, prev.keyPassphrase, async (client) => {
    const live = await deployedConfiguration(client);
    if (live === null || (live.nodes.length === 0 && live.instances.length === 0)) {
      // Nothing deployed, or the empty configuration that delete leaves: the cluster is gone.
      return { id: '' };
    }
    const deployed = deployedOutput(live);
    const previous: CanonicalConfiguration | undefined = prev.nodes !== undefined ? { instances: prev.instances ?? {}, nodes: prev.nodes } : undefined;
    const inputs: CheckedInputs = { controller, ...inputsFromDeployed(deployed, previous) };
    if (prev.keyPassphrase !== undefined) inputs.keyPassphrase = prev.keyPassphrase;
    // No configurationId among these inputs: the outputs cannot tell a pinned id from a drawn one,
    // and a pinned id that no longer matches shows up in the next diff anyway.
    if (prev.iniFile !== undefined) inputs.iniFile = prev.iniFile;
    if (prev.iniText !== undefined) inputs.iniText = prev.iniText;
    if (prev.site !== undefined) inputs.site = prev.site;
    const outs: ClusterOutputs = {
      ...inputs,
      configurationId: live.id,
      deployed,
      results: prev.results ?? {},
      nodeStatus: await nodeStatus(client),
      ...(await siteStatusOf(client, live)),
    };
    return { id, props: plain(outs), inputs: plain(inputs) };
  });
}

async function remove(id: string, props: Bag): Promise<void> {
  const prev = withoutProviderKey(props) as Partial<ClusterOutputs>;
  const controller = controllerOf(id, prev);
  await withController(controller, prev.keyPassphrase, async (client) => {
    const deployment = await stageAndDeploy(client, { id: randomUUID(), instances: [], nodes: [] });
    const failures = failureLines(deployment);
    if (failures.length > 0) {
      throw new Error(`deploying the empty configuration to ${controllerId(controller)} failed:\n  ${failures.join('\n  ')}`);
    }
  });
}

/** The provider itself. Pulumi needs the serializable wrapper in serializable-provider.ts. */
export const zeekClusterProvider: Required<Pick<ResourceProvider, 'configure' | 'check' | 'diff' | 'create' | 'read' | 'update' | 'delete'>> = {
  configure,
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
};
