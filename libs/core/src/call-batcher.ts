interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Turns the calls made in one turn of the event loop into one batch: the first call waits
 * for the end of the turn (setImmediate), and the batch then takes every call made so far.
 * Calls made while a batch runs wait for it and go together into the next one; batches never
 * overlap, so calls complete in the order they were made. A store uses it to turn many small
 * writes into one statement, which on the embedded database (PGlite runs every statement on
 * the event loop and fsyncs every commit) costs about as much as each one of them did.
 *
 * `keyOf`: calls with the same key never share a batch (the second waits for the next one),
 * for statements that cannot touch one row twice.
 */
export class CallBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private running = false;

  constructor(
    /** Runs a batch; returns one result per item, in order. A throw fails every call of the batch. */
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly keyOf?: (item: I) => string,
  ) {}

  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.take();
      try {
        const results = await this.run(batch.map((w) => w.item));
        for (const [i, w] of batch.entries()) w.resolve(results[i] as O);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }

  /** The waiting calls whose keys are not taken yet, first come first; the rest stay waiting. */
  private take(): Waiting<I, O>[] {
    const keyOf = this.keyOf;
    if (!keyOf) {
      const all = this.waiting;
      this.waiting = [];
      return all;
    }
    const keys = new Set<string>();
    const batch: Waiting<I, O>[] = [];
    const rest: Waiting<I, O>[] = [];
    for (const w of this.waiting) {
      const key = keyOf(w.item);
      if (keys.has(key)) rest.push(w);
      else {
        keys.add(key);
        batch.push(w);
      }
    }
    this.waiting = rest;
    return batch;
  }
}
