// The zeek-mgmt SDK's public surface: wire codec, data model, transport and the controller client.

export * from './broker/data';
export * from './broker/errors';
export * from './broker/event';
export * from './broker/json-codec';
export * from './broker/json-encode';
export * from './broker/messages';
export * from './model/schemas';
export * from './model/records';
export * from './model/events';
export * from './model/diagnostics';
export * from './transport/topics';
export * from './transport/tls';
export { EndpointClient, EndpointClientOptions, ConnectError } from './transport/endpoint-client';
export { EndpointServer, EndpointServerOptions, Peer } from './transport/endpoint-server';
export * from './client/controller-client';
export * from './client/result-data';
