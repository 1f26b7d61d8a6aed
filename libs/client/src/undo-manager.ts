import type { DocType } from '@tandem/ot';

export interface UndoOptions {
  /** Most undo steps kept; older ones are forgotten. Each remote op is transformed past every kept step. */
  maxSteps?: number;
  /** Local edits closer together than this become one undo step, as editors group typing. */
  groupMs?: number;
  now?: () => number;
}

/**
 * Per-user undo and redo over OT.
 *
 * Each stack entry is an op that applies to the document as it is now. When any op is
 * applied after an entry was made (a remote op, or a later local one), the entry is
 * transformed past it, so undoing reverts only this user's change and keeps everything
 * other users did since. Entries lose ties to the ops they are transformed past ('right'):
 * an undo never overwrites something written after it.
 */
export class UndoManager<S, O, C> {
  private undoStack: O[] = [];
  private redoStack: O[] = [];
  private lastUserEditAt = Number.NEGATIVE_INFINITY;
  private readonly maxSteps: number;
  private readonly groupMs: number;
  private readonly now: () => number;

  constructor(
    private readonly type: DocType<S, O, C>,
    options: UndoOptions = {},
  ) {
    this.maxSteps = options.maxSteps ?? 100;
    this.groupMs = options.groupMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Records a local op the user made on `before`. */
  recordEdit(op: O, before: S): void {
    const inverse = this.type.invertWithDoc(op, before);
    const at = this.now();
    const grouped = at - this.lastUserEditAt < this.groupMs ? this.undoStack.pop() : undefined;
    this.lastUserEditAt = at;
    this.undoStack = this.movePast(this.undoStack, op);
    this.redoStack = [];
    // The grouped entry still applies to `before`, so it runs after this op's inverse.
    this.push(this.undoStack, grouped === undefined ? inverse : this.type.compose(inverse, grouped));
  }

  /** Moves every entry past an op that was applied without being recorded (someone else's). */
  movePastRemote(op: O): void {
    this.undoStack = this.movePast(this.undoStack, op);
    this.redoStack = this.movePast(this.redoStack, op);
    this.lastUserEditAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Takes the next undo (or redo) step. The caller applies it to `before` (the current
   * document) and the manager files its inverse on the other stack.
   */
  take(kind: 'undo' | 'redo', before: S): O | undefined {
    const [from, to] = kind === 'undo' ? [this.undoStack, this.redoStack] : [this.redoStack, this.undoStack];
    const op = from.pop();
    if (op === undefined) return undefined;
    const inverse = this.type.invertWithDoc(op, before);
    const movedFrom = this.movePast(from, op);
    const movedTo = this.movePast(to, op);
    this.push(movedTo, inverse);
    if (kind === 'undo') {
      this.undoStack = movedFrom;
      this.redoStack = movedTo;
    } else {
      this.redoStack = movedFrom;
      this.undoStack = movedTo;
    }
    this.lastUserEditAt = Number.NEGATIVE_INFINITY;
    return op;
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
  }

  private movePast(stack: O[], op: O): O[] {
    const moved: O[] = [];
    for (const entry of stack) {
      const next = this.type.transform(entry, op, 'right');
      if (!this.type.isNoop(next)) moved.push(next);
    }
    return moved;
  }

  private push(stack: O[], op: O): void {
    if (this.type.isNoop(op)) return;
    stack.push(op);
    if (stack.length > this.maxSteps) stack.shift();
  }
}
