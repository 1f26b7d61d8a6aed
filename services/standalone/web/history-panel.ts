/**
 * The History panel: the document's versions from its op log, a read-only preview of
 * any of them, and restoring one. A restore is a new edit made by the server; it reaches
 * the editor through the socket like anyone else's.
 */
import type { Api, CommittedOpInfo } from './api.js';
import { byId, errorText, formatTime, h } from './dom.js';

/** Versions listed, the latest ones; every keystroke is a version, so a long-edited document has many. */
const MAX_ROWS = 500;
/** Pages read per refresh (the API answers up to 1000 ops a page), in case many ops land meanwhile. */
const MAX_PAGES = 5;

export interface HistoryPanelOptions {
  api: Api;
  /** The version the open document is at (0 before it is loaded). */
  currentVersion(): number;
  /** True when this user may restore (owner or editor). */
  canRestore(): boolean;
  /** A display name for a user id, when one is known. */
  nameOf(userId: string): string;
  /** A line for the status bar. */
  notify(message: string, isError?: boolean): void;
}

export class HistoryPanel {
  private docId: string | undefined;
  /** Bumped by every refresh and document change, so a slow answer for an old one is dropped. */
  private generation = 0;
  private previewVersion: number | undefined;
  private readonly list = byId<HTMLOListElement>('history-list');
  private readonly info = byId('history-info');
  private readonly preview = byId('history-preview');
  private readonly previewTitle = byId('history-preview-title');
  private readonly previewText = byId<HTMLTextAreaElement>('history-preview-text');
  private readonly restoreButton = byId<HTMLButtonElement>('history-restore');
  private readonly gotoForm = byId<HTMLFormElement>('history-goto');
  private readonly gotoInput = byId<HTMLInputElement>('history-version');

  constructor(private readonly options: HistoryPanelOptions) {
    byId('history-refresh').addEventListener('click', () => void this.refresh());
    byId('history-close').addEventListener('click', () => this.closePreview());
    this.restoreButton.addEventListener('click', () => void this.restore());
    this.gotoForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = Number(this.gotoInput.value);
      if (Number.isInteger(v) && v >= 0) void this.showVersion(v);
    });
  }

  /** Follows document `docId` (undefined: none); clears what was shown for the last one. */
  setDocument(docId: string | undefined): void {
    this.docId = docId;
    this.generation++;
    this.list.replaceChildren();
    this.info.textContent = '';
    this.closePreview();
  }

  async refresh(): Promise<void> {
    const docId = this.docId;
    if (!docId) return;
    const generation = ++this.generation;
    this.info.textContent = 'Loading…';
    const ops: CommittedOpInfo[] = [];
    const first = Math.max(1, this.options.currentVersion() - MAX_ROWS + 1);
    try {
      let from = first;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await this.options.api.listOps(docId, from);
        if (generation !== this.generation) return;
        ops.push(...(res.ops ?? []));
        const last = res.ops?.at(-1);
        if (typeof res.next !== 'number' || !last || res.next <= from) break;
        from = res.next;
      }
    } catch (err) {
      if (generation !== this.generation) return;
      this.info.textContent = `Could not load the history: ${errorText(err)}`;
      return;
    }
    this.draw(ops, first);
  }

  private draw(ops: CommittedOpInfo[], first: number): void {
    const newest = ops.slice(-MAX_ROWS).reverse();
    const rows = newest.map((op) => {
      const time = formatTime(op.ts);
      const author = this.options.nameOf(op.author);
      return this.row(op.version, author, time);
    });
    const latest = ops.at(-1)?.version ?? first - 1;
    const complete = first === 1 && ops.length <= MAX_ROWS;
    if (complete) rows.push(this.row(0, 'created', ''));
    this.list.replaceChildren(...rows);
    const count = latest === 1 ? '1 edit' : `${latest} edits`;
    this.info.textContent = complete
      ? count
      : `${count}; the latest ${newest.length} are listed. Enter a version number above to preview an older one.`;
  }

  private row(version: number, author: string, time: string): HTMLLIElement {
    const label = `Preview version ${version}${author ? `, ${author}` : ''}${time ? `, ${time}` : ''}`;
    const button = h(
      'button',
      { type: 'button', class: 'history-row', 'aria-label': label, 'data-version': version },
      h('span', { class: 'history-version' }, `v${version}`),
      h('span', { class: 'history-author' }, author),
      time && h('time', { class: 'history-time' }, time),
    );
    button.addEventListener('click', () => void this.showVersion(version));
    return h('li', {}, button);
  }

  private async showVersion(version: number): Promise<void> {
    const docId = this.docId;
    if (!docId) return;
    const generation = this.generation;
    try {
      const res = await this.options.api.getVersion(docId, version);
      if (generation !== this.generation) return;
      this.previewVersion = res.version ?? version;
      this.previewTitle.textContent = `Version ${this.previewVersion}`;
      this.previewText.value =
        typeof res.content === 'string' ? res.content : JSON.stringify(res.content, null, 2);
      this.restoreButton.hidden = !this.options.canRestore();
      this.preview.hidden = false;
      for (const b of this.list.querySelectorAll<HTMLElement>('.history-row'))
        b.classList.toggle('selected', b.dataset.version === String(this.previewVersion));
    } catch (err) {
      this.options.notify(`Could not load version ${version}: ${errorText(err)}`, true);
    }
  }

  private closePreview(): void {
    this.previewVersion = undefined;
    this.preview.hidden = true;
    this.previewText.value = '';
    for (const b of this.list.querySelectorAll<HTMLElement>('.history-row.selected'))
      b.classList.remove('selected');
  }

  private async restore(): Promise<void> {
    const docId = this.docId;
    const target = this.previewVersion;
    if (!docId || target === undefined) return;
    this.restoreButton.disabled = true;
    try {
      const res = await this.options.api.restore(docId, target);
      this.options.notify(`Restored version ${target} as version ${res.version}`);
      this.closePreview();
      await this.refresh();
    } catch (err) {
      this.options.notify(`Could not restore version ${target}: ${errorText(err)}`, true);
    } finally {
      this.restoreButton.disabled = false;
    }
  }
}
