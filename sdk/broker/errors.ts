// Typed errors of the wire layer. Codes are Broker's error code names, so that the
// same value can go back to a WebSocket peer in an error message.

export type BrokerErrorCode =
  | 'unspecified'
  | 'peer_incompatible'
  | 'peer_invalid'
  | 'peer_unavailable'
  | 'peer_disconnect_during_handshake'
  | 'peer_timeout'
  | 'request_timeout'
  | 'type_clash'
  | 'invalid_data'
  | 'invalid_topic_key'
  | 'invalid_tag'
  | 'invalid_status'
  | 'deserialization_failed'
  | 'serialization_failed'
  | 'shutting_down'
  | 'connection_timeout'
  // Codes of the native Broker protocol (sdk/broker/native/).
  | 'invalid_message'
  | 'unexpected_handshake_message'
  | 'invalid_handshake_state'
  | 'wrong_magic_number'
  | 'redundant_connection'
  | 'logic_error';

/** Raised for any input the codec cannot accept; `path` points into the JSON value. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: BrokerErrorCode,
    readonly detail: string,
    readonly path: string = '$',
  ) {
    super(path === '$' || path === '' ? detail : `${path}: ${detail}`);
  }
}

/** Raised when a well-formed Broker value does not have the shape a record or event needs. */
export class ShapeError extends WireError {
  constructor(detail: string, path = '$') {
    super('type_clash', detail, path);
  }
}
