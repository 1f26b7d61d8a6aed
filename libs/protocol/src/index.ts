export * from './client-messages.js';
export * from './codec.js';
export {
  ClientChosenId,
  ClientId,
  CommittedOp,
  Cursor,
  DocId,
  DocTypeName,
  ErrorCode,
  OpPayload,
  PROTOCOL_VERSION,
  RESTORE_CLIENT_PREFIX,
  Role,
  Selection,
  Seq,
  UserId,
  Version,
} from './common.js';
export * from './server-messages.js';
