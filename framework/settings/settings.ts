// The resolved settings of one zeek-mgmt instance: defaults < redef file < environment
// variables < NAME=VALUE arguments, plus the values Zeek derives from them
// (Management::Agent::get_name(), endpoint_info(), get_state_dir(), ...).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTINGS, SettingDef } from './registry';
import { Assignment, parseAssignmentArgs, parseRedefText, readEnvironment } from './sources';
import { NetworkInfo, PortValue, portFromString, SettingError, SettingValue } from './types';

export interface SettingsJson {
  values: Record<string, SettingValue>;
  explicit: string[];
  baseDir: string;
  hostname: string;
}

export interface ResolveInput {
  /** Files of redef statements, applied in order. */
  files?: string[];
  env?: NodeJS.ProcessEnv;
  /** NAME=VALUE arguments. */
  args?: string[];
  /** Directory relative paths are resolved against (default: the working directory). */
  baseDir?: string;
}

export class Settings {
  private constructor(
    private readonly values: Map<string, SettingValue>,
    private readonly explicit: Set<string>,
    readonly baseDir: string,
    readonly hostname: string,
  ) {}

  static defaults(baseDir = process.cwd()): Settings {
    return new Settings(new Map([...SETTINGS.values()].map((d) => [d.name, d.default])), new Set(), baseDir, os.hostname());
  }

