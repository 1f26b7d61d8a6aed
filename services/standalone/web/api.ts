/** The REST API under /api/v1, and the signed-in session kept in sessionStorage. */

export interface Session {
  token: string;
  userId: string;
  name: string;
}

export type Role = 'owner' | 'editor' | 'commenter' | 'viewer';

export interface DocumentSummary {
  id: string;
  title: string;
  type: string;
  role: Role;
  /** ISO date of the last change. */
  updatedAt?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface CommittedOpInfo {
  version: number;
  author: string;
  /** Commit time, ms since the epoch. */
  ts?: number;
  [field: string]: unknown;
}

/** An HTTP error answer, with the API's error code when the body carries one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const SESSION_KEY = 'tandem.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.userId !== 'string') return null;
    return { token: s.token, userId: s.userId, name: typeof s.name === 'string' ? s.name : s.userId };
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** Reads `{error: {code, message}}` or `{code, message}` from an error body. */
function describeError(status: number, statusText: string, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: unknown; code?: unknown; message?: unknown };
  const inner = (typeof b.error === 'object' && b.error !== null ? b.error : b) as {
    code?: unknown;
    message?: unknown;
  };
  const code = typeof inner.code === 'string' ? inner.code : undefined;
  const message =
    typeof inner.message === 'string'
      ? inner.message
      : typeof b.error === 'string'
        ? b.error
        : `${status} ${statusText}`.trim();
  return new ApiError(status, code, message);
}

export class Api {
  /** Called when the server no longer accepts the token (HTTP 401). */
  onUnauthorized: (() => void) | undefined;

  constructor(private readonly token: () => string | undefined) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) this.onUnauthorized?.();
      throw describeError(res.status, res.statusText, json);
    }
    return json as T;
  }

  signIn(name: string): Promise<Session> {
    return this.request<Session>('POST', '/api/v1/dev/sign-in', { name });
  }

  /** One page of the user's documents, most recently updated first; `after` is the last page's `next`. */
  listDocuments(after?: string): Promise<Page<DocumentSummary>> {
    const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
    return this.request('GET', `/api/v1/documents${query}`);
  }

  getDocument(id: string): Promise<DocumentSummary> {
    return this.request('GET', `/api/v1/documents/${encodeURIComponent(id)}`);
  }

  createDocument(title: string): Promise<DocumentSummary> {
    return this.request('POST', '/api/v1/documents', { title, type: 'text', content: '' });
  }

  /** Committed ops from version `from` on (a page); `next` is the `from` of the next page, or null. */
  listOps(id: string, from: number): Promise<{ ops: CommittedOpInfo[]; next: number | null }> {
    return this.request('GET', `/api/v1/documents/${encodeURIComponent(id)}/ops?from=${from}`);
  }

  getVersion(id: string, version: number): Promise<{ version: number; content: unknown }> {
    return this.request('GET', `/api/v1/documents/${encodeURIComponent(id)}/versions/${version}`);
  }

  restore(id: string, targetVersion: number): Promise<{ version: number }> {
    return this.request('POST', `/api/v1/documents/${encodeURIComponent(id)}/restore`, { targetVersion });
  }

  setPermission(id: string, userId: string, role: 'editor' | 'viewer'): Promise<unknown> {
    return this.request(
      'PUT',
      `/api/v1/documents/${encodeURIComponent(id)}/permissions/${encodeURIComponent(userId)}`,
      { role },
    );
  }
}
