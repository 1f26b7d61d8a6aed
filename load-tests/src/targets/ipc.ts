/** Messages between the generator and a server script it forked. */
export type ToServer = { id: number; cmd: 'create'; docIds: string[]; content: string };
export type FromServer =
  | { type: 'listening'; url: string }
  | { type: 'reply'; id: number; ok: true }
  | { type: 'reply'; id: number; ok: false; error: string };

/**
 * The server script's side: reports `url` to the generator (when forked by it) and runs
 * `create` for each create command. Exits when the generator goes away.
 */
export function serveCommands(
  url: string,
  create: (docIds: string[], content: string) => Promise<void>,
): void {
  const send = process.send?.bind(process);
  if (!send) return;
  process.on('message', (raw) => {
    const msg = raw as ToServer;
    if (msg.cmd !== 'create') return;
    create(msg.docIds, msg.content).then(
      () => send({ type: 'reply', id: msg.id, ok: true } satisfies FromServer),
      (err: unknown) =>
        send({ type: 'reply', id: msg.id, ok: false, error: String(err) } satisfies FromServer),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', url } satisfies FromServer);
}
