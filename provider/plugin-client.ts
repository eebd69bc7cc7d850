// The Pulumi engine's side of a dynamic provider, for tests and benches on machines without
// the Pulumi CLI: starts Pulumi's own dynamic-provider plugin (@pulumi/pulumi/cmd/dynamic-provider,
// what `pulumi-resource-pulumi-nodejs` runs) as a child process the way the engine does,
// connects to the port it prints, and makes the engine's gRPC ResourceProvider calls
// (Configure, Check, Diff, Create, Read, Update, Delete). Resources carry the serialized
// provider in `__provider`, as @pulumi/pulumi's dynamic.Resource puts it there.
//
// Loads @grpc/grpc-js and Pulumi's generated protobuf modules (not @pulumi/pulumi itself).

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
import { ChildProcess, spawn } from 'node:child_process';

const grpc = require('@grpc/grpc-js');
const provrpc = require('@pulumi/pulumi/proto/provider_grpc_pb');
const provproto = require('@pulumi/pulumi/proto/provider_pb');
const statusproto = require('@pulumi/pulumi/proto/status_pb');
const structproto = require('google-protobuf/google/protobuf/struct_pb');
const emptyproto = require('google-protobuf/google/protobuf/empty_pb');

/** The plugin's entry point. */
export const DYNAMIC_PROVIDER_PLUGIN = require.resolve('@pulumi/pulumi/cmd/dynamic-provider');

/** pulumirpc.DiffResponse.DiffChanges. */
export const DIFF_CHANGES = provproto.DiffResponse.DiffChanges as { DIFF_UNKNOWN: number; DIFF_NONE: number; DIFF_SOME: number };

export type Props = Record<string, any>;

export interface CheckReply { inputs: Props; failures: Array<{ property: string; reason: string }> }
export interface DiffReply { changes: number; replaces: string[]; deleteBeforeReplace: boolean }
export interface ReadReply { id: string; properties: Props; inputs: Props | undefined }

/** What the engine learns from a failed Create/Update that carries ErrorResourceInitFailed. */
export interface InitFailure { id: string; properties: Props; reasons: string[] }

const struct = (o: Props): any => structproto.Struct.fromJavaScript(o);

export class DynamicProviderPlugin {
  private constructor(readonly proc: ChildProcess, private readonly client: any, readonly port: number, private readonly err: () => string) {}

  /**
   * Starts the plugin in `cwd` (the engine uses the project directory) with an engine
   * address argument, as the engine does, and connects to the port it prints. `plugin` is
   * the plugin's entry point: by default this checkout's @pulumi/pulumi; a Pulumi project's
   * own is `<project>/node_modules/@pulumi/pulumi/cmd/dynamic-provider`.
   */
  static async start(cwd: string, timeoutMs = 15000, plugin = DYNAMIC_PROVIDER_PLUGIN): Promise<DynamicProviderPlugin> {
    const proc = spawn(process.execPath, [plugin, '127.0.0.1:1'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`the dynamic-provider plugin printed no port within ${timeoutMs} ms; stderr: ${err}`));
      }, timeoutMs);
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the dynamic-provider plugin exited with ${code}; stderr: ${err}`));
      });
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new DynamicProviderPlugin(proc, client, port, () => err);
  }

  /** What the plugin wrote on stderr (it logs failed calls there). */
  stderr(): string {
    return this.err();
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => this.client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));
  }

  async getPluginInfo(): Promise<string> {
    const info = await this.call<any>('getPluginInfo', new emptyproto.Empty());
    return info.getVersion();
  }

  /** Configure with the stack configuration ("namespace:key" -> value); returns whether the plugin accepts secrets. */
  async configure(config: Record<string, string>): Promise<boolean> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(struct(config));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    const resp = await this.call<any>('configure', req);
    return resp.getAcceptsecrets();
  }

  async check(urn: string, olds: Props, news: Props): Promise<CheckReply> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const resp = await this.call<any>('check', req);
    return {
      inputs: resp.getInputs().toJavaScript(),
      failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<DiffReply> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const resp = await this.call<any>('diff', req);
    return { changes: resp.getChanges(), replaces: resp.getReplacesList(), deleteBeforeReplace: resp.getDeletebeforereplace() };
  }

  async create(urn: string, props: Props): Promise<{ id: string; properties: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(struct(props));
    const resp = await this.call<any>('create', req);
    return { id: resp.getId(), properties: resp.getProperties().toJavaScript() };
  }

  async read(urn: string, id: string, props: Props, inputs: Props): Promise<ReadReply> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setProperties(struct(props));
    req.setInputs(struct(inputs));
    const resp = await this.call<any>('read', req);
    return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {}, inputs: resp.getInputs()?.toJavaScript() };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const resp = await this.call<any>('update', req);
    return resp.getProperties().toJavaScript();
  }

  async delete(urn: string, id: string, props: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setProperties(struct(props));
    await this.call('delete', req);
  }

  /** SIGTERM (the plugin has no shutdown call) and wait for the exit. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      process.kill(this.proc.pid!, 'SIGTERM');
      await exited;
    }
  }
}

/**
 * The ErrorResourceInitFailed detail a failed Create/Update carries in grpc-status-details-bin
 * (how the engine learns the resource exists despite the failure), or null.
 */
export function initFailureOf(err: any): InitFailure | null {
  const bin = err?.metadata?.get?.('grpc-status-details-bin')?.[0];
  if (bin === undefined) return null;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(bin));
  const any = status.getDetailsList()[0];
  if (any === undefined) return null;
  const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue());
  return { id: detail.getId(), properties: detail.getProperties()?.toJavaScript() ?? {}, reasons: detail.getReasonsList() };
}
