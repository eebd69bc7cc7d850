// Broker encrypts peer connections unless `broker.disable-ssl` is set (Zeek:
// Broker::disable_ssl, F by default). Without certificates it uses anonymous ECDH
// (connector.cc, ssl_context_from_cfg): cipher list "AECDH-AES256-SHA@SECLEVEL=0",
// group P-384, TLS 1.2 at least, no peer verification. Anonymous ciphers do not exist in
// TLS 1.3, so such a connection is TLS 1.2; we cap at 1.2 so that an OpenSSL 3 server
// with a certificate callback (Node installs one) does not pick 1.3 and fail for lack
// of a certificate. With certificates, Broker wants "HIGH:!aNULL:!MD5" and verifies the
// peer on both sides.

import type * as tls from 'node:tls';

export interface BrokerTlsFiles {
  /** PEM certificate chain (Broker::ssl_certificate). */
  cert: string | Buffer;
  /** PEM private key (Broker::ssl_keyfile). */
  key: string | Buffer;
  /** Trusted CAs (Broker::ssl_cafile). */
  ca: string | Buffer;
  passphrase?: string;
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
