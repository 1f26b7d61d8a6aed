/**
 * The Tandem web editor: sign in, list and create documents, edit a text document with
 * others over one WebSocket, see who is here and where, browse and restore versions.
 *
 * Routes live in the URL hash: `#/` is the document list, `#/doc/<id>` a document.
 */
import { type ClientDoc, type ConnectionState, connectWebSocket, TandemClient } from '@tandem/client';
import { Api, type DocumentSummary, loadSession, type Session, saveSession } from './api.js';
import { byId, errorText, formatTime, h } from './dom.js';
import { HistoryPanel } from './history-panel.js';
import { labelTextColor, PresenceOverlay } from './presence-overlay.js';
import { TextBinding } from './text-binding.js';

const DOC_ROUTE = /^#\/doc\/([A-Za-z0-9_-]{1,128})$/;

let session: Session | null = loadSession();
const api = new Api(() => session?.token);
let client: TandemClient | null = null;
let stopSocket: (() => void) | null = null;
let openView: DocView | null = null;
/** Documents seen in the list, for the title of the one opened. */
const known = new Map<string, DocumentSummary>();
let docsNext: string | undefined;

// ---------------------------------------------------------------- status bar

const statusConn = byId('status-conn');
const statusVersion = byId('status-version');
const statusSaved = byId('status-saved');
const statusMessage = byId('status-message');
let messageTimer: ReturnType<typeof setTimeout> | undefined;

const STATE_TEXT: Record<ConnectionState, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  disconnected: 'Offline: edits are kept and sent on reconnect',
};

function showConnection(state: ConnectionState | 'idle'): void {
  statusConn.dataset.state = state === 'idle' ? 'disconnected' : state;
  statusConn.textContent = state === 'idle' ? 'Not connected' : STATE_TEXT[state];
}

/** Shows a message in the status bar; an information clears itself, an error stays until the next message. */
function notify(message: string, isError = false): void {
  clearTimeout(messageTimer);
  statusMessage.textContent = message;
  statusMessage.classList.toggle('error', isError);
  if (!isError) messageTimer = setTimeout(() => (statusMessage.textContent = ''), 6000);
}

// ---------------------------------------------------------------- views and routing

const views = {
  signIn: byId('view-sign-in'),
  docs: byId('view-docs'),
  editor: byId('view-editor'),
};

function showView(name: keyof typeof views): void {
  for (const [key, el] of Object.entries(views)) el.hidden = key !== name;
}

function route(): void {
  byId('account').hidden = !session;
  if (session) {
    byId('account-name').textContent = session.name;
    byId('account-id').textContent = session.userId;
  }
  const match = DOC_ROUTE.exec(location.hash);
  if (!session) {
    closeDocument();
    showView('signIn');
    byId<HTMLInputElement>('sign-in-name').focus();
    return;
  }
  if (match?.[1]) {
    if (openView?.docId !== match[1]) openDocument(match[1]);
    showView('editor');
    return;
  }
  closeDocument();
  showView('docs');
  void loadDocuments();
}

// ---------------------------------------------------------------- sign in and out

byId<HTMLFormElement>('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = byId<HTMLInputElement>('sign-in-name');
  const error = byId('sign-in-error');
  const name = input.value.trim();
  if (!name) return;
  error.textContent = '';
  try {
    const s = await api.signIn(name);
    session = { token: s.token, userId: s.userId, name: s.name ?? name };
    saveSession(session);
    route();
  } catch (err) {
    error.textContent = `Could not sign in: ${errorText(err)}`;
  }
});

function signOut(message?: string): void {
  closeDocument();
  stopSocket?.();
  stopSocket = null;
  client = null;
  session = null;
  saveSession(null);
  known.clear();
  showConnection('idle');
  if (message) notify(message, true);
  if (location.hash !== '#/' && location.hash !== '') history.replaceState(null, '', '#/');
  route();
}

byId('sign-out').addEventListener('click', () => signOut());
api.onUnauthorized = () => signOut('Your sign-in is no longer valid; please sign in again.');

/** One client and one socket for the session, opened with the first document. */
function connection(): TandemClient {
  if (client) return client;
  const c = new TandemClient({ token: () => session?.token ?? '' });
  c.on('state', showConnection);
  c.on('error', (err) => {
    const code = (err as { code?: string }).code;
    if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED')
      signOut('Your sign-in is no longer valid; please sign in again.');
    else notify(errorText(err), true);
  });
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  stopSocket = connectWebSocket(c, `${scheme}://${location.host}/ws`);
  client = c;
  showConnection(c.state);
  return c;
}

// ---------------------------------------------------------------- document list

const docList = byId('doc-list');
const docsMore = byId<HTMLButtonElement>('docs-more');

