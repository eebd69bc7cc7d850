// The names of the commands: zeek-client's, then zeek-mgmt's own. A module of its own so
// that the executable's loader (start.ts) knows them without loading the parser.

export const ZEEK_CLIENT_COMMANDS = [
  'deploy', 'deploy-config', 'get-config', 'get-id-value', 'get-instances', 'get-nodes',
  'monitor', 'restart', 'stage-config', 'show-settings', 'test-timeout',
] as const;

export const EXTRA_COMMANDS = ['plan', 'apply', 'drift', 'diag', 'run'] as const;
