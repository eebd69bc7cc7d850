// The controller's settings: Zeek's defaults, the environment variables Zeek reads,
// overrides by field name or by Zeek name, and clear errors for bad values.

import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import { controllerConfigFromEnv, ControllerConfigError } from '../framework/controller/config';

describe('controller settings', () => {
  it('defaults to Zeek\'s: 0.0.0.0, ports 2150 and 2149, controller-<hostname>, 2200/9000, 10 s, 1 s', () => {
    const c = controllerConfigFromEnv({});
    assert.equal(c.name, `controller-${os.hostname()}`);
    assert.deepEqual([c.listenAddress, c.listenPort, c.listenAddressWebsocket, c.listenPortWebsocket], ['0.0.0.0', 2150, '0.0.0.0', 2149]);
    assert.deepEqual([c.autoAssignBrokerPorts, c.autoAssignBrokerStartPort, c.autoAssignMetricsPorts, c.autoAssignMetricsStartPort], [true, 2200, true, 9000]);
    assert.deepEqual([c.requestTimeoutMs, c.connectRetryMs, c.maxMessageBytes, c.logLevel], [10_000, 1_000, 16 * 1024 * 1024, 'INFO']);
    assert.deepEqual([c.topic, c.agentTopicPrefix, c.tlsWebsocket], ['zeek/management/controller', 'zeek/management/agent', undefined]);
    assert.equal(c.stateFile, path.join(process.cwd(), 'controller', 'state.json'));
  });

  it('reads ZEEK_CONTROLLER_* and ZEEK_MANAGEMENT_STATE_DIR', () => {
    const c = controllerConfigFromEnv({
      ZEEK_CONTROLLER_NAME: 'ctl', ZEEK_CONTROLLER_ADDR: '127.0.0.2', ZEEK_CONTROLLER_PORT: '3150/tcp',
      ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.3', ZEEK_CONTROLLER_WEBSOCKET_PORT: '3149', ZEEK_MANAGEMENT_STATE_DIR: '/tmp/zm-state',
    });
    assert.deepEqual([c.name, c.listenAddress, c.listenPort, c.listenAddressWebsocket, c.listenPortWebsocket], ['ctl', '127.0.0.2', 3150, '127.0.0.3', 3149]);
    assert.equal(c.stateFile, '/tmp/zm-state/controller/state.json');
  });

  it('falls back to Management::default_address for unset addresses; 0/unknown disables a listener', () => {
    const c = controllerConfigFromEnv({ ZEEK_CONTROLLER_PORT: '0/unknown' }, { 'Management::default_address': '10.1.2.3' });
    assert.deepEqual([c.listenAddress, c.listenAddressWebsocket, c.listenPort], ['10.1.2.3', '10.1.2.3', null]);
  });

  it('lets overrides (field or Zeek names) win over the environment', () => {
    const c = controllerConfigFromEnv({ ZEEK_CONTROLLER_PORT: '3150', ZEEK_CONTROLLER_NAME: 'env' }, {
      listenPort: 0, 'Management::Controller::name': 'over', 'Management::Request::timeout_interval': '2 sec',
      'Management::Controller::auto_assign_broker_ports': 'F', 'Management::connect_retry': 250,
      'Management::Controller::tls_options_websocket': { cert_file: '/c.pem', key_file: '/k.pem', ca_file: '/ca.pem' },
    });
    assert.deepEqual([c.listenPort, c.name, c.requestTimeoutMs, c.autoAssignBrokerPorts, c.connectRetryMs], [0, 'over', 2000, false, 250]);
    assert.deepEqual(c.tlsWebsocket, { certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem' });
  });

  it('rejects bad values and unknown settings with messages naming them', () => {
    assert.throws(() => controllerConfigFromEnv({ ZEEK_CONTROLLER_PORT: 'http' }), /ZEEK_CONTROLLER_PORT: "http" is not a TCP port/);
    assert.throws(() => controllerConfigFromEnv({}, { listenPort: 70000 }), /listenPort: 70000 is not a port number/);
    assert.throws(() => controllerConfigFromEnv({}, { 'Management::Controller::nope': 1 }), ControllerConfigError);
    assert.throws(() => controllerConfigFromEnv({}, { requestTimeoutMs: -1 }), /requestTimeoutMs: expected a positive interval/);
    assert.throws(() => controllerConfigFromEnv({}, { tlsWebsocket: { certFile: '/c.pem' } }), /needs both certFile/);
    assert.throws(() => controllerConfigFromEnv({}, { autoAssignBrokerStartPort: 0 }), /start port/);
  });
});

describe('controller process settings argument', () => {
  it('reads inline JSON or a JSON file, and says what is wrong with bad ones', async () => {
    const fs = await import('node:fs');
    const { readSettingsArgument } = await import('../framework/controller/main');
    const { tempDir } = await import('./helpers/controller-process');
    assert.deepEqual(readSettingsArgument(undefined), {});
    assert.deepEqual(readSettingsArgument('{"listenPort": 0}'), { listenPort: 0 });
    const file = path.join(tempDir(), 'settings.json');
    fs.writeFileSync(file, '{"Management::Controller::name": "c1"}');
    assert.deepEqual(readSettingsArgument(file), { 'Management::Controller::name': 'c1' });
    assert.throws(() => readSettingsArgument('{nope'), /controller settings are not valid JSON/);
    fs.writeFileSync(file, '[1]');
    assert.throws(() => readSettingsArgument(file), /must be a JSON object/);
  });
});
