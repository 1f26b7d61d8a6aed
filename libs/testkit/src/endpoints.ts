import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const hostPort = z.object({ host: z.string(), port: z.number().int().positive() });

/** The shape of the file `pnpm infra:up` writes: one entry per server it started. */
export const endpointsFileSchema = z.object({
  redis: z.object({ url: z.string() }).optional(),
  redisCluster: z.object({ nodes: z.array(hostPort).min(1) }).optional(),
  postgres: z.object({ url: z.string() }).optional(),
  cassandra: z.object({ contactPoints: z.array(z.string()).min(1), localDataCenter: z.string() }).optional(),
  kafka: z.object({ brokers: z.array(z.string()).min(1) }).optional(),
  elasticsearch: z
    .object({
      node: z.string(),
      version: z.string(),
      distribution: z.enum(['elasticsearch', 'opensearch']),
    })
    .optional(),
  s3: z
    .object({
      endpoint: z.string(),
      region: z.string(),
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
      bucket: z.string(),
      forcePathStyle: z.boolean(),
    })
    .optional(),
});

export type EndpointsFile = z.infer<typeof endpointsFileSchema>;
export type ServerName = keyof EndpointsFile;
/** Every server's endpoint; reading one that was not started throws (see readEndpoints). */
export type Endpoints = { readonly [K in ServerName]-?: NonNullable<EndpointsFile[K]> };

const SERVER_NAMES = Object.keys(endpointsFileSchema.shape) as ServerName[];

/** `pnpm infra:up` names servers in kebab case; the file keys them in camel case. */
const cliName = (name: ServerName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * TANDEM_ENDPOINTS, or endpoints.json in TANDEM_INFRA_DIR, or in .infra at the repository root
 * (src/ and dist/ sit at the same depth). The same rule as `pnpm infra:up`.
 */
export function endpointsPath(): string {
  const { TANDEM_ENDPOINTS, TANDEM_INFRA_DIR } = process.env;
  if (TANDEM_ENDPOINTS !== undefined) return TANDEM_ENDPOINTS;
  if (TANDEM_INFRA_DIR !== undefined) return join(TANDEM_INFRA_DIR, 'endpoints.json');
  return fileURLToPath(new URL('../../../.infra/endpoints.json', import.meta.url));
}

/**
 * The endpoints of the servers `pnpm infra:up` started. A test that needs a server must fail when
 * it is not there, never skip: a missing file throws here, and reading the entry of a server that
 * was not started throws, both naming what to run.
 */
export function readEndpoints(path: string = endpointsPath()): Endpoints {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(`No endpoints file at ${path}: no test servers are running; run \`pnpm infra:up\``);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`The endpoints file ${path} is not JSON; run \`pnpm infra:down && pnpm infra:up\``);
  }
  const parsed = endpointsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `The endpoints file ${path} is malformed (${z.prettifyError(parsed.error)}); run \`pnpm infra:up\``,
    );
  }
  const file = parsed.data;
  const endpoints = {} as Endpoints;
  for (const name of SERVER_NAMES) {
    Object.defineProperty(endpoints, name, {
      enumerable: true,
      get() {
        const entry = file[name];
        if (entry === undefined) {
          throw new Error(
            `No ${name} server in ${path}; run \`pnpm infra:up\` (or \`pnpm infra:up ${cliName(name)}\`)`,
          );
        }
        return entry;
      },
    });
  }
  return endpoints;
}