async function loadDocuments(more = false): Promise<void> {
  const error = byId('docs-error');
  error.textContent = '';
  try {
    const page = await api.listDocuments(more ? docsNext : undefined);
    const items = page.items ?? [];
    for (const d of items) known.set(d.id, d);
    const rows = items.map((d) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: `#/doc/${encodeURIComponent(d.id)}` }, d.title || 'Untitled')),
        h('td', {}, d.type),
        h('td', {}, d.role),
        h('td', {}, formatTime(d.updatedAt)),
      ),
    );
    if (more) docList.append(...rows);
    else docList.replaceChildren(...rows);
    docsNext = page.next ?? undefined;
    docsMore.hidden = docsNext === undefined;
    byId('docs-empty').hidden = docList.childElementCount > 0;
  } catch (err) {
    error.textContent = `Could not list documents: ${errorText(err)}`;
  }
}

docsMore.addEventListener('click', () => void loadDocuments(true));

byId<HTMLFormElement>('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = byId<HTMLInputElement>('create-title');
  const title = input.value.trim() || 'Untitled document';
  try {
    const doc = await api.createDocument(title);
    known.set(doc.id, {
      ...doc,
      title: doc.title ?? title,
      type: doc.type ?? 'text',
      role: doc.role ?? 'owner',
    });
    input.value = '';
    location.hash = `#/doc/${doc.id}`;
  } catch (err) {
    byId('docs-error').textContent = `Could not create the document: ${errorText(err)}`;
  }
});

// ---------------------------------------------------------------- the open document

const textarea = byId<HTMLTextAreaElement>('editor');
const undoButton = byId<HTMLButtonElement>('btn-undo');
const redoButton = byId<HTMLButtonElement>('btn-redo');
const historyButton = byId<HTMLButtonElement>('btn-history');
const historyPanelEl = byId('history-panel');
const shareButton = byId<HTMLButtonElement>('btn-share');
const notice = byId('doc-notice');
const people = byId('people');

const historyPanel = new HistoryPanel({
  api,
  currentVersion: () => openView?.doc.version ?? 0,
  canRestore: () => openView?.canEdit() ?? false,
  nameOf: (userId) => openView?.nameOf(userId) ?? userId,
  notify,
});

/** One open document: its ClientDoc, the textarea binding, the cursors overlay. */
class DocView {
  readonly doc: ClientDoc;
  private binding: TextBinding | null = null;
  private readonly overlay: PresenceOverlay;
  private readonly offs: (() => void)[] = [];
  /** Names of users seen in presence, for the history list. */
  private readonly names = new Map<string, string>();

  constructor(
    readonly docId: string,
    private readonly client: TandemClient,
  ) {
    textarea.value = '';
    textarea.readOnly = true;
    this.doc = client.open(docId);
    this.overlay = new PresenceOverlay(textarea, byId('presence-overlay'));
    this.binding = new TextBinding(textarea, this.doc, {
      changed: () => this.refresh(),
      error: (err) => notify(errorText(err), true),
    });
    if (session) this.names.set(session.userId, session.name);
    const doc = this.doc;
    this.offs.push(
      doc.on('ready', ({ docType, role }) => {
        byId('doc-role').textContent = role;
        shareButton.hidden = role !== 'owner';
        if (docType !== 'text') {
          this.binding?.dispose();
          this.binding = null;
          textarea.value = '';
          textarea.readOnly = true;
          this.showNotice(`This is a ${docType} document; this editor edits text documents only.`);
        } else
          this.showNotice(
            role === 'owner' || role === 'editor' ? '' : `You can view this document (${role}).`,
          );
        this.refresh();
      }),
      doc.on('presence', () => this.refresh()),
      doc.on('ack', () => {
        this.refresh();
        historyChanged();
      }),
      doc.on('remote-op', () => historyChanged()),
      doc.on('reset', ({ error }) => notify(`Reloading the document: ${errorText(error)}`, true)),
      doc.on('error', (err) => {
        const code = (err as { code?: string }).code;
        if (code === 'DOC_NOT_FOUND' || code === 'FORBIDDEN') {
          textarea.readOnly = true;
          this.showNotice(
            code === 'DOC_NOT_FOUND' ? 'This document does not exist.' : 'You have no access to it.',
          );
        }
        notify(errorText(err), true);
      }),
    );
    const summary = known.get(docId);
    byId('doc-title').textContent = summary?.title || docId;
    byId('doc-role').textContent = summary?.role ?? '';
    if (!summary)
      api.getDocument(docId).then(
        (d) => {
          if (openView === this && d?.title) byId('doc-title').textContent = d.title;
        },
        () => undefined,
      );
    historyPanel.setDocument(docId);
    if (!historyPanelEl.hidden) void historyPanel.refresh();
    this.refresh();
  }

