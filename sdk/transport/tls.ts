// TLS settings for wss:// connections, with zeek-client's meaning: without a client
// certificate the server is not verified (Broker's default); with one, the server must
// present a certificate that the cafile or capath (when neither is given: Node's default
// CAs, as zeek-client falls back to the system's; with NODE_EXTRA_CA_CERTS's too) vouches
// for, issued to the host name or address connected to.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import { deferredDefaultCas } from './extra-ca-certs';

export interface ClientTlsSettings {
  certificate?: string;
  keyfile?: string;
  cafile?: string;
  capath?: string;
  passphrase?: string;
}

export interface ServerTlsSettings {
  certificate: string;
  keyfile: string;
  passphrase?: string;
  /** The CAs client certificates are checked against (default: Node's default CAs). */
  cafile?: string;
  /** Clients must present a valid certificate; default: exactly when cafile is set. */
  requireClientCertificate?: boolean;
  /** OpenSSL cipher list; default: Node's. */
  ciphers?: string;
}

export class TlsSettingsError extends Error {
  override readonly name = 'TlsSettingsError';
}

const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

function mustBeFile(file: string, what: string): Buffer {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TlsSettingsError(`SSL ${what} file "${file}" not found`);
  return fs.readFileSync(file);
}

function caFromPath(dir: string): Buffer[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TlsSettingsError(`SSL trusted CAs path "${dir}" not found`);
  return fs.readdirSync(dir)
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f));
}

export function clientTlsOptions(s: ClientTlsSettings): ConnectionOptions {
  const opts: ConnectionOptions = {};
  if (s.certificate) {
    const cert = mustBeFile(s.certificate, 'certificate');
    opts.cert = cert;
    // As with zeek-client (Python's load_cert_chain), the key may sit in the certificate file.
    if (!s.keyfile) {
      if (!PRIVATE_KEY_PEM.test(cert.toString('latin1'))) {
        throw new TlsSettingsError(`SSL certificate file "${s.certificate}" holds no private key, and no keyfile is set`);
      }
      opts.key = cert;
    }
  }
  if (s.keyfile) opts.key = mustBeFile(s.keyfile, 'private key');
  if (s.passphrase) opts.passphrase = s.passphrase;
  const ca: Buffer[] = [];
  if (s.cafile) ca.push(mustBeFile(s.cafile, 'trusted CAs'));
  if (s.capath) ca.push(...caFromPath(s.capath));
  if (s.certificate) {
    // Node's default CAs otherwise; where the CLI's launcher kept NODE_EXTRA_CA_CERTS from
    // node's start-up, what node would have made of it (extra-ca-certs.ts).
    const cas = ca.length > 0 ? ca : deferredDefaultCas();
    if (cas) opts.ca = cas;
    opts.rejectUnauthorized = true;
  } else {
    opts.rejectUnauthorized = false;
  }
  return opts;
}

export function serverTlsOptions(s: ServerTlsSettings): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    cert: mustBeFile(s.certificate, 'certificate'),
    key: mustBeFile(s.keyfile, 'private key'),
    passphrase: s.passphrase || undefined,
    ca: s.cafile ? mustBeFile(s.cafile, 'trusted CAs') : undefined,
    ciphers: s.ciphers || undefined,
    requestCert: s.requireClientCertificate ?? !!s.cafile,
    rejectUnauthorized: s.requireClientCertificate ?? !!s.cafile,
  };
}
