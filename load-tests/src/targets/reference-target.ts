import { ServerChannel } from './child-process.js';
import type { RunningTarget, Target } from './target.js';

/**
 * Tandem's in-memory reference server (@tandem/testkit) over WebSocket, in a child process
 * (src/reference-server-process.ts). It accepts any token as the user id; documents are
 * created over the IPC channel.
 */
export const referenceTarget: Target = {
  name: 'tandem-reference',
  client: 'tandem',
  async start(): Promise<RunningTarget> {
    const server = await ServerChannel.start('reference-server-process.ts');
    return {
      urls: [server.url],
      processes: [{ name: 'server', pid: server.pid }],
      createDocs: (docIds, content) => server.createDocs(docIds, content),
      tokenFor: async (user) => user,
      stop: () => server.stop(),
    };
  },
};
