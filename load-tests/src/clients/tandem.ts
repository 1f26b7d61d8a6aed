import { type ClientDoc, connectWebSocket, TandemClient } from '@tandem/client';
import { WebSocket } from 'ws';
import type { ClientDriver, Editor, EditorEvents, ServerDocState, TextOp } from './editor.js';

/**
 * A Tandem editor: one TandemClient (undo off: the load test never undoes), one socket,
 * one ClientDoc. ClientDoc keeps one op in flight and composes later keystrokes into one
 * buffered op, so the editor keeps the submit times of the in-flight op's keystrokes and
 * of the buffered ones; at each ack the buffer becomes the next in-flight op, exactly as
 * ClientDoc's flush does (the load test's ops are far below the size that starts a second
 * buffered op).
 */
class TandemEditor implements Editor {
  private readonly client: TandemClient;
  private readonly doc: ClientDoc;
  private readonly disconnect: () => void;
  private inflight: number[] = [];
  private buffered: number[] = [];

  constructor(
    url: string,
    token: string,
    docId: string,
    docIndex: number,
    private readonly events: EditorEvents,
  ) {
    this.client = new TandemClient({ token, doc: { undo: false } });
    this.disconnect = connectWebSocket(this.client, url, { WebSocket });
    this.doc = this.client.open(docId);
    this.doc.on('ack', ({ version }) => {
      const sends = this.inflight;
      this.inflight = this.buffered;
      this.buffered = [];
      events.acked(docIndex, version, sends);
    });
    this.doc.on('remote-op', ({ version }) => events.received(docIndex, version, events.now()));
    this.doc.on('reset', () => {
      this.inflight = [];
      this.buffered = [];
      events.failed('reset');
    });
    this.doc.on('error', (err) => events.failed(err.code));
    this.client.on('error', (err) => events.failed(err.code));
  }

  get ready(): boolean {
    return this.doc.isReady;
  }

  get text(): string {
    return this.doc.data as string;
  }

  get version(): number {
    return this.doc.version;
  }

  get pending(): boolean {
    return this.doc.hasPendingOps;
  }

  submit(op: TextOp): void {
    const at = this.events.now();
    const idle = !this.doc.hasPendingOps;
    this.doc.submit(op);
    (idle ? this.inflight : this.buffered).push(at);
    this.events.submitted(at);
  }

  close(): void {
    this.disconnect();
  }
}

/** Joins `docIds` in batches (a gateway may cap documents per socket) and reads each snapshot. */
async function readServer(
  url: string,
  token: string,
  docIds: string[],
): Promise<Map<string, ServerDocState>> {
  const client = new TandemClient({ token, doc: { undo: false } });
  const disconnect = connectWebSocket(client, url, { WebSocket });
  const result = new Map<string, ServerDocState>();
  try {
    for (let i = 0; i < docIds.length; i += 50) {
      const batch = docIds.slice(i, i + 50);
      await Promise.all(
        batch.map(
          (docId) =>
            new Promise<void>((resolve, reject) => {
              const doc = client.open(docId);
              const timer = setTimeout(() => reject(new Error(`joining ${docId} timed out`)), 30_000);
              doc.on('ready', () => {
                clearTimeout(timer);
                result.set(docId, { text: doc.data as string, version: doc.version });
                client.close(docId);
                resolve();
              });
            }),
        ),
      );
    }
  } finally {
    disconnect();
  }
  return result;
}

export const tandemDriver: ClientDriver = {
  connect: (url, token, docId, doc, events) => new TandemEditor(url, token, docId, doc, events),
  readServer,
};
