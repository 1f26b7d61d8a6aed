export { codePointLength, codePointToUtf16, utf16ToCodePoint } from '@tandem/ot';
export { ClientDoc, type ClientDocEvents, type ClientDocOptions, type EditOrigin } from './client-doc.js';
export type { RemotePresence, SelectionValue } from './presence.js';
export {
  type ConnectionState,
  TandemClient,
  type TandemClientEvents,
  type TandemClientOptions,
  type Transport,
} from './tandem-client.js';
export { UndoManager, type UndoOptions } from './undo-manager.js';
export {
  connectWebSocket,
  type WebSocketConnectionOptions,
  type WebSocketLike,
} from './websocket-connection.js';
