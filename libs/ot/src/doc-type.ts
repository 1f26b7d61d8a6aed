/**
 * The ottypes interface every document type of Tandem implements.
 *
 * A type is a set of pure functions over two kinds of plain JSON values: snapshots
 * (the document) and ops (a change to it). The server and the client never look inside
 * either; they only call these functions, so a new type plugs in by registering it.
 *
 * Side convention (the same everywhere in Tandem): when two ops were made concurrently,
 * the one the server committed first is transformed with side 'left' and the later one
 * with side 'right'. So for text inserted at the same place, the text committed first
 * comes first, and in a json1 write conflict the op committed first wins.
 */
export type Side = 'left' | 'right';

export const DOC_TYPE_NAMES = ['text', 'rich-text', 'json1'] as const;
export type DocTypeName = (typeof DOC_TYPE_NAMES)[number];

/** What happened to the losing side of a json1 write conflict. */
export type ConflictKind =
  /** Both ops wrote a value into the same place; the one committed first was kept. */
  | 'drop-collision'
  /** One op removed content that the other edited or wrote into; the edit vanished. */
  | 'remove-edit'
  /** Each op moved an item inside the other; both items were removed. */
  | 'blackhole';

/** A conflict found while transforming `op` past `other`, after it has been resolved. */
export interface Conflict {
  kind: ConflictKind;
  /** The part of the transformed op that lost or was changed. */
  op: unknown;
  /** The part of the other op it collided with. */
  other: unknown;
  /** Whose write survived: the transformed op's, the other op's, or neither's. */
  kept: 'op' | 'other' | 'neither';
  /** One sentence a person can read. */
  description: string;
}

export interface TransformResult<Op> {
  op: Op;
  conflicts: Conflict[];
}

/** A selection in a document: anchor is where it started, head where the caret is. */
export interface Selection<Cursor> {
  anchor: Cursor;
  head: Cursor;
}

/**
 * How much an op changes and where: what a history summary says about it. Amounts are in
 * the type's position unit (json1: values).
 */
export interface OpExtent {
  inserted: number;
  deleted: number;
  /** Content whose formatting changed without being replaced (rich-text only). */
  formatted: number;
  /**
   * Text types: the positions of the document after the op from its first change to the
   * end of its last (a pure delete is an empty span where the text was). Null for json1 and
   * for an op that changes nothing.
   */
  span: { start: number; end: number } | null;
  /** json1: the paths the op changes, outermost first; empty for the text types. */
  paths: (string | number)[][];
}

export interface DocType<Snapshot = unknown, Op = unknown, Cursor = unknown> {
  readonly name: DocTypeName;
  /** The ottypes URI of the implementation this type registers. */
  readonly uri: string;
  /** Unit of text positions in ops and cursors, as stated in docs/protocol.md. */
  readonly positionUnit: 'code-point' | 'utf16' | 'path';

  /** A new snapshot. Validates untrusted initial content; throws SNAPSHOT_INVALID. */
  create(initial?: unknown): Snapshot;
  /** Checks the shape and Unicode of an untrusted op and returns it normalized. Throws OP_*. */
  checkOp(op: unknown): Op;
  /** Checks a well-formed op against the document it is about to be applied to. Throws OP_*. */
  checkOpAgainst(op: Op, snapshot: Snapshot): void;
  /** Applies an op that passed checkOp and checkOpAgainst. Never mutates its arguments. */
  apply(snapshot: Snapshot, op: Op): Snapshot;
  /** `op` rewritten to apply after `other`, both made on the same document. */
  transform(op: Op, other: Op, side: Side): Op;
  /** Like transform, and also describes each write conflict it resolved (json1 only has any). */
  transformWithConflicts(op: Op, other: Op, side: Side): TransformResult<Op>;
  /** One op with the effect of `a` then `b`. */
  compose(a: Op, b: Op): Op;
  /** The op that undoes `op`, given the document it was applied to. */
  invertWithDoc(op: Op, before: Snapshot): Op;
  normalize(op: Op): Op;
  isNoop(op: Op): boolean;
  /** An op that turns `before` into `after` (used to restore an old version as a new op). */
  diff(before: Snapshot, after: Snapshot): Op;
  /** Where a cursor goes when `op` is applied. `ownOp`: the op was made at this cursor, so an insert there lands before it. */
  transformCursor(cursor: Cursor, op: Op, ownOp: boolean): Cursor;
  /** Checks the shape of an untrusted cursor; throws BAD_MESSAGE. */
  checkCursor(cursor: unknown): Cursor;
  /** What the op inserts, deletes and reformats, and where (for history). */
  extent(op: Op): OpExtent;
}

/** A DocType whose snapshot, op and cursor types are not known statically (the server's view). */
export type AnyDocType = DocType<unknown, unknown, unknown>;
