import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Data directories, logs and pid files of the shared servers (elsewhere for a second set, as in timings). */
export const stateDir = process.env.TANDEM_INFRA_DIR ?? join(repoRoot, '.infra');
/** Artifacts resolved once per machine (Maven's own downloads stay in ~/.m2). */
export const cacheDir = join(homedir(), '.cache', 'tandem-infra');
export const mavenDir = fileURLToPath(new URL('../maven/', import.meta.url));
/** The same path readEndpoints (@tandem/testkit) reads. */
export const endpointsPath = process.env.TANDEM_ENDPOINTS ?? join(stateDir, 'endpoints.json');
