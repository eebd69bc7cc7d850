// What the Supervisor keeps of each node's NodeConfig, and in what form.
//
// Every create_request of a deployment carries the whole cluster layout (Zeek's
// Supervisor::NodeConfig$cluster), so N nodes bring N equal layouts of N endpoints each.
// Kept as decoded, that is O(N²) objects (40,000 ClusterEndpoints at 200 nodes), and
// strings cut out of a request's JSON text are V8 slices of it, so a node that kept its
// `directory` kept its whole 69 kB request alive too. Here:
//
// - a layout is decoded once per distinct content: nodes whose layouts are equal (same
//   entries in the same order) share one frozen `cluster` object and one Broker form of
//   it, released when the last of them is destroyed;
// - every string kept is a copy of its own, never a slice of a request's text;
// - a node's NodeConfig in Broker form is built once, around the shared layout subtree,
//   so that a status reply is O(N) objects, and the encoder writes the shared layout's
//   text (encoded once) for every node (Zeek's reply lists each node's full layout).

import { BrokerData } from '../../sdk/broker/data';
import { encodeDataFieldsAfter } from '../../sdk/broker/json-encode';
import { ClusterEndpoint, clusterToData, NodeConfig, nodeConfigToData } from './records';

/** A copy of a string that shares no memory with the text it was cut from. */
export function ownString(s: string): string {
  // Short strings are copied by V8 anyway; longer ones would be slices of their parent.
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

const ownOpt = (s: string | null): string | null => (s === null ? null : ownString(s));

export interface SharedLayout {
  readonly cluster: Readonly<Record<string, Readonly<ClusterEndpoint>>>;
  /** clusterToData(cluster), shared by every NodeConfig built around this layout. */
  readonly data: BrokerData;
}

interface LayoutEntry {
  readonly layout: SharedLayout;
  users: number;
  /** The layout's encoded body (`"@data-type":"table",...}`), made on first use. */
  text: string | null;
}

export class StoredNodeConfigs {
  private readonly byContent = new Map<string, LayoutEntry>();
  /** By the shared `cluster` object that acquire() puts into NodeConfigs. */
  private readonly built = new WeakMap<NodeConfig, BrokerData>();
  private readonly byCluster = new Map<object, LayoutEntry & { key: string }>();

  /** How many distinct layouts are held (for tests and diagnostics). */
  get layouts(): number {
    return this.byContent.size;
  }

  /**
   * The NodeConfig to keep for `cfg`: its own strings, its layout shared with equal ones.
   * Call release() with the result once the node is gone.
   */
  acquire(cfg: NodeConfig): NodeConfig {
    const layout = this.acquireLayout(cfg.cluster);
    const env: Record<string, string> = {};
    for (const k of Object.keys(cfg.env)) env[ownString(k)] = ownString(cfg.env[k]);
    return {
      name: ownString(cfg.name),
      interface: ownOpt(cfg.interface),
      pcap_file: ownOpt(cfg.pcap_file),
      directory: ownOpt(cfg.directory),
      stdout_file: ownOpt(cfg.stdout_file),
      stderr_file: ownOpt(cfg.stderr_file),
      bare_mode: cfg.bare_mode,
      addl_base_scripts: cfg.addl_base_scripts.map(ownString),
      addl_user_scripts: cfg.addl_user_scripts.map(ownString),
      env,
      cpu_affinity: cfg.cpu_affinity,
      cluster: layout.cluster as Record<string, ClusterEndpoint>,
      runtime: ownOpt(cfg.runtime),
    };
  }

  release(cfg: NodeConfig): void {
    const entry = this.entryOf(cfg);
    if (!entry) return;
    if (--entry.users === 0) {
      this.byContent.delete(entry.key);
      this.byCluster.delete(entry.layout.cluster);
    }
  }

  /**
   * The Broker form of a NodeConfig returned by acquire(), its cluster field being the
   * shared layout subtree; built once per node (a stored NodeConfig does not change).
   */
  toData(cfg: NodeConfig): BrokerData {
    let data = this.built.get(cfg);
    if (!data) {
      const entry = this.entryOf(cfg);
      data = entry ? nodeConfigToData(cfg, entry.layout.data) : nodeConfigToData(cfg);
      this.built.set(cfg, data);
    }
    return data;
  }

  /**
   * The encoded text of every shared layout subtree in use, for the encoder to write
   * instead of walking the subtree again (json-encode's `known`).
   */
  knownTexts(): Map<BrokerData, string> {
    const known = new Map<BrokerData, string>();
    for (const entry of this.byCluster.values()) {
      entry.text ??= encodeDataFieldsAfter('', entry.layout.data);
      known.set(entry.layout.data, entry.text);
    }
    return known;
  }

  private entryOf(cfg: NodeConfig): (LayoutEntry & { key: string }) | undefined {
    return this.byCluster.get(cfg.cluster);
  }

  private acquireLayout(cluster: Record<string, ClusterEndpoint>): SharedLayout {
    // Entries in order: equal layouts written in another order stay apart, so that a
    // node's launch description lists its layout as it came.
    const key = JSON.stringify(Object.keys(cluster).map((k) => {
      const e = cluster[k];
      return [k, e.role, e.host, e.p, e.interface, e.pcap_file, e.metrics_port];
    }));
    const known = this.byContent.get(key);
    if (known) {
      known.users++;
      return known.layout;
    }
    const copy: Record<string, Readonly<ClusterEndpoint>> = {};
    for (const k of Object.keys(cluster)) {
      const e = cluster[k];
      copy[ownString(k)] = Object.freeze({
        role: e.role, host: ownString(e.host), p: e.p, interface: ownOpt(e.interface), pcap_file: ownOpt(e.pcap_file), metrics_port: e.metrics_port,
      });
    }
    const frozen = Object.freeze(copy);
    const layout: SharedLayout = { cluster: frozen, data: clusterToData(frozen) };
    const entry = { layout, users: 1, text: null, key };
    this.byContent.set(key, entry);
    this.byCluster.set(frozen, entry);
    return layout;
  }
}
