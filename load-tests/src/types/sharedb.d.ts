// Minimal declarations for the parts of ShareDB 5 the load generator uses (ShareDB ships
// no types; @types/sharedb describes an older major).

declare module 'sharedb' {
  import type { Duplex } from 'node:stream';
  import type { Connection } from 'sharedb/lib/client/index.js';

  class Backend {
    constructor(options?: { doNotForwardSendPresenceErrorsToClient?: boolean; doNotCommitNoOps?: boolean });
    static types: { register(type: unknown): void };
    listen(stream: Duplex, request?: unknown): unknown;
    connect(): Connection;
    close(callback?: (err?: Error) => void): void;
  }
  export default Backend;
}

declare module 'sharedb/lib/client/index.js' {
  export type Callback = (err?: Error | null) => void;

  export class Doc {
    readonly id: string;
    /** The document's content; undefined before a fetch or subscribe. */
    data: unknown;
    /** The version the next op will have (1 after creation). */
    version: number | null;
    type: unknown;
    subscribe(callback?: Callback): void;
    fetch(callback?: Callback): void;
    create(data: unknown, type: string, callback?: Callback): void;
    submitOp(op: unknown, options?: { source?: unknown }, callback?: Callback): void;
    hasPending(): boolean;
    destroy(callback?: Callback): void;
    on(event: 'op', listener: (op: unknown, source: unknown, src?: string) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  export class Connection {
    constructor(socket: unknown);
    id: string | null;
    state: string;
    get(collection: string, id: string): Doc;
    close(): void;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  const client: {
    Connection: typeof Connection;
    Doc: typeof Doc;
    types: { register(type: unknown): void };
  };
  export default client;
}

declare module '@teamwork/websocket-json-stream' {
  import { Duplex } from 'node:stream';
  export default class WebSocketJSONStream extends Duplex {
    constructor(ws: unknown);
  }
}