  canEdit(): boolean {
    return this.doc.isReady && (this.doc.role === 'owner' || this.doc.role === 'editor');
  }

  nameOf(userId: string): string {
    return this.names.get(userId) ?? userId;
  }

  undo(): void {
    this.binding?.undo();
    textarea.focus();
  }

  redo(): void {
    this.binding?.redo();
    textarea.focus();
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.binding?.dispose();
    this.overlay.dispose();
    this.client.close(this.docId);
    textarea.value = '';
    people.replaceChildren();
  }

  private showNotice(text: string): void {
    notice.textContent = text;
    notice.hidden = !text;
  }

  /** Redraws everything that follows the document: cursors, people, buttons, status. */
  private refresh(): void {
    const doc = this.doc;
    const remote = doc.remotePresence;
    for (const p of remote) this.names.set(p.userId, p.name);
    if (this.binding && textarea.value === doc.data) this.overlay.render(textarea.value, remote);
    else this.overlay.render('', []);
    this.drawPeople(remote);
    undoButton.disabled = !this.canEdit() || !doc.canUndo;
    redoButton.disabled = !this.canEdit() || !doc.canRedo;
    statusVersion.textContent = doc.isReady ? `Version ${doc.version}` : 'Loading…';
    statusSaved.textContent = doc.isReady ? (doc.hasPendingOps ? 'Saving…' : 'All changes saved') : '';
  }

  private drawPeople(remote: ClientDoc['remotePresence']): void {
    const byUser = new Map<string, { name: string; color: string; count: number }>();
    for (const p of remote) {
      const entry = byUser.get(p.userId);
      if (entry) entry.count++;
      else byUser.set(p.userId, { name: p.name || p.userId, color: p.color, count: 1 });
    }
    const item = (name: string, color: string | undefined, note: string) => {
      const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
      if (color) {
        dot.style.background = color;
        dot.style.outline = `1px solid ${labelTextColor(color) === '#000' ? '#999' : 'transparent'}`;
      } else dot.style.border = '1px solid var(--muted)';
      return h('li', {}, dot, h('span', {}, name), note && h('span', { class: 'muted' }, note));
    };
    const rows = [item(session?.name ?? 'You', undefined, '(you)')];
    for (const [userId, u] of byUser) {
      if (userId === session?.userId) rows.push(item(u.name, u.color, '(you, elsewhere)'));
      else rows.push(item(u.name, u.color, u.count > 1 ? `(${u.count} windows)` : ''));
    }
    people.replaceChildren(...rows);
  }
}

function openDocument(docId: string): void {
  closeDocument();
  openView = new DocView(docId, connection());
}

function closeDocument(): void {
  openView?.dispose();
  openView = null;
  historyPanel.setDocument(undefined);
  notice.hidden = true;
  statusVersion.textContent = '';
  statusSaved.textContent = '';
}

/** While the History panel is open, new versions show up in it within a couple of seconds. */
let historyTimer: ReturnType<typeof setTimeout> | undefined;
function historyChanged(): void {
  if (historyPanelEl.hidden || historyTimer !== undefined) return;
  historyTimer = setTimeout(() => {
    historyTimer = undefined;
    if (!historyPanelEl.hidden) void historyPanel.refresh();
  }, 2000);
}

undoButton.addEventListener('click', () => openView?.undo());
redoButton.addEventListener('click', () => openView?.redo());

historyButton.addEventListener('click', () => {
  const show = historyPanelEl.hidden;
  historyPanelEl.hidden = !show;
  historyButton.setAttribute('aria-expanded', String(show));
  if (show) void historyPanel.refresh();
});

// ---------------------------------------------------------------- share dialog

const shareDialog = byId<HTMLDialogElement>('share-dialog');
const shareResult = byId('share-result');

shareButton.addEventListener('click', () => {
  shareResult.textContent = '';
  shareDialog.showModal();
});
byId('share-close').addEventListener('click', () => shareDialog.close());
byId<HTMLFormElement>('share-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const docId = openView?.docId;
  const userInput = byId<HTMLInputElement>('share-user');
  const userId = userInput.value.trim();
  const role = byId<HTMLSelectElement>('share-role').value === 'viewer' ? 'viewer' : 'editor';
  if (!docId || !userId) return;
  try {
    await api.setPermission(docId, userId, role);
    shareResult.textContent = `${userId} is now ${role === 'editor' ? 'an editor' : 'a viewer'}.`;
    userInput.value = '';
  } catch (err) {
    shareResult.textContent = `Could not share: ${errorText(err)}`;
  }
});

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', route);
// Edits not yet acknowledged live only in this page; leaving it would drop them.
window.addEventListener('beforeunload', (e) => {
  if (openView?.doc.hasPendingOps) e.preventDefault();
});
showConnection('idle');
route();
