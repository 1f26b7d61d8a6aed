import type { Inbox } from '@tandem/core';

/**
 * Inboxes inside one process, for the embedded mode and for tests of routing. A message
 * goes through JSON and reaches its receivers on a later microtask, as it would from
 * another process: a handler that answers never runs inside its sender's send(), and a
 * message that would not survive the trip through Redis does not survive here either.
 */
export class InProcessInbox<M = unknown> implements Inbox<M> {
  private readonly receivers = new Map<string, Set<(message: M) => void>>();

  async send(memberId: string, message: M): Promise<boolean> {
    const handlers = this.receivers.get(memberId);
    if (!handlers) return false;
    const text = JSON.stringify(message);
    queueMicrotask(() => {
      for (const handler of [...handlers]) handler(JSON.parse(text) as M);
    });
    return true;
  }

  async receive(memberId: string, handler: (message: M) => void): Promise<() => Promise<void>> {
    let handlers = this.receivers.get(memberId);
    if (!handlers) {
      handlers = new Set();
      this.receivers.set(memberId, handlers);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.receivers.get(memberId) === handlers) this.receivers.delete(memberId);
    };
  }
}
