/**
 * What the load generator needs from a client library: editors that join one document,
 * submit single-character text ops and report acks and remote ops, and a way to read
 * what the server holds. One implementation per protocol (tandem.ts, sharedb.ts).
 */

/** An ot-text-unicode / Tandem `text` op: skips, inserts and deletes, positions in code points. */
export type TextOp = (number | string | { d: number })[];

/** Where an editor reports what happens to it. All times are `now()` of the generator process. */
export interface EditorEvents {
  now(): number;
  /** A keystroke was applied locally and queued for the server. */
  submitted(at: number): void;
  /**
   * The author's op was committed at `version`; `sends` are the submit times of the
   * keystrokes it carried (more than one when the client composed them while an op was in flight).
   */
  acked(doc: number, version: number, sends: number[]): void;
  /** Another editor's op, committed at `version`, was applied here. */
  received(doc: number, version: number, at: number): void;
  /** An error event or a refused op (the client dropped its pending ops). */
  failed(what: string): void;
}

export interface Editor {
  /** Joined, with the document's content. */
  readonly ready: boolean;
  /** The content as this editor sees it. */
  readonly text: string;
  /** The last server version applied (compare only with the same target). */
  readonly version: number;
  /** Local ops not yet acknowledged. */
  readonly pending: boolean;
  submit(op: TextOp): void;
  close(): void;
}

export interface ServerDocState {
  text: string;
  version: number;
}

export interface ClientDriver {
  /** A new connection (one socket) with one editor on `docId`; `doc` is its index for the events. */
  connect(url: string, token: string, docId: string, doc: number, events: EditorEvents): Editor;
  /** The server's content and version of each document, as a client that joins now sees them. */
  readServer(url: string, token: string, docIds: string[]): Promise<Map<string, ServerDocState>>;
}
