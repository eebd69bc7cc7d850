// The configuration diff engine, shared by the CLI (plan, apply, drift) and the Pulumi provider.

export * from './normalize';
export * from './diff';
