/** Largest batch frame: past it, what is queued goes out and a new batch starts. */
const MAX_BATCH_CHARS = 256 * 1024;

/**
 * A socket's outgoing messages, sent once per turn of the event loop: one message as a
 * frame of its own, several as one frame holding their JSON array, in order. A document
 * with 50 editors that commits a batch of ops would otherwise cost each socket one frame
 * and one write system call per op; this makes it one per turn, for the client as well.
 */
export class Outbox {
  private queued: string[] = [];
  private chars = 0;
  private scheduled = false;

  constructor(private readonly write: (frame: string) => void) {}

  /** Queues one message, already encoded as JSON. */
  push(message: string): void {
    if (this.chars + message.length > MAX_BATCH_CHARS) this.flush();
    this.queued.push(message);
    this.chars += message.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is queued now (before the socket closes, say). */
  flush(): void {
    this.scheduled = false;
    const queued = this.queued;
    if (queued.length === 0) return;
    this.queued = [];
    this.chars = 0;
    this.write(queued.length === 1 ? (queued[0] as string) : `[${queued.join(',')}]`);
  }
}
