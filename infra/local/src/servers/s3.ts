import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactDir, pomVersion, resolveArtifacts } from '../maven.js';
import { httpReady } from '../probes.js';
import type { Instance, ServerDef } from '../server.js';

const port = (inst: Instance): number => inst.ports[0] as number;
const BUCKET = 'tandem';
const ACCESS_KEY_ID = 'tandem';
const SECRET_ACCESS_KEY = 'tandem-secret';

/**
 * S3 from s3proxy (Maven Central, one jar with its dependencies) on its filesystem blob store:
 * each bucket is a directory, each object a file, so the data survives a restart.
 */
export const s3: ServerDef<'s3'> = {
  key: 's3',
  name: 's3',
  // A small JVM that is up in about two seconds: not worth queueing behind the big ones.
  heavy: false,
  portCount: 1,
  startTimeoutMs: 60_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 10_000,
  prepare: (progress) => resolveArtifacts('s3proxy', progress).then(() => {}),
  async launch({ inst, launch }) {
    const jar = join(
      artifactDir('s3proxy'),
      'lib',
      `s3proxy-${pomVersion('s3proxy')}-jar-with-dependencies.jar`,
    );
    const blobs = join(inst.dataDir, 'blobs');
    // The bucket exists before the first request: on this blob store a bucket is a directory.
    mkdirSync(join(blobs, BUCKET), { recursive: true });
    const properties = join(inst.dataDir, 's3proxy.properties');
    writeFileSync(
      properties,
      [
        `s3proxy.endpoint=http://127.0.0.1:${port(inst)}`,
        's3proxy.authorization=aws-v2-or-v4',
        `s3proxy.identity=${ACCESS_KEY_ID}`,
        `s3proxy.credential=${SECRET_ACCESS_KEY}`,
        'jclouds.provider=filesystem',
        `jclouds.filesystem.basedir=${blobs}`,
        '',
      ].join('\n'),
    );
    launch({
      label: 's3proxy',
      command: 'java',
      args: ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-jar', jar, '--properties', properties],
      cwd: inst.dataDir,
    });
  },
  ready: (inst) => httpReady(`http://127.0.0.1:${port(inst)}/`),
  endpoint: async (inst) => ({
    endpoint: `http://127.0.0.1:${port(inst)}`,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    bucket: BUCKET,
    forcePathStyle: true,
  }),
};
