// The pieces behind "who may command the cluster", without processes: when the client
// port warning is due, Management::Controller::tls_options_websocket as a setting of
// `zeek-mgmt run` (Zeek's record literal, its errors, what the controller gets), and the
// Supervisor secret's file and header checks.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { clientPortWarning, controllerConfigFromEnv, isLoopbackAddress } from '../framework/controller/config';
import { Settings } from '../framework/settings/settings';
import { parseRedefText } from '../framework/settings/sources';
import { formatValue } from '../framework/settings/types';
import { agentSecretFromEnv, checkAuthorization, generateSecret, readSecretFile, SECRET_ENV, SECRET_FILE_ENV, supervisorSecretFromEnv } from '../framework/supervisor/control-secret';
import { controllerOverrides } from '../framework/supervisor/launcher';
import { tempDir } from './run-support';

const TLS = 'Management::Controller::tls_options_websocket';

describe('the client port warning', () => {
  const cfg = (address: string, tls?: object, port: number | null = 2149) => controllerConfigFromEnv({}, { listenAddressWebsocket: address, listenPortWebsocket: port, tlsWebsocket: tls });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', 'sensor.example', '::ffff:10.0.0.1']) assert.equal(isLoopbackAddress(a), false, a);
  });

  it('is due beyond loopback without client certificates, and names the settings that require them', () => {
    const w = clientPortWarning(cfg('0.0.0.0'));
    assert.match(w ?? '', /^the controller's client port 0\.0\.0\.0:2149 is reachable beyond loopback with no TLS: /);
    assert.match(w ?? '', /Management::Controller::tls_options_websocket=\[\$cert_file="server\.pem", \$key_file="server\.key", \$ca_file="ca\.pem", \$enable_peer_verification=T\]/);
    assert.match(clientPortWarning(cfg('::')) ?? '', /client port \[::\]:2149 .* with no TLS/);
    assert.match(clientPortWarning(cfg('10.1.2.3', { cert_file: '/c', key_file: '/k' })) ?? '', /with TLS without client certificates/);
    assert.match(clientPortWarning(cfg('10.1.2.3', { cert_file: '/c', key_file: '/k', ca_file: '/ca', enable_peer_verification: false })) ?? '', /TLS without client certificates/);
  });

  it('is not due on loopback, with client certificates required, or without a client port', () => {
    assert.equal(clientPortWarning(cfg('127.0.0.1')), null);
    assert.equal(clientPortWarning(cfg('0.0.0.0', { cert_file: '/c', key_file: '/k', ca_file: '/ca' })), null);
    assert.equal(clientPortWarning(cfg('0.0.0.0', { cert_file: '/c', key_file: '/k', enable_peer_verification: true })), null);
    assert.equal(clientPortWarning(cfg('0.0.0.0', undefined, null)), null);
  });
});

describe('Management::Controller::tls_options_websocket as a zeek-mgmt run setting', () => {
  it('reads Zeek\'s record literal from arguments and redef files and hands it to the controller', () => {
    const s = Settings.resolve({ env: {}, args: [`${TLS}=[$cert_file="/etc/s.pem", $key_file="/etc/s.key", $ca_file="/etc/ca.pem", $enable_peer_verification=T]`] });
    assert.deepEqual(s.get(TLS), { cert_file: '/etc/s.pem', key_file: '/etc/s.key', ca_file: '/etc/ca.pem', enable_peer_verification: true });
    assert.equal(formatValue(s.get(TLS), 'websocket-tls-options'), '[$cert_file="/etc/s.pem", $key_file="/etc/s.key", $ca_file="/etc/ca.pem", $enable_peer_verification=T]');
    const c = controllerConfigFromEnv({}, controllerOverrides(s));
    assert.deepEqual(c.tlsWebsocket, { certFile: '/etc/s.pem', keyFile: '/etc/s.key', caFile: '/etc/ca.pem', enablePeerVerification: true });
    const [a] = parseRedefText(`redef ${TLS} = Cluster::WebSocketTLSOptions($cert_file="a", $key_file="b");\n`, 'local.zeek');
    assert.deepEqual(a.value, { cert_file: 'a', key_file: 'b' });
    // The default is Zeek's: off.
    assert.equal(controllerConfigFromEnv({}, controllerOverrides(Settings.resolve({ env: {} }))).tlsWebsocket, undefined);
  });

  it('names what is wrong', () => {
    assert.throws(() => Settings.resolve({ env: {}, args: [`${TLS}=[$cert_file="a", $verify=T]`] }), /has no field \$verify \(fields: \$cert_file, \$key_file, \$enable_peer_verification, \$ca_file, \$ciphers\)/);
    assert.throws(() => Settings.resolve({ env: {}, args: [`${TLS}=[$enable_peer_verification="yes"]`] }), /\$enable_peer_verification: expected a bool \(T or F\), got string "yes"/);
    assert.throws(() => Settings.resolve({ env: {}, args: [`${TLS}="/etc/s.pem"`] }), /expected a Cluster::WebSocketTLSOptions record/);
    assert.throws(() => controllerConfigFromEnv({}, controllerOverrides(Settings.resolve({ env: {}, args: [`${TLS}=[$cert_file="a"]`] }))), /TLS needs both certFile \(cert_file\) and keyFile \(key_file\)/);
  });
});