  /** Applies all sources in precedence order. Throws SettingError listing every problem. */
  static resolve(input: ResolveInput = {}): Settings {
    const s = Settings.defaults(input.baseDir ?? process.cwd());
    const errors: string[] = [];
    const collect = (fn: () => Assignment[]): void => {
      try {
        for (const a of fn()) s.set(a.name, a.value);
      } catch (err) {
        errors.push((err as Error).message);
      }
    };
    for (const file of input.files ?? []) {
      collect(() => {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (err) {
          throw new SettingError(`cannot read settings file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        return parseRedefText(text, file);
      });
    }
    collect(() => readEnvironment(input.env ?? {}, SETTINGS.values()));
    collect(() => parseAssignmentArgs(input.args ?? []));
    if (errors.length === 0) {
      try {
        s.validate();
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length) throw new SettingError(errors.join('\n'));
    return s;
  }

  static fromJSON(j: SettingsJson): Settings {
    const s = Settings.defaults(j.baseDir);
    for (const [k, v] of Object.entries(j.values)) {
      if (!SETTINGS.has(k)) throw new SettingError(`unknown setting ${k}`);
      s.values.set(k, v);
    }
    for (const k of j.explicit) s.explicit.add(k);
    return new Settings(s.values, s.explicit, j.baseDir, j.hostname);
  }

  toJSON(): SettingsJson {
    return { values: Object.fromEntries(this.values), explicit: [...this.explicit], baseDir: this.baseDir, hostname: this.hostname };
  }

  /** A copy with some values replaced (checked like NAME=VALUE arguments). */
  with(args: string[]): Settings {
    const s = new Settings(new Map(this.values), new Set(this.explicit), this.baseDir, this.hostname);
    for (const a of parseAssignmentArgs(args)) s.set(a.name, a.value);
    s.validate();
    return s;
  }

  private set(name: string, value: SettingValue): void {
    this.values.set(name, value);
    this.explicit.add(name);
  }

  get(name: string): SettingValue {
    const v = this.values.get(name);
    if (v === undefined) throw new SettingError(`unknown setting ${name}`);
    return v;
  }

  str(name: string): string { return this.get(name) as string; }
  bool(name: string): boolean { return this.get(name) as boolean; }
  num(name: string): number { return this.get(name) as number; }
  port(name: string): PortValue { return this.get(name) as PortValue; }

  isExplicit(name: string): boolean {
    return this.explicit.has(name);
  }

  defs(): Iterable<SettingDef> {
    return SETTINGS.values();
  }

  private validate(): void {
    for (const name of ['Management::Agent::listen_port', 'Management::Controller::listen_port', 'Management::Controller::listen_port_websocket']) {
      const v = this.str(name);
      if (v !== '' && portFromString(v) === null) throw new SettingError(`${name}: "${v}" is not a port (expected e.g. 2151/tcp)`);
    }
  }

  // ---- values Zeek derives ------------------------------------------------------

  private hostPart(): string {
    return this.hostname.split('.')[0] || this.hostname;
  }

  /** Management::Agent::get_name(). */
  agentName(): string {
    return this.str('Management::Agent::name') || `agent-${this.hostname}`;
  }

  /** Management::Controller::get_name(). */
  controllerName(): string {
    return this.str('Management::Controller::name') || `controller-${this.hostname}`;
  }

  /** Management::Agent::endpoint_info()$network: where the agent listens. */
  agentListen(): { address: string; port: number } {
    const address = this.str('Management::Agent::listen_address') || this.str('Management::default_address') || '0.0.0.0';
    const lp = this.str('Management::Agent::listen_port');
    const port = lp ? portFromString(lp)!.port : this.port('Management::Agent::default_port').port;
    return { address, port };
  }

  /** Management::Controller::network_info(): where the controller listens for agents. */
  controllerListen(): { address: string; port: number } {
    const address = this.str('Management::Controller::listen_address') || this.str('Management::default_address') || '0.0.0.0';
    const lp = this.str('Management::Controller::listen_port');
    const port = lp ? portFromString(lp)!.port : this.port('Management::Controller::default_port').port;
    return { address, port };
  }

  /** Management::Controller::network_info_websocket(): where clients connect. */
  controllerWebsocketListen(): { address: string; port: number } {
    const address = this.str('Management::Controller::listen_address_websocket') || this.str('Management::default_address') || '0.0.0.0';
    const lp = this.str('Management::Controller::listen_port_websocket');
    const port = lp ? portFromString(lp)!.port : this.port('Management::Controller::default_port_websocket').port;
    return { address, port };
  }

  /** Management::Agent::controller, with the default port filled in; null when the controller connects to the agent. */
  agentControllerTarget(): { address: string; port: number } | null {
    const c = this.get('Management::Agent::controller') as NetworkInfo;
    if (c.address === '0.0.0.0') return null;
    const port = c.bound_port.port !== 0 ? c.bound_port.port : this.controllerListen().port;
    return { address: c.address, port };
  }

  /** Where the Supervisor listens for its agent: Broker::default_listen_address (127.0.0.1) at Broker::default_port. */
  supervisorListen(): { address: string; port: number } {
    return { address: this.str('Broker::default_listen_address') || '127.0.0.1', port: this.port('Broker::default_port').port };
  }

  private abs(p: string): string {
    return path.resolve(this.baseDir, p);
  }

  /** Management::get_state_dir(). */
  stateDir(): string {
    return this.abs(this.str('Management::state_dir') || this.str('Installation::state_dir'));
  }

  /** Management::get_spool_dir(). */
  spoolDir(): string {
    return this.abs(this.str('Management::spool_dir') || this.str('Installation::spool_dir'));
  }

  nodesDir(): string {
    return path.join(this.stateDir(), 'nodes');
  }

  agentDirectory(): string {
    return path.join(this.nodesDir(), this.str('Management::Agent::directory') || this.agentName());
  }

  controllerDirectory(): string {
    return path.join(this.nodesDir(), this.str('Management::Controller::directory') || this.controllerName());
  }

  /** The agent's request timeout in seconds: 5 unless Management::Request::timeout_interval is set explicitly. */
  agentRequestTimeout(): number {
    return this.isExplicit('Management::Request::timeout_interval') ? this.num('Management::Request::timeout_interval') : 5;
  }

  /** The rotation directory nodes use: Log::default_rotation_dir or <spool>/log-queue, as management's persistence.zeek sets it. */
  rotationDir(): string {
    return this.abs(this.str('Log::default_rotation_dir') || path.join(this.spoolDir(), 'log-queue'));
  }

  /** The values of the settings cluster nodes see as globals. */
  nodeGlobals(): Record<string, SettingValue> {
    const out: Record<string, SettingValue> = {};
    for (const d of SETTINGS.values()) if (d.node) out[d.name] = this.get(d.name);
    out['Management::state_dir'] = this.stateDir();
    out['Management::spool_dir'] = this.spoolDir();
    out['Log::default_rotation_dir'] = this.rotationDir();
    return out;
  }

  /** Names of node globals set explicitly (so nodes know which defaults were overridden). */
  explicitNodeGlobals(): string[] {
    return [...SETTINGS.values()].filter((d) => d.node && this.explicit.has(d.name)).map((d) => d.name);
  }

  /** Short host name, for messages. */
  shortHost(): string {
    return this.hostPart();
  }
}
