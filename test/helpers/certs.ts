// Test certificates made with the machine's openssl in a temporary directory:
// a CA, a server certificate for 127.0.0.1 / localhost (subjectAltName, so clients that
// check the server's name, as zeek-client does, accept it) and a client certificate,
// both signed by the CA; and, on request, a second CA that signed neither.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A self-signed CA certificate `<name>.pem` (key `<name>.key`) in `dir`; returns the certificate's path. */
export function makeCa(dir: string, name: string): string {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=zeek-mgmt-test-${name}`], dir);
  return path.join(dir, `${name}.pem`);
}

/** extraAddresses: more IP addresses for the server certificate's subjectAltName (hosts in network namespaces, say). */
export function makeTestCerts(extraAddresses: string[] = []): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-certs-'));
  makeCa(dir, 'ca');
  const sans = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...extraAddresses.map((a) => `IP:${a}`)];
  fs.writeFileSync(path.join(dir, 'server.ext'), `subjectAltName = ${sans.join(', ')}\n`);
  for (const who of ['server', 'client']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`], dir);
    openssl([
      'x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2',
      ...(who === 'server' ? ['-extfile', 'server.ext'] : []),
    ], dir);
  }
  return {
    dir,
    caCert: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  };
}
