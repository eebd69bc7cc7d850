// The [instances] section of a cluster configuration .ini, read as zeek-client does:
//   agent-a                  value-less (or empty): agent-a connects to the controller;
//   agent-b = 10.0.0.2:2151  the controller connects to agent-b's agent at host:port;
//   agent-c = [::1]:2151     IPv6 hosts may be bracketed (brackets and blanks are stripped).
// Instance names are keys, so configparser has lowercased them.
// zeek-client checks the port only when it later converts it for Broker (and then fails
// with a Python traceback); we check it here: a decimal integer in 1..65535.

import { isIP } from 'node:net';
import { Instance } from '../model/schemas';
import { ConfigFileError } from './config-file-error';
import { IniDocument } from './ini-parse';
import { parsePyInt, pyStrip } from './python-string';

export const INSTANCES_SECTION = 'instances';

export function instancesFromIni(doc: IniDocument): Instance[] {
  const instances: Instance[] = [];
  for (const [name, spec] of doc.items(INSTANCES_SECTION)) {
    const where = { fileName: doc.fileName, section: INSTANCES_SECTION, key: name, line: doc.entry(INSTANCES_SECTION, name)?.line };
    if (!spec) {
      instances.push({ name, host: '0.0.0.0', listen_port: null });
      continue;
    }
    const colon = spec.lastIndexOf(':');
    const rawHost = colon < 0 ? '' : spec.slice(0, colon);
    const rawPort = colon < 0 ? spec : spec.slice(colon + 1);
    if (rawHost === '' || rawPort === '') {
      throw new ConfigFileError(where, `invalid spec for instance "${name}": "${spec}" should be <host>:<port>`);
    }
    const host = pyStrip(rawHost, '[] ');
    const portText = pyStrip(rawPort);
    if (isIP(host) === 0) {
      throw new ConfigFileError(where, `'${host}' does not appear to be an IPv4 or IPv6 address`);
    }
    const port = parsePyInt(portText);
    if (port === null || port < 1n || port > 65535n) {
      throw new ConfigFileError(where, `invalid port "${portText}" for instance "${name}": need a number in 1..65535`);
    }
    instances.push({ name, host, listen_port: Number(port) });
  }
  return instances;
}
