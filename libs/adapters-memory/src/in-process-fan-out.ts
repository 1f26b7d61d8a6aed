import type { DocBroadcast, FanOut } from '@tandem/core';

/** Per-document broadcast inside one process: handlers run synchronously, in publish order. */
export class InProcessFanOut implements FanOut {
  private readonly channels = new Map<string, Set<(message: DocBroadcast) => void>>();

  async publish(docId: string, message: DocBroadcast): Promise<void> {
    const handlers = this.channels.get(docId);
    if (!handlers) return;
    for (const handler of [...handlers]) handler(message);
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
