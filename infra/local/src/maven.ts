import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, mavenDir } from './paths.js';
import type { Progress } from './progress.js';

const run = promisify(execFile);

export type MavenProject = 'kafka' | 'cassandra' | 'elasticsearch' | 's3proxy';

/** Where a project's artifacts land: named by its pom's content, so editing the pom resolves anew. */
export function artifactDir(project: MavenProject): string {
  const pom = readFileSync(join(mavenDir, project, 'pom.xml'));
  return join(cacheDir, `${project}-${createHash('sha256').update(pom).digest('hex').slice(0, 12)}`);
}

/** The `<version>` of the first dependency of a project's pom: the server's version. */
export function pomVersion(project: MavenProject): string {
  const pom = readFileSync(join(mavenDir, project, 'pom.xml'), 'utf8');
  const version = /<dependency>[\s\S]*?<version>([^<]+)<\/version>/.exec(pom)?.[1];
  if (version === undefined) throw new Error(`no dependency version in ${project}/pom.xml`);
  return version;
}

// One Maven run at a time: parallel runs would download the same shared artifacts into ~/.m2
// at once, and Maven 3.8 does not lock its local repository.
let queue: Promise<unknown> = Promise.resolve();
const resolved = new Map<MavenProject, Promise<string>>();

/**
 * The directory holding a project's artifacts (`lib/`), copied there by Maven from ~/.m2 (which
 * Maven fills from Maven Central) the first time; later calls find them and run nothing.
 * `prepare`, if given, runs once on the fresh copy (unpacking an archive).
 */
export function resolveArtifacts(
  project: MavenProject,
  progress: Progress,
  prepare?: (dir: string) => Promise<void>,
): Promise<string> {
  let pending = resolved.get(project);
  if (pending === undefined) {
    pending = resolveOnce(project, progress, prepare);
    resolved.set(project, pending);
    pending.catch(() => resolved.delete(project));
  }
  return pending;
}

async function resolveOnce(
  project: MavenProject,
  progress: Progress,
  prepare?: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = artifactDir(project);
  if (existsSync(join(dir, 'complete'))) return dir;
  const turn = queue.then(async () => {
    if (existsSync(join(dir, 'complete'))) return;
    const started = Date.now();
    progress(`resolving ${project} ${pomVersion(project)} with Maven (once per machine)`);
    // Built beside its final place and renamed in, so a crash or a concurrent run never leaves a
    // half-filled directory that looks complete.
    const staging = `${dir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      await run(
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          join(mavenDir, project, 'pom.xml'),
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(staging, 'lib')}`,
          '-DincludeScope=runtime',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`Maven could not resolve ${project}:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    await prepare?.(staging);
    writeFileSync(join(staging, 'complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another process finished the same resolution first: its copy is as good as ours.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(dir, 'complete'))) throw err;
    }
    progress(`resolved ${project} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  queue = turn.catch(() => {});
  await turn;
  return dir;
}
