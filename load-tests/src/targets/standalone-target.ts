import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkScript, freePort, stopChild, waitForHttp } from './child-process.js';
import type { RunningTarget, Target } from './target.js';

/**
 * The real Tandem server (services/standalone: gateway, commit pipeline, PGlite op log
 * with fsync, REST API) in a child process on a fresh data directory. Every op is durable
 * in the op log before its ack. Documents are created and shared over the REST API with
 * the dev sign-in; the per-socket op rate limit is raised so that the generator's fast
 * editors measure the server, not the limiter.
 */
export const standaloneTarget: Target = {
  name: 'tandem',
  client: 'tandem',
  async start(): Promise<RunningTarget> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-load-'));
    const child = forkScript('../../services/standalone/src/main.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      OPS_PER_SECOND: '10000',
      MAX_DOCS_PER_SOCKET: '1000',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, 120_000);
    const call = async (method: string, path: string, token: string | null, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? null : ((await res.json()) as Record<string, unknown>);
    };
    const signIn = async (name: string) =>
      (await call('POST', '/api/v1/dev/sign-in', null, { name })) as { token: string; userId: string };
    const owner = (await signIn('load-owner')).token;
    const inBatches = async <T>(items: T[], fn: (item: T) => Promise<unknown>) => {
      for (let i = 0; i < items.length; i += 20) await Promise.all(items.slice(i, i + 20).map(fn));
    };
    return {
      urls: [`ws://127.0.0.1:${port}/ws`],
      processes: [{ name: 'server', pid: child.pid as number }],
      createDocs: (docIds, content) =>
        inBatches(docIds, (id) =>
          call('POST', '/api/v1/documents', owner, { id, title: id, type: 'text', content }),
        ),
      async tokenFor(user, docIds) {
        const { token, userId } = await signIn(user);
        await inBatches(docIds, (id) =>
          call('PUT', `/api/v1/documents/${id}/permissions/${userId}`, owner, { role: 'editor' }),
        );
        return token;
      },
      async stop() {
        await stopChild(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};
