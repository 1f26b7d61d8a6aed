import { ServerChannel } from './child-process.js';
import type { RunningTarget, Target } from './target.js';

/**
 * ShareDB 5 with its in-memory database, ot-text-unicode and a ws transport, in a child
 * process (src/sharedb-server.ts). No authentication; documents are created over IPC.
 */
export const sharedbTarget: Target = {
  name: 'sharedb',
  client: 'sharedb',
  async start(): Promise<RunningTarget> {
    const server = await ServerChannel.start('sharedb-server.ts');
    return {
      urls: [server.url],
      processes: [{ name: 'server', pid: server.pid }],
      createDocs: (docIds, content) => server.createDocs(docIds, content),
      tokenFor: async () => '',
      stop: () => server.stop(),
    };
  },
};
