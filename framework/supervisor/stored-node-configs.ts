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
  readonly key: string;
  users: number;
  /** The layout's encoded body (`"@data-type":"table",...}`), made on first use. */
  text: string | null;
}

export class StoredNodeConfigs {
  /** Layouts in use, by content (layoutKey) and by their shared `cluster` object. */
  private readonly byContent = new Map<string, LayoutEntry>();
  private readonly byCluster = new Map<object, LayoutEntry>();
  /** NodeConfigs made by compact(), and the content keys of the layout copies it made. */
  private readonly compacted = new WeakSet<NodeConfig>();
  private readonly keys = new WeakMap<object, string>();
  /** Each stored NodeConfig's Broker form, once built. */
  private readonly built = new WeakMap<NodeConfig, BrokerData>();

  /** How many layouts are held (for tests and diagnostics): one per distinct content. */
  get layouts(): number {
    return this.byCluster.size;
  }

  /**
   * `cfg` with strings of its own and a frozen cluster layout: the shared one when a
   * node holds an equal layout already, else a copy. Holds nothing: the control server
   * calls it as a request arrives, so that the decoded request (its Broker data, its
   * JSON text) can go at once instead of waiting in the request queue.
   */
  compact(cfg: NodeConfig): NodeConfig {
    if (this.compacted.has(cfg)) return cfg;
    const cluster = this.compactLayout(cfg.cluster);
    const env: Record<string, string> = {};
    for (const k of Object.keys(cfg.env)) env[ownString(k)] = ownString(cfg.env[k]);
    const out: NodeConfig = {
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
      cluster,
      runtime: ownOpt(cfg.runtime),
    };
    this.compacted.add(out);
    return out;
  }

  /**
   * A cluster layout in the form compact() gives NodeConfigs: the shared one when a node
   * holds an equal layout, a frozen copy of its own otherwise, or `cluster` itself when it
   * is already one of those (a layout the agent sent once for many creates).
   */
  compactLayout(cluster: Record<string, ClusterEndpoint>): Record<string, ClusterEndpoint> {
    return this.byCluster.has(cluster) || this.keys.has(cluster) ? cluster : this.sharedOrCopy(cluster);
  }

  /**
   * The NodeConfig to keep for `cfg` (compact(cfg)), its layout shared with every node
   * holding an equal one. Call release() with the result once the node is gone.
   */
  acquire(cfg: NodeConfig): NodeConfig {
    let kept = this.compact(cfg);
    let entry = this.byCluster.get(kept.cluster);
    if (!entry) {
      const key = this.keys.get(kept.cluster) ?? layoutKey(kept.cluster);
      entry = this.byContent.get(key);
      if (entry) {
        // An equal layout was stored after compact() made this copy.
        kept = { ...kept, cluster: entry.layout.cluster as Record<string, ClusterEndpoint> };
        this.compacted.add(kept);
      } else {
        const cluster = kept.cluster;
        entry = { layout: { cluster, data: clusterToData(cluster) }, users: 0, text: null, key };
        this.byContent.set(key, entry);
        this.byCluster.set(cluster, entry);
      }
    }
    entry.users++;
    return kept;
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

  private entryOf(cfg: NodeConfig): LayoutEntry | undefined {
    return this.byCluster.get(cfg.cluster);
  }

  private sharedOrCopy(cluster: Record<string, ClusterEndpoint>): Record<string, ClusterEndpoint> {
    const key = layoutKey(cluster);
    const known = this.byContent.get(key);
    if (known) return known.layout.cluster as Record<string, ClusterEndpoint>;
    const copy: Record<string, ClusterEndpoint> = {};
    for (const k of Object.keys(cluster)) {
      const e = cluster[k];
      copy[ownString(k)] = Object.freeze({
        role: e.role, host: ownString(e.host), p: e.p, interface: ownOpt(e.interface), pcap_file: ownOpt(e.pcap_file), metrics_port: e.metrics_port,
      });
    }
    Object.freeze(copy);
    this.keys.set(copy, key);
    return copy;
  }
}

/**
 * A layout's content, entries in order: equal layouts written in another order stay
 * apart, so that a node's launch description lists its layout as it came.
 */
function layoutKey(cluster: Readonly<Record<string, Readonly<ClusterEndpoint>>>): string {
  return JSON.stringify(Object.keys(cluster).map((k) => {
    const e = cluster[k];
    return [k, e.role, e.host, e.p, e.interface, e.pcap_file, e.metrics_port];
  }));
}
