import { join } from 'node:path';
import { artifactDir, type MavenProject } from '../maven.js';

/** The classpath of a Maven project resolved by resolveArtifacts: every jar of its lib/. */
export const classpath = (project: MavenProject): string => join(artifactDir(project), 'lib', '*');
