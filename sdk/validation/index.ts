// Configuration validation shared by the controller, the CLI and the Pulumi provider.

export * from './configuration';
export * from './names';
