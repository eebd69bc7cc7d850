// Prometheus exposition on a node's metrics port (Zeek's telemetry framework): /metrics
// with process metrics of this very process, labelled with the node's name as Zeek's
// `endpoint` label; on the manager also /services.json, the Prometheus HTTP
// service-discovery list of every node's metrics endpoint in the cluster.
//
// The port is bound at start-up (a port it cannot bind is fatal, as in Zeek), but node:http
// is loaded only when the first client connects: most nodes are never scraped while they
// start, and loading http costs a node process ~7 ms of CPU and ~1 MB of memory.

import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as net from 'node:net';
import type { ClusterEndpoint } from '../../supervisor/records';

export interface MetricsSource {
  node: string;
  cluster: Record<string, ClusterEndpoint>;
  startedAt: number;
  /** Counter values this node keeps (log writes, dispatches ...). */
  counters: () => Array<{ name: string; help: string; labels: Record<string, string>; value: number }>;
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function openFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export function metricsText(src: MetricsSource): string {
  const ep = { endpoint: src.node };
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number, extra: Record<string, string> = {}): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels({ ...ep, ...extra })} ${value}`);
  };
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss);
  metric('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6);
  metric('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.floor(src.startedAt / 1000));
  metric('process_open_fds', 'gauge', 'Number of open file descriptors.', openFds());
  const seen = new Set<string>();
  for (const c of src.counters()) {
    if (!seen.has(c.name)) {
      out.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`);
      seen.add(c.name);
    }
    out.push(`${c.name}${labels({ ...ep, ...c.labels })} ${c.value}`);
  }
  return out.join('\n') + '\n';
}

/** The service-discovery document: one target group listing every node's metrics endpoint. */
export function servicesJson(cluster: Record<string, ClusterEndpoint>): string {
  const targets = Object.keys(cluster).sort()
    .filter((n) => cluster[n].metrics_port !== null)
    .map((n) => `${cluster[n].host.includes(':') ? `[${cluster[n].host}]` : cluster[n].host}:${cluster[n].metrics_port}`);
  return JSON.stringify([{ targets, labels: {} }]);
}

/**
 * A TCP server that hands its connections to an http.Server created on the first one
 * (injected with its 'connection' event, as node:http documents). close() also closes the
 * HTTP server's idle keep-alive connections, as http.Server's own close() does.
 */
export class LazyHttpServer extends net.Server {
  private http: http.Server | null = null;

  constructor(private readonly handler: http.RequestListener) {
    super((sock) => this.serve(sock));
  }

  private serve(sock: net.Socket): void {
    if (!this.http) {
      this.http = (require('node:http') as typeof import('node:http')).createServer(this.handler);
      // http.Server starts its header/request timeout checks on 'listening'; this one never listens itself.
      this.http.emit('listening');
    }
    this.http.emit('connection', sock);
  }

  override close(callback?: (err?: Error) => void): this {
    this.http?.close();
    return super.close(callback);
  }
}

export function metricsServer(src: MetricsSource, isManager: boolean): LazyHttpServer {
  return new LazyHttpServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metricsText(src));
    } else if (req.method === 'GET' && url === '/services.json' && isManager) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(servicesJson(src.cluster));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
}
