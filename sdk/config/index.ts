// Cluster configuration files, read and written exactly as zeek-client does.

export { ConfigFileError, formatConfigLocation, formatConfigWarning } from './config-file-error';
export type { ConfigLocation, ConfigWarning } from './config-file-error';
export { configurationFromIni, instancesImpliedByNodes, parseConfigurationIni } from './configuration-from-ini';
export type { ParseConfigurationOptions } from './configuration-from-ini';
export { configurationToIni } from './configuration-to-ini';
export { formatFieldPath, parseConfigurationJson } from './configuration-from-json';
export { configurationToJson, configurationToJsonData, instanceToJsonData, nodeToJsonData } from './configuration-to-json';
export type { ConfigurationToJsonOptions } from './configuration-to-json';
export { IniDocument, parseIni, DEFAULT_SECTION } from './ini-parse';
export type { IniEntry, IniSection } from './ini-parse';
export { writeIni } from './ini-write';
export type { IniWriteSection } from './ini-write';
export { impliedInstanceName, lookupClusterRole } from './node-from-ini';
export { PythonFloat, pythonFloatRepr, pythonJsonDumps, pythonJsonString } from './python-json';
export type { PythonJsonOptions } from './python-json';
export { comparePyStrings } from './python-string';
export { ShlexError, shlexSplit } from './shlex-split';
export {
  detectConfigurationFormat, parseConfigurationText, readConfigurationFile,
} from './read-configuration-file';
export type { ConfigurationFormat, ReadConfigurationOptions } from './read-configuration-file';
