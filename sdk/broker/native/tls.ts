// Broker encrypts peer connections unless `broker.disable-ssl` is set (Zeek:
// Broker::disable_ssl, F by default). Without certificates it uses anonymous ECDH
// (connector.cc, ssl_context_from_cfg): cipher list "AECDH-AES256-SHA@SECLEVEL=0",
// group P-384, TLS 1.2 at least, no peer verification. Anonymous ciphers do not exist in
// TLS 1.3, so such a connection is TLS 1.2; we cap at 1.2 so that an OpenSSL 3 server
// with a certificate callback (Node installs one) does not pick 1.3 and fail for lack
// of a certificate. With certificates, Broker wants "HIGH:!aNULL:!MD5" and verifies the
// peer on both sides.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';

export interface BrokerTlsFiles {
  /** PEM certificate chain (Broker::ssl_certificate). */
  cert?: string | Buffer;
  /** PEM private key (Broker::ssl_keyfile). */
  key?: string | Buffer;
  /** Trusted CAs (Broker::ssl_cafile, and the certificates in Broker::ssl_capath); only these, never node's bundled roots. */
  ca: string | Buffer | Array<string | Buffer>;
  passphrase?: string;
}

/** Zeek's Broker::ssl_* settings (an empty string is unset). */
export interface BrokerSslSettings {
  cafile: string;
  capath: string;
  certificate: string;
  keyfile: string;
  passphrase: string;
}

/**
 * What a native Broker link uses, as Broker decides it: plain TCP with Broker::disable_ssl,
 * else TLS with certificates, verified on both sides, as soon as any Broker::ssl_* setting
 * is set, else anonymous TLS (true). Unreadable files are an error naming the setting.
 */
export function brokerTls(disableSsl: boolean, s: BrokerSslSettings): boolean | BrokerTlsFiles {
  if (disableSsl) return false;
  if (!s.cafile && !s.capath && !s.certificate && !s.keyfile && !s.passphrase) return true;
  const read = (setting: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`Broker::${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca: Buffer[] = [];
  if (s.cafile) {
    const pem = read('ssl_cafile', s.cafile);
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`Broker::ssl_cafile: no PEM certificate in ${s.cafile}`);
    ca.push(pem);
  }
  if (s.capath) {
    let names: string[];
    try {
      names = fs.readdirSync(s.capath).sort();
    } catch (err) {
      throw new Error(`Broker::ssl_capath: cannot read ${s.capath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const n of names) {
      const f = path.join(s.capath, n);
      if (!fs.statSync(f, { throwIfNoEntry: false })?.isFile()) continue;
      const pem = fs.readFileSync(f);
      if (pem.includes('-----BEGIN CERTIFICATE-----')) ca.push(pem);
    }
  }
  const files: BrokerTlsFiles = {
    ca,
    ...(s.certificate ? { cert: read('ssl_certificate', s.certificate) } : {}),
    ...(s.keyfile ? { key: read('ssl_keyfile', s.keyfile) } : {}),
    ...(s.passphrase ? { passphrase: s.passphrase } : {}),
  };
  // OpenSSL's own words for a key that does not decrypt or match, a file that is no PEM:
  // said here, at start-up, with the settings they concern.
  try {
    tls.createSecureContext({ ...files });
  } catch (err) {
    throw new Error(`Broker::ssl_certificate, ssl_keyfile, ssl_passphrase, ssl_cafile: ${(err as Error).message}`);
  }
  return files;
}

const ANONYMOUS: tls.SecureContextOptions = {
  ciphers: 'AECDH-AES256-SHA:@SECLEVEL=0',
  ecdhCurve: 'P-384',
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
};

/** Options for tls.connect() towards a Broker peer. */
export function clientTlsOptions(files?: BrokerTlsFiles): tls.ConnectionOptions {
  if (!files) return { ...ANONYMOUS, rejectUnauthorized: false, checkServerIdentity: () => undefined };
  return { ...files, ciphers: 'HIGH:!aNULL:!MD5', minVersion: 'TLSv1.2', rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/** Options for tls.createServer() accepting Broker peers. */
export function serverTlsOptions(files?: BrokerTlsFiles): tls.TlsOptions {
  if (!files) return { ...ANONYMOUS, requestCert: false, rejectUnauthorized: false };
  return { ...files, ciphers: 'HIGH:!aNULL:!MD5', minVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true };
}
