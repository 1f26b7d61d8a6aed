/**
 * A system under test. `start` launches a fresh server as a child process (so its CPU and
 * memory can be read from /proc/<pid>), and the running target creates the documents a
 * scenario needs and hands out tokens. Which client library drives it is `client`.
 *
 * To add a target: implement `Target` in a file of this folder and list it in
 * `targets/index.ts`. See load-tests/README.md, "Adding a target".
 */
export interface Target {
  /** Name used in TARGETS= and in the tables, e.g. `tandem-reference`. */
  readonly name: string;
  /** The client that speaks this server's protocol. */
  readonly client: 'tandem' | 'sharedb';
  start(): Promise<RunningTarget>;
}

export interface RunningTarget {
  /** WebSocket URLs the editors connect to, spread over them in turn (a cluster has several gateways). */
  readonly urls: readonly string[];
  /**
   * The processes whose CPU and memory count as the server's, read from /proc/<pid>: the
   * server, or every process of a cluster, infrastructure included. Their children count too.
   * The report sums them, and for more than one also breaks the CPU down by process.
   */
  readonly processes: readonly ServerProcess[];
  /** Creates `text` documents with these ids, each holding `content`. */
  createDocs(docIds: string[], content: string): Promise<void>;
  /**
   * A token for user `user`, who will open `docIds`: a target with permissions grants the
   * user editor access to them here (the reference server takes any token as the user id).
   */
  tokenFor(user: string, docIds: string[]): Promise<string>;
  /** Stops the server process and waits for it to exit. */
  stop(): Promise<void>;
}

/** One process of a running target, with the name its CPU is reported under. */
export interface ServerProcess {
  /** e.g. `worker-1`, `api`, `cassandra`; the single process of a one-process target is `server`. */
  readonly name: string;
  /**
   * Processes of the same kind that the breakdown sums into one line, e.g. `collab workers`
   * for `worker-1` … `worker-3` (printed as `collab workers (3)`). Without it the process has
   * a line of its own.
   */
  readonly group?: string;
  readonly pid: number;
}
