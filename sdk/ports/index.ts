// Zeek's automatic Broker and metrics port assignment, shared by the controller and the CLI.

export * from './auto-assign';
