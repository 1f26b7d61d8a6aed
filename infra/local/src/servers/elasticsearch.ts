import { execFile } from 'node:child_process';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { artifactDir, resolveArtifacts } from '../maven.js';
import { httpReady } from '../probes.js';
import { userIds } from '../process.js';
import type { Instance, ServerDef } from '../server.js';

const run = promisify(execFile);

/** Elasticsearch refuses to run as root; `nobody` owns nothing else a bug in it could harm. */
const USER = 'nobody';

const httpPort = (inst: Instance): number => inst.ports[0] as number;
const transportPort = (inst: Instance): number => inst.ports[1] as number;
const url = (inst: Instance): string => `http://127.0.0.1:${httpPort(inst)}`;
/** The unpacked distribution in the cache (read-only for the server). */
const cachedHome = (): string => join(artifactDir('elasticsearch'), 'home');
/** Its copy in the instance: the cache sits under a home directory the server's user cannot enter. */
const home = (inst: Instance): string => join(inst.dataDir, 'home');

/** Unpacks the zip Maven fetched (once per machine) into home/. */
async function unpack(dir: string): Promise<void> {
  const lib = join(dir, 'lib');
  const zip = readdirSync(lib).find((name) => name.endsWith('.zip'));
  if (zip === undefined) throw new Error(`no Elasticsearch zip in ${lib}`);
  await run('unzip', ['-q', join(lib, zip), '-d', join(dir, 'unpacked')]);
  const [top] = readdirSync(join(dir, 'unpacked'));
  if (top === undefined) throw new Error(`${zip} is empty`);
  renameSync(join(dir, 'unpacked', top), join(dir, 'home'));
}

/** Hard links when the cache and the instance share a file system (instant), a copy otherwise. */
async function copyHome(inst: Instance): Promise<void> {
  if (existsSync(home(inst))) return;
  try {
    await run('cp', ['-al', cachedHome(), home(inst)]);
  } catch {
    cpSync(cachedHome(), home(inst), { recursive: true });
  }
}

function writeConfig(inst: Instance): string {
  const config = join(inst.dataDir, 'config');
  cpSync(join(home(inst), 'config'), config, { recursive: true });
  const hasXpack = existsSync(join(home(inst), 'modules', 'x-pack-core'));
  writeFileSync(
    join(config, 'elasticsearch.yml'),
    [
      'cluster.name: tandem',
      'node.name: tandem-1',
      `path.data: ${join(inst.dataDir, 'data')}`,
      `path.logs: ${join(inst.dataDir, 'logs')}`,
      'network.host: 127.0.0.1',
      `http.port: ${httpPort(inst)}`,
      `transport.port: ${transportPort(inst)}`,
      'discovery.type: single-node',
      // A nearly full disk of a developer machine must not turn the indices read-only.
      'cluster.routing.allocation.disk.threshold_enabled: false',
      // Tests delete their indices by pattern.
      'action.destructive_requires_name: false',
      ...(hasXpack ? ['xpack.security.enabled: false', 'xpack.ml.enabled: false'] : []),
      '',
    ].join('\n'),
  );
  return config;
}

/** JAVA_HOME of the `java` on PATH (…/bin/java). */
async function javaHome(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'command -v java']);
  return dirname(dirname(realpathSync(stdout.trim())));
}

/**
 * Elasticsearch 8 from its integ-test-zip distribution on Maven Central (the only one published
 * there: the core and x-pack security, without the other modules: no `GET /`, painless, reindex
 * or analysis-common), run as an unprivileged user, security off, one node.
 */
export const elasticsearch: ServerDef<'elasticsearch'> = {
  key: 'elasticsearch',
  name: 'elasticsearch',
  heavy: true,
  portCount: 2,
  startTimeoutMs: 120_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 30_000,
  prepare: (progress) => resolveArtifacts('elasticsearch', progress, unpack).then(() => {}),
  async launch({ inst, launch }) {
    await copyHome(inst);
    const config = writeConfig(inst);
    const { uid, gid } = userIds(USER);
    for (const name of ['config', 'data', 'logs', 'tmp']) {
      const dir = join(inst.dataDir, name);
      mkdirSync(dir, { recursive: true });
      await run('chown', ['-R', `${uid}:${gid}`, dir]);
    }
    chownSync(inst.dataDir, uid, gid);
    launch({
      label: 'elasticsearch',
      command: join(home(inst), 'bin', 'elasticsearch'),
      args: [],
      cwd: join(inst.dataDir, 'logs'),
      user: USER,
      env: {
        ES_JAVA_HOME: await javaHome(),
        ES_PATH_CONF: config,
        ES_TMPDIR: join(inst.dataDir, 'tmp'),
        ES_JAVA_OPTS: '-Xms512m -Xmx512m',
        HOME: inst.dataDir,
      },
    });
  },
  ready: (inst) => httpReady(`${url(inst)}/_cluster/health?wait_for_status=yellow&timeout=1s`, [200]),
  async endpoint(inst) {
    // Not from `GET /`: its handler is in a module this distribution leaves out.
    const response = await fetch(`${url(inst)}/_nodes/_local?filter_path=nodes.*.version`);
    const { nodes } = (await response.json()) as { nodes: Record<string, { version: string }> };
    const version = Object.values(nodes)[0]?.version;
    if (version === undefined) throw new Error('elasticsearch: no version in /_nodes/_local');
    return { node: url(inst), version, distribution: 'elasticsearch' };
  },
};
