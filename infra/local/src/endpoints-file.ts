import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EndpointsFile, ServerName } from '@tandem/testkit';
import { endpointsPath } from './paths.js';

export function readEndpointsFile(): EndpointsFile {
  try {
    return JSON.parse(readFileSync(endpointsPath, 'utf8')) as EndpointsFile;
  } catch {
    return {};
  }
}

/**
 * Sets (or, with undefined, removes) one server's entry. Synchronous from read to rename, so
 * servers becoming healthy at once never lose each other's entries; the rename means readers
 * never see half a file.
 */
export function setEndpoint<K extends ServerName>(key: K, value: EndpointsFile[K] | undefined): void {
  const file = readEndpointsFile();
  if (value === undefined) delete file[key];
  else file[key] = value;
  mkdirSync(dirname(endpointsPath), { recursive: true });
  const staging = `${endpointsPath}.${process.pid}.tmp`;
  writeFileSync(staging, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(staging, endpointsPath);
}

export function removeEndpointsFile(): void {
  rmSync(endpointsPath, { force: true });
}
