import type { DocTypeName } from '@tandem/ot';

/**
 * One item of a document's timeline: its creation, a session of one user's edits (ops
 * with less than the session gap between them), or one restore.
 */
export interface HistoryEntry {
  docId: string;
  /** The version of its first op (0 for the creation): the entry's key within the document. */
  fromVersion: number;
  /** The version of its last op. */
  toVersion: number;
  kind: 'created' | 'edit' | 'restore';
  userId: string;
  /** When its first and last op were committed (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  /** Ops in it: the user's own, not the others' committed in between. */
  ops: number;
  /** Amounts in the document type's unit (characters; json1: values). */
  inserted: number;
  deleted: number;
  formatted: number;
  /**
   * Text types: from the first to the last position its ops touched, each in the document as
   * it was after that op, so later edits above it may have moved the text since. Null for
   * json1, and while no op of it changed anything.
   */
  span: { start: number; end: number } | null;
  /** json1: the paths its ops changed, the first few; empty for the text types. */
  paths: (string | number)[][];
  /** A restore's target version; null until the restore's event has been seen. */
  restoredVersion: number | null;
}

/**
 * The newest version in any of a document's entries, from each user's newest entry: a user's
 * entries follow one another (one ends before their next begins), so each user's newest
 * entry holds their newest version. -1 for a document with none.
 */
export function newestVersion(latest: readonly HistoryEntry[]): number {
  return Math.max(-1, ...latest.map((e) => e.toVersion));
}

/** What the summarizer resumes a document from. */
export interface HistoryState {
  /** The newest version in any entry; -1 when the document has none. */
  version: number;
  /** Each user's newest entry. */
  latest: HistoryEntry[];
}

export interface HistoryQuery {
  limit: number;
  /** Entries that start below this version (the `next` of the page before). */
  before?: number;
  userId?: string;
  /** Entries that overlap this time range (ms since the epoch, inclusive). */
  since?: number;
  until?: number;
}

/** The history summarizer's timelines. */
export interface HistoryStore {
  state(docId: string): Promise<HistoryState>;
  /**
   * Writes the entries (each replacing the one with its docId and fromVersion, never by one
   * with a lower toVersion, and never clearing a restoredVersion) if and only if the
   * document's newest version in any entry is still `expectedVersion`, all at once; false
   * when it is not, because another summarizer wrote the document meanwhile.
   */
  save(docId: string, entries: readonly HistoryEntry[], expectedVersion: number): Promise<boolean>;
  /** The entry that starts at `fromVersion`, or null. */
  get(docId: string, fromVersion: number): Promise<HistoryEntry | null>;
  /** The timeline, newest first; `next` is the `before` of the next page. */
  list(docId: string, query: HistoryQuery): Promise<{ items: HistoryEntry[]; next: number | null }>;
  purge(docId: string): Promise<void>;
}

const UNITS: Record<DocTypeName, [string, string]> = {
  text: ['character', 'characters'],
  'rich-text': ['character', 'characters'],
  json1: ['value', 'values'],
};

const count = (n: number, [one, many]: [string, string]) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** The path as a person reads it: items/2/title. */
const pathText = (path: readonly (string | number)[]) =>
  path.length === 0 ? 'the whole document' : path.join('/');

/**
 * One sentence a person can read about an entry: who, when, how much, and where. Written
 * when the timeline is read, so every entry gets the current wording.
 */
export function describeHistoryEntry(entry: HistoryEntry, type: DocTypeName): string {
  const when =
    entry.endedAt - entry.startedAt < 60_000
      ? `on ${minute(entry.startedAt)} UTC`
      : `from ${minute(entry.startedAt)} to ${minute(entry.endedAt)} UTC`;
  if (entry.kind === 'created') return `${entry.userId} created the document ${when}`;
  if (entry.kind === 'restore') {
    const what = entry.restoredVersion === null ? 'an earlier version' : `version ${entry.restoredVersion}`;
    return `${entry.userId} restored ${what} ${when}`;
  }
  const units = UNITS[type];
  const amounts: string[] = [];
  if (entry.inserted > 0) amounts.push(`inserted ${count(entry.inserted, units)}`);
  if (entry.deleted > 0) amounts.push(`deleted ${count(entry.deleted, units)}`);
  if (entry.formatted > 0) amounts.push(`formatted ${count(entry.formatted, units)}`);
  const what = amounts.length > 0 ? amounts.join(', ') : 'made no visible change';
  let where = '';
  if (entry.span) {
    const { start, end } = entry.span;
    where =
      end - start <= 1
        ? ` at ${units[0]} ${(start + 1).toLocaleString('en-US')}`
        : ` in ${units[1]} ${(start + 1).toLocaleString('en-US')}–${end.toLocaleString('en-US')}`;
  } else if (entry.paths.length > 0) {
    const [first, ...rest] = entry.paths;
    where = ` in ${pathText(first ?? [])}${rest.length > 0 ? ` and ${rest.length} more place${rest.length === 1 ? '' : 's'}` : ''}`;
  }
  const edits = `${entry.ops.toLocaleString('en-US')} edit${entry.ops === 1 ? '' : 's'}`;
  return `${entry.userId} ${what}${where} ${when} (${edits})`;
}
