// NODE_EXTRA_CA_CERTS deferred by the CLI's launcher. Node.js 20 loads the file this
// variable names, together with its bundled root certificates, while the process starts,
// before any JavaScript runs and whether or not the process ever makes a TLS connection:
// tens of milliseconds with a system CA bundle (bench/README.md, "CLI start-up"). The
// package's bin is therefore a POSIX sh launcher (the first lines of dist/cli/zeek-mgmt.js,
// written by scripts/bundle-cli.ts) that starts node without the variable and hands its
// value over in DEFERRED_EXTRA_CA_CERTS_ENV. The bin's first statement,
// takeDeferredExtraCaCerts(), takes it back:
// - NODE_EXTRA_CA_CERTS goes back into process.env, so every process the CLI starts gets
//   it as the user set it;
// - the one place where the CLI uses node's default CAs, a wss:// connection whose server
//   is verified without ssl.cafile/ssl.capath (transport/tls.ts), gets what node's default
//   CAs would have been: its bundled root certificates plus the file's certificates
//   (deferredDefaultCas()). Plain ws:// never reads the file.
// Where this node's default CAs are not just its bundled root certificates (built to use
// OpenSSL's store or a system CA path, or told so by --use-openssl-ca / --use-system-ca /
// NODE_USE_SYSTEM_CA), or the file cannot be read (node warns about it at start-up), the
// CLI cannot stand in for node: the bin then runs itself again, as a child with the
// variable set (rerun below), so that node does it all itself.

import * as fs from 'node:fs';

/** Where the launcher puts NODE_EXTRA_CA_CERTS's value; nothing else should set it. */
export const DEFERRED_EXTRA_CA_CERTS_ENV = 'ZEEK_MGMT_DEFERRED_NODE_EXTRA_CA_CERTS';

// The loader and the CLI are two bundles with a copy of this module each: the file is
// kept on the process, not in module state.
const DEFERRED_FILE = Symbol.for('zeek-mgmt.deferred-node-extra-ca-certs');
type WithDeferred = { [DEFERRED_FILE]?: string };

/** Whether this node's default CAs are its bundled root certificates and nothing else. */
export function nodeDefaultCasAreBundled(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
  config: { target_defaults?: { defines?: unknown }; variables?: Record<string, unknown> } = process.config as never,
): boolean {
  const flags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map((f) => f.replace(/_/g, '-'));
  if (flags.includes('--use-openssl-ca') || flags.includes('--use-system-ca')) return false;
  if (env.NODE_USE_SYSTEM_CA === '1') return false;
  const defines = config.target_defaults?.defines;
  // A node built with --openssl-use-def-ca-store uses OpenSSL's store unless told otherwise.
  if (Array.isArray(defines) && defines.includes('NODE_OPENSSL_CERT_STORE') && !flags.includes('--use-bundled-ca')) return false;
  // Certificates of a system CA path (--openssl-system-ca-path) are always added.
  const systemPath = config.variables?.openssl_system_ca_path;
  return !(typeof systemPath === 'string' && systemPath !== '');
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Takes back what the launcher deferred (see above). 'none': nothing was deferred;
 * 'taken': NODE_EXTRA_CA_CERTS is back in `env` and this process stands in for node;
 * 'rerun': it is back in `env`, but the caller must run the CLI again with it (rerun()).
 */
export function takeDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): 'none' | 'taken' | 'rerun' {
  const file = env[DEFERRED_EXTRA_CA_CERTS_ENV];
  if (file === undefined) return 'none';
  delete env[DEFERRED_EXTRA_CA_CERTS_ENV];
  if (file === '') return 'none';
  env.NODE_EXTRA_CA_CERTS = file;
  if (!nodeDefaultCasAreBundled(process.execArgv, env) || !readable(file)) return 'rerun';
  (process as WithDeferred)[DEFERRED_FILE] = file;
  return 'taken';
}

/** The NODE_EXTRA_CA_CERTS file that this process's node did not load at start-up, if any. */
export function deferredExtraCaCerts(): string | undefined {
  return (process as WithDeferred)[DEFERRED_FILE];
}

let defaultCas: { file: string; cas: Array<string | Buffer> } | undefined;

/**
 * Node's default CAs as node would have set them up with the deferred NODE_EXTRA_CA_CERTS
 * (its bundled root certificates, then the file's certificates), for a TLS connection's
 * `ca`; undefined where nothing was deferred (node's own defaults then are right).
 */
export function deferredDefaultCas(): Array<string | Buffer> | undefined {
  const file = deferredExtraCaCerts();
  if (file === undefined) return undefined;
  if (defaultCas?.file !== file) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { rootCertificates } = require('node:tls') as typeof import('node:tls');
    defaultCas = { file, cas: [...rootCertificates, fs.readFileSync(file)] };
  }
  return defaultCas.cas;
}

/**
 * Runs this node script again, with the same node flags and arguments and the current
 * environment, as a child on the same terminal; signals that end a command are passed on,
 * and this process ends as the child did.
 */
export function rerun(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of signals) process.on(s, () => child.kill(s));
  child.on('error', (err) => {
    process.stderr.write(`error: cannot run ${process.execPath}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