describe('the Supervisor secret', () => {
  let dir: string;
  beforeEach(() => { dir = tempDir('zeek-mgmt-secret-unit-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (text: string, mode: number): string => {
    const f = path.join(dir, `s-${Math.random()}`);
    fs.writeFileSync(f, text, { mode });
    fs.chmodSync(f, mode);
    return f;
  };

  it('is fresh at every start, or the first line of a 0600 file', () => {
    const a = supervisorSecretFromEnv({});
    const b = supervisorSecretFromEnv({});
    assert.notEqual(a.secret, b.secret);
    assert.match(a.secret, /^[A-Za-z0-9_-]{43}$/);
    const f = write('  abcdefghijklmnopqrstuvwxyz \nignored\n', 0o600);
    assert.deepEqual(supervisorSecretFromEnv({ [SECRET_FILE_ENV]: f }), { secret: 'abcdefghijklmnopqrstuvwxyz', source: `from ${f}` });
    assert.equal(agentSecretFromEnv({ [SECRET_FILE_ENV]: f }), 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(agentSecretFromEnv({ [SECRET_ENV]: 'from-the-supervisor-0123', [SECRET_FILE_ENV]: f }), 'from-the-supervisor-0123');
    assert.equal(agentSecretFromEnv({}), undefined);
  });

  it('refuses files others can read, short secrets, missing files, directories', () => {
    assert.throws(() => readSecretFile(write(generateSecret(), 0o640)), /is accessible to other users \(mode 0640\); chmod 600 it/);
    assert.throws(() => readSecretFile(write('short', 0o600)), /at least 16 characters long, got 5/);
    assert.throws(() => readSecretFile(write('has a space in it, long enough', 0o600)), /printable ASCII without spaces/);
    assert.throws(() => readSecretFile(path.join(dir, 'none')), /cannot read the Supervisor secret file .*: ENOENT/);
    assert.throws(() => readSecretFile(dir), /is not a regular file/);
    assert.throws(() => agentSecretFromEnv({ [SECRET_ENV]: 'short' }), /ZEEK_MGMT_SUPERVISOR_SECRET: .*at least 16/);
  });

  it('checks the upgrade request\'s Authorization header', () => {
    const secret = generateSecret();
    const req = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
    assert.equal(checkAuthorization(req(`Bearer ${secret}`), secret), null);
    assert.match(checkAuthorization(req(), secret) ?? '', /^no Authorization header/);
    assert.equal(checkAuthorization(req(`Bearer ${secret}x`), secret), 'a wrong secret');
    assert.equal(checkAuthorization(req(`Bearer ${secret.slice(1)}`), secret), 'a wrong secret');
    assert.match(checkAuthorization(req(`Basic ${secret}`), secret) ?? '', /not "Bearer <secret>"/);
    assert.match(checkAuthorization(req(`Bearer ${secret} extra`), secret) ?? '', /not "Bearer <secret>"/);
  });
});
