import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pgReady } from '../probes.js';
import { userIds } from '../process.js';
import type { Instance, ServerDef } from '../server.js';

const run = promisify(execFile);

/** Postgres refuses to run as root; the Debian package creates this user. */
const USER = 'postgres';

/**
 * The binaries of the newest Postgres the Debian package `postgresql` installed. Not the
 * `postgres` on PATH: that may be another build, and a fresh machine has only these.
 */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error(`no Postgres under ${root}: install the Debian package (apt-get install postgresql)`);
  }
  return join(root, versions[0], 'bin');
}

const port = (inst: Instance): number => inst.ports[0] as number;
const pgData = (inst: Instance): string => join(inst.dataDir, 'pgdata');
/** The Unix socket directory: the superuser's way in (trust), for creating the role and database. */
const socketDir = (inst: Instance): string => join(inst.dataDir, 'run');

async function psql(inst: Instance, sql: string): Promise<string> {
  const { stdout } = await run(join(binDir(), 'psql'), [
    '-X',
    '-q',
    '-t',
    '-A',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    socketDir(inst),
    '-p',
    String(port(inst)),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-c',
    sql,
  ]);
  return stdout.trim();
}

/** Postgres from the Debian package, with database `tandem` owned by user `tandem` (password `tandem`). */
export const postgres: ServerDef<'postgres'> = {
  key: 'postgres',
  name: 'postgres',
  heavy: false,
  portCount: 1,
  startTimeoutMs: 30_000,
  // Fast shutdown: SIGTERM would wait for every client to disconnect.
  stopSignal: 'SIGINT',
  stopTimeoutMs: 20_000,
  async launch({ inst, launch, run: runStep }) {
    const bin = binDir();
    const { uid, gid } = userIds(USER);
    for (const dir of [inst.dataDir, socketDir(inst)]) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
    }
    if (!existsSync(join(pgData(inst), 'PG_VERSION'))) {
      await runStep({
        label: 'initdb',
        command: join(bin, 'initdb'),
        args: [
          '-D',
          pgData(inst),
          '-U',
          'postgres',
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          // Test data: nothing to lose in a machine crash, so no fsync of every file written.
          '--no-sync',
        ],
        cwd: inst.dataDir,
        user: USER,
      });
    }
    launch({
      label: 'postgres',
      command: join(bin, 'postgres'),
      args: [
        '-D',
        pgData(inst),
        '-p',
        String(port(inst)),
        '-k',
        socketDir(inst),
        '-c',
        'listen_addresses=127.0.0.1',
        // Every test file and every service process of the local cluster holds a pool.
        '-c',
        'max_connections=300',
      ],
      cwd: inst.dataDir,
      user: USER,
      env: { HOME: inst.dataDir },
      leaderOnly: true,
    });
  },
  ready: (inst) => pgReady(join(binDir(), 'pg_isready'), port(inst)),
  async init({ inst }) {
    await psql(
      inst,
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem') THEN
           CREATE ROLE tandem LOGIN CREATEDB PASSWORD 'tandem';
         END IF;
       END $$`,
    );
    if ((await psql(inst, `SELECT count(*) FROM pg_database WHERE datname = 'tandem'`)) === '0') {
      await psql(inst, 'CREATE DATABASE tandem OWNER tandem');
    }
  },
  endpoint: async (inst) => ({ url: `postgres://tandem:tandem@127.0.0.1:${port(inst)}/tandem` }),
};
