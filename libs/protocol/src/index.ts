export * from './client-messages.js';
export * from './codec.js';
export {
  ClientId,
  CommittedOp,
  Cursor,
  DocId,
  DocTypeName,
  ErrorCode,
  OpPayload,
  PROTOCOL_VERSION,
  Role,
  Selection,
  Seq,
  UserId,
  Version,
} from './common.js';
export * from './server-messages.js';
