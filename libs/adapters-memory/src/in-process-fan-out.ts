import { type DocBroadcast, type FanOut, type Log, silentLog } from '@tandem/core';

/**
 * Per-document broadcast inside one process: handlers run synchronously, in publish order.
 * A handler that throws is logged and skipped: the publisher (a committer announcing its
 * ops) and the other handlers go on.
 */
export class InProcessFanOut implements FanOut {
  private readonly channels = new Map<string, Set<(message: DocBroadcast) => void>>();
  private readonly log: Log;

  constructor(options: { log?: Log } = {}) {
    this.log = options.log ?? silentLog;
  }

  async publish(docId: string, message: DocBroadcast): Promise<void> {
    const handlers = this.channels.get(docId);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.log.error({ err, docId }, 'A broadcast handler threw');
      }
    }
  }

  subscribe(docId: string, handler: (message: DocBroadcast) => void): () => void {
    let handlers = this.channels.get(docId);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(docId, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.channels.delete(docId);
    };
  }
}
