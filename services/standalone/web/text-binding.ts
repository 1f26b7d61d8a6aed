/**
 * Binds a <textarea> to a `text` ClientDoc.
 *
 * The textarea shows `doc.data` at the end of every handler: a local edit is diffed
 * against what it showed before and submitted as an op; a remote op, an undo, a redo or
 * a reload sets the whole value from `doc.data` and puts the selection back where the op
 * moved it. The browser's own undo stack is bypassed: it knows nothing of other users'
 * edits, and replaying it would desynchronize the textarea from the document.
 */
import { type ClientDoc, codePointToUtf16, utf16ToCodePoint } from '@tandem/client';
import { opEndCursor, splitLargeInsert, textOpFromEdit } from './text-ops.js';

/** Selections are shared at most this often (5 per second); the last one is always sent. */
const PRESENCE_INTERVAL_MS = 200;

type Direction = 'forward' | 'backward' | 'none';

/** A selection in code points of the document. */
interface CodePointSelection {
  start: number;
  end: number;
  direction: Direction;
}

export interface TextBindingHooks {
  /** The text, the selection or the document's state changed: redraw what depends on them. */
  changed(): void;
  /** A local edit was refused or the textarea had to be reloaded. */
  error(err: unknown): void;
}

export class TextBinding {
  /** What the textarea shows, as of the end of the last handler: always `doc.data`. */
  private shown = '';
  private editable = false;
  private readonly disposers: (() => void)[] = [];
  private lastSent: string | undefined;
  private lastSentAt = 0;
  private presenceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly doc: ClientDoc,
    private readonly hooks: TextBindingHooks,
  ) {
    const listen = <K extends keyof HTMLElementEventMap>(
      type: K,
      fn: (e: HTMLElementEventMap[K]) => void,
    ): void => {
      textarea.addEventListener(type, fn);
      this.disposers.push(() => textarea.removeEventListener(type, fn));
    };
    listen('input', () => this.onInput());
    listen('keydown', (e) => this.onKeyDown(e));
    listen('beforeinput', (e) => this.onBeforeInput(e));
    for (const type of ['select', 'keyup', 'mouseup', 'focus'] as const)
      listen(type, () => this.selectionMoved());
    const onSelectionChange = () => {
      if (document.activeElement === textarea) this.selectionMoved();
    };
    document.addEventListener('selectionchange', onSelectionChange);
    this.disposers.push(
      () => document.removeEventListener('selectionchange', onSelectionChange),
      doc.on('ready', () => this.onReady()),
      doc.on('remote-op', ({ op }) => this.onRemoteOp(op)),
      doc.on('local-op', ({ op, origin }) => {
        if (origin !== 'user') this.onUndoRedo(op);
      }),
      // The doc dropped its pending ops and reloads; nothing typed now could be kept.
      doc.on('reset', () => this.setEditable(false)),
    );
    if (doc.isReady) this.onReady();
    else this.setEditable(false);
  }

  dispose(): void {
    clearTimeout(this.presenceTimer);
    for (const off of this.disposers.splice(0)) off();
  }

  undo(): void {
    this.step('undo');
  }

  redo(): void {
    this.step('redo');
  }

  private docText(): string {
    const data = this.doc.data;
    return typeof data === 'string' ? data : '';
  }

  private setEditable(editable: boolean): void {
    this.editable = editable;
    this.textarea.readOnly = !editable;
  }

  private onReady(): void {
    const role = this.doc.role;
    this.setEditable(this.doc.type?.name === 'text' && (role === 'owner' || role === 'editor'));
    // After a reset the snapshot may differ from what was shown; keep the caret near where it was.
    this.show(this.docText(), this.selectionIn(this.textarea.value));
    this.lastSent = undefined;
    this.selectionMoved();
    this.hooks.changed();
  }

  private onInput(): void {
    const next = this.textarea.value;
    const prev = this.shown;
    if (next === prev) return;
    if (!this.editable || !this.doc.isReady) {
      this.resync();
      return;
    }
    const { selectionStart, selectionEnd } = this.textarea;
    const op = textOpFromEdit(prev, next, selectionStart === selectionEnd ? selectionEnd : undefined);
    try {
      for (const part of splitLargeInsert(op)) this.doc.submit(part);
    } catch (err) {
      this.hooks.error(err);
      this.resync();
      return;
    }
    this.shown = next;
    if (this.docText() !== next) {
      // Cannot happen if the diff is right; if it ever does, the document wins.
      this.hooks.error(new Error('The editor drifted from the document; it was reloaded from the document'));
      this.resync();
    }
    this.hooks.changed();
    this.selectionMoved();
  }

  private onRemoteOp(op: unknown): void {
    const type = this.doc.type;
    if (!type || this.textarea.value !== this.shown) {
      this.resync();
      this.hooks.changed();
      return;
    }
    const sel = this.selectionIn(this.shown);
    const move = (pos: number) => type.transformCursor(pos, op, false) as number;
    this.show(this.docText(), { start: move(sel.start), end: move(sel.end), direction: sel.direction });
    // The doc moved its copy of this user's selection through the op too; resend what is shown next time.
    this.lastSent = undefined;
    this.hooks.changed();
  }

  private onUndoRedo(op: unknown): void {
    const end = opEndCursor(op);
    let sel: CodePointSelection;
    if (end === undefined) {
      const type = this.doc.type;
      const before = this.selectionIn(this.shown);
      const move = (pos: number) => (type ? (type.transformCursor(pos, op, true) as number) : pos);
      sel = { start: move(before.start), end: move(before.end), direction: before.direction };
    } else sel = { start: end, end, direction: 'none' };
    this.show(this.docText(), sel);
    this.hooks.changed();
    this.selectionMoved();
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const key = e.key.toLowerCase();
    if (key === 'z') {
      e.preventDefault();
      this.step(e.shiftKey ? 'redo' : 'undo');
    } else if (key === 'y' && !e.shiftKey) {
      e.preventDefault();
      this.step('redo');
    }
  }

  /** Undo and redo from the browser's menus arrive here rather than as key presses. */
  private onBeforeInput(e: InputEvent): void {
    if (e.inputType === 'historyUndo' || e.inputType === 'historyRedo') {
      e.preventDefault();
      this.step(e.inputType === 'historyUndo' ? 'undo' : 'redo');
    }
  }

  private step(kind: 'undo' | 'redo'): void {
    if (!this.editable || !this.doc.isReady) return;
    if (this.textarea.value !== this.shown) this.onInput();
    try {
      // The doc emits local-op with origin undo/redo, which updates the textarea.
      if (kind === 'undo') this.doc.undo();
      else this.doc.redo();
    } catch (err) {
      this.hooks.error(err);
      this.resync();
    }
  }

  /** The textarea's selection in code points of `text`, which it is showing. */
  private selectionIn(text: string): CodePointSelection {
    const ta = this.textarea;
    return {
      start: utf16ToCodePoint(text, ta.selectionStart),
      end: utf16ToCodePoint(text, ta.selectionEnd),
      direction: (ta.selectionDirection ?? 'none') as Direction,
    };
  }

  /** Shows `text` without moving the scroll position, with `sel` (code points) as the selection. */
  private show(text: string, sel: CodePointSelection): void {
    const ta = this.textarea;
    const { scrollTop, scrollLeft } = ta;
    if (ta.value !== text) ta.value = text;
    this.shown = text;
    const toUtf16 = (pos: number) => Math.min(codePointToUtf16(text, Math.max(0, pos)), text.length);
    const start = toUtf16(sel.start);
    const end = Math.max(start, toUtf16(sel.end));
    if (ta.selectionStart !== start || ta.selectionEnd !== end)
      ta.setSelectionRange(start, end, sel.direction);
    ta.scrollTop = scrollTop;
    ta.scrollLeft = scrollLeft;
  }

  /** Puts `doc.data` back into the textarea, keeping the caret near where it was. */
  private resync(): void {
    this.show(this.docText(), this.selectionIn(this.textarea.value));
    this.lastSent = undefined;
  }

  /** Shares the selection, throttled; a move within the interval is sent at its end. */
  private selectionMoved(): void {
    if (this.presenceTimer !== undefined) return;
    const wait = this.lastSentAt + PRESENCE_INTERVAL_MS - Date.now();
    if (wait <= 0) this.sendSelection();
    else
      this.presenceTimer = setTimeout(() => {
        this.presenceTimer = undefined;
        this.sendSelection();
      }, wait);
  }

  private sendSelection(): void {
    if (!this.doc.isReady || this.textarea.value !== this.shown) return;
    const sel = this.selectionIn(this.shown);
    const backward = sel.direction === 'backward';
    const anchor = backward ? sel.end : sel.start;
    const head = backward ? sel.start : sel.end;
    const key = `${anchor}:${head}`;
    if (key === this.lastSent) return;
    try {
      this.doc.setSelection({ anchor, head });
      this.lastSent = key;
      this.lastSentAt = Date.now();
    } catch {
      // Not open (yet): the next move or the ready event sends it.
    }
  }
}
