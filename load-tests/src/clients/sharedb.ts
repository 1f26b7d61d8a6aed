import otText from 'ot-text-unicode';
import ShareDBClient, { type Connection, type Doc } from 'sharedb/lib/client/index.js';
import { WebSocket } from 'ws';
import type { ClientDriver, Editor, EditorEvents, ServerDocState, TextOp } from './editor.js';
import { SHAREDB_COLLECTION } from './sharedb-common.js';

ShareDBClient.types.register(otText.type);

/**
 * A ShareDB editor: one Connection over one ws socket, one subscribed Doc. ShareDB also
 * keeps one op in flight and composes the rest; each submitOp callback fires when the op
 * carrying that keystroke is acknowledged, with `doc.version` then equal to the version
 * after it (the same number the other editors' `op` event sees). The callbacks of one
 * composed op fire back to back; they are gathered per version and reported once.
 */
class ShareDBEditor implements Editor {
  private readonly socket: WebSocket;
  private readonly connection: Connection;
  private readonly doc: Doc;
  private subscribed = false;
  private readonly acks = new Map<number, number[]>();
  private flushScheduled = false;

  constructor(
    url: string,
    docId: string,
    private readonly docIndex: number,
    private readonly events: EditorEvents,
  ) {
    this.socket = new WebSocket(url);
    this.connection = new ShareDBClient.Connection(this.socket);
    this.doc = this.connection.get(SHAREDB_COLLECTION, docId);
    this.doc.subscribe((err) => {
      if (err) events.failed(`subscribe: ${err.message}`);
      else this.subscribed = true;
    });
    this.doc.on('op', (_op, source) => {
      // Local ops fire 'op' too (source true); a remote op's version is already counted in.
      if (!source) events.received(docIndex, this.doc.version as number, events.now());
    });
    this.doc.on('error', (err) => events.failed(err.message));
  }

  get ready(): boolean {
    return this.subscribed && this.doc.type !== null;
  }

  get text(): string {
    return this.doc.data as string;
  }

  get version(): number {
    return this.doc.version ?? 0;
  }

  get pending(): boolean {
    return this.doc.hasPending();
  }

  submit(op: TextOp): void {
    const at = this.events.now();
    this.doc.submitOp(op, {}, (err) => {
      if (err) {
        this.events.failed(err.message);
        return;
      }
      const version = this.doc.version as number;
      const list = this.acks.get(version);
      if (list) list.push(at);
      else this.acks.set(version, [at]);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flushAcks());
      }
    });
    this.events.submitted(at);
  }

  private flushAcks(): void {
    this.flushScheduled = false;
    for (const [version, sends] of this.acks) this.events.acked(this.docIndex, version, sends);
    this.acks.clear();
  }

  close(): void {
    this.connection.close();
  }
}

async function readServer(
  url: string,
  _token: string,
  docIds: string[],
): Promise<Map<string, ServerDocState>> {
  const socket = new WebSocket(url);
  const connection = new ShareDBClient.Connection(socket);
  const result = new Map<string, ServerDocState>();
  try {
    await Promise.all(
      docIds.map(
        (docId) =>
          new Promise<void>((resolve, reject) => {
            const doc = connection.get(SHAREDB_COLLECTION, docId);
            const timer = setTimeout(() => reject(new Error(`fetching ${docId} timed out`)), 30_000);
            doc.fetch((err) => {
              clearTimeout(timer);
              if (err) return reject(err);
              result.set(docId, { text: doc.data as string, version: doc.version ?? 0 });
              resolve();
            });
          }),
      ),
    );
  } finally {
    connection.close();
  }
  return result;
}

export const sharedbDriver: ClientDriver = {
  connect: (url, _token, docId, doc, events) => new ShareDBEditor(url, docId, doc, events),
  readServer,
};
