/**
 * Runs jobs one at a time per key (a document), in the order they were given, and jobs of
 * different keys side by side: what a consumer of document events needs so that, say, a
 * purge cannot be overtaken by a write of the same document.
 */
export class KeyedQueue {
  /** The tail of each key's queue, settled either way. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `job` after the key's earlier jobs; the returned promise carries its outcome. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(job);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Whether the key has a job running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Resolves when every job given so far has settled. */
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
