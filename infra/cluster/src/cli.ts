/**
 * `pnpm cluster:up` / `pnpm cluster:down`: Tandem in distributed mode on this machine, on the
 * servers of `pnpm infra:up`. `up` starts the services (startCluster) as separate processes,
 * writes what it started to .infra/cluster.json and exits, leaving them running; `down` stops
 * them by pid. `token <user>` prints a token the services accept.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signToken } from '@tandem/auth';
import { consoleProgress } from '@tandem/infra-local';
import { endpointsPath, readEndpoints } from '@tandem/testkit';
import { z } from 'zod';
import { startCluster } from './cluster.js';

const USAGE = `usage: pnpm cluster:up [--gateways=N] [--workers=N] [--namespace=NAME]
       pnpm cluster:down
       pnpm -s --filter @tandem/cluster run token <user-id> [display name]`;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The same directory as `pnpm infra:up`'s state (infra/local/src/paths.ts). */
const stateDir = process.env.TANDEM_INFRA_DIR ?? join(repoRoot, '.infra');
const statePath = join(stateDir, 'cluster.json');
const logDir = join(stateDir, 'cluster-logs');

/** What `up` leaves behind for `down`, `token` and whoever wants to connect. */
const ClusterState = z.object({
  namespace: z.string(),
  authSecret: z.string(),
  apiUrl: z.string(),
  gatewayUrls: z.array(z.string()),
  logDir: z.string(),
  processes: z.array(
    z.object({
      name: z.string(),
      service: z.string(),
      pid: z.number().int(),
      port: z.number().int(),
    }),
  ),
});
type ClusterState = z.infer<typeof ClusterState>;

/** A token lives this long: a working day against a local cluster. */
const TOKEN_TTL_SECONDS = 12 * 60 * 60;

function readState(): ClusterState | undefined {
  if (!existsSync(statePath)) return undefined;
  return ClusterState.parse(JSON.parse(readFileSync(statePath, 'utf8')));
}

/**
 * Whether `pid` is still one of this cluster's services: alive (a zombie is not), and running
 * the service's main file, so that a pid the system has since given to another program is
 * never signalled.
 */
function isOurs(pid: number, service: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`services/${service}/src/main.ts`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // No /proc (not Linux): the pid alone has to do.
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function up(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      gateways: { type: 'string', default: '2' },
      workers: { type: 'string', default: '3' },
      namespace: { type: 'string', default: 'tandem_dev' },
    },
  });
  const gateways = Number(values.gateways);
  const workers = Number(values.workers);
  if (!Number.isInteger(gateways) || gateways < 1 || !Number.isInteger(workers) || workers < 1) {
    console.error(`--gateways and --workers take a positive integer\n${USAGE}`);
    return 2;
  }
  const running = readState()?.processes.filter((p) => isOurs(p.pid, p.service));
  if (running && running.length > 0) {
    console.error(
      `A cluster is already running (pids ${running.map((p) => p.pid).join(', ')}, see ${statePath}); run \`pnpm cluster:down\` first`,
    );
    return 1;
  }
  const endpoints = readEndpoints();
  const progress = consoleProgress('cluster');
  progress(`namespace ${values.namespace}, on the servers of ${endpointsPath()}`);
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const cluster = await startCluster({
    endpoints,
    logDir,
    gateways,
    workers,
    namespace: values.namespace,
    progress: (service, message) => consoleProgress(service)(message),
  });
  const state: ClusterState = {
    namespace: cluster.namespace,
    authSecret: cluster.authSecret,
    apiUrl: cluster.apiUrl,
    gatewayUrls: cluster.gatewayUrls,
    logDir,
    processes: cluster.processes().map(({ name, service, pid, port }) => ({ name, service, pid, port })),
  };
  writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
  // The services run on by themselves: their logs go to files, not through this process.
  for (const p of cluster.processes()) p.unref();
  console.log(`
Tandem cluster ${cluster.namespace} is running (${statePath}):
  api       ${cluster.apiUrl}  (REST /api/v1, OpenAPI at /api/docs)
  gateways  ${cluster.gatewayUrls.join('  ')}
  logs      ${logDir}
A token for user alice:  pnpm -s --filter @tandem/cluster run token alice
Stop it:                 pnpm cluster:down`);
  return 0;
}

async function down(): Promise<number> {
  const state = readState();
  if (!state) {
    console.log('No cluster is running (no .infra/cluster.json)');
    return 0;
  }
  // The other services first: they would otherwise wait for the workers' answers as they drain.
  const workers = state.processes.filter((p) => p.service === 'collab-worker');
  for (const group of [state.processes.filter((p) => p.service !== 'collab-worker'), workers]) {
    await Promise.all(
      group.map(async (p) => {
        const progress = consoleProgress(p.name);
        if (!isOurs(p.pid, p.service)) {
          progress(`not running (pid ${p.pid})`);
          return;
        }
        const began = Date.now();
        process.kill(p.pid, 'SIGTERM');
        while (isOurs(p.pid, p.service) && Date.now() - began < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (isOurs(p.pid, p.service)) {
          process.kill(p.pid, 'SIGKILL');
          progress(`killed (pid ${p.pid}): it did not stop within 10 s of SIGTERM`);
        } else {
          progress(`stopped (pid ${p.pid}) in ${((Date.now() - began) / 1000).toFixed(1)} s`);
        }
      }),
    );
  }
  rmSync(statePath, { force: true });
  return 0;
}

async function token(args: string[]): Promise<number> {
  const [userId, ...name] = args;
  if (!userId) {
    console.error(USAGE);
    return 2;
  }
  const state = readState();
  if (!state) {
    console.error('No cluster is running (no .infra/cluster.json); run `pnpm cluster:up`');
    return 1;
  }
  const display = name.length > 0 ? name.join(' ') : userId;
  console.log(
    await signToken(state.authSecret, { userId, name: display }, { ttlSeconds: TOKEN_TTL_SECONDS }),
  );
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<number>> = { up, down, token };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(USAGE);
  process.exitCode = 2;
} else {
  process.exitCode = await run(rest).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    return 1;
  });
}
