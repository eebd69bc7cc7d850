// The members of the Management data model's enums (Zeek's Supervisor::ClusterRole,
// Management::Role and Management::State), in Zeek's order. schemas.ts builds its
// z.enum()s from these lists, so the zod schemas stay the one source of truth for the
// model; this module exists so that code on the client's start-up path (records.ts,
// the .ini reader) can read the member names without loading zod.

export const CLUSTER_ROLES = ['NONE', 'LOGGER', 'MANAGER', 'PROXY', 'WORKER'] as const;
export const MANAGEMENT_ROLES = ['NONE', 'AGENT', 'CONTROLLER', 'NODE'] as const;
export const STATES = ['PENDING', 'RUNNING', 'STOPPED', 'FAILED', 'CRASHED', 'UNKNOWN'] as const;
