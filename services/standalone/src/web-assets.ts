import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file the server sends as it is. */
export interface WebAsset {
  body: Buffer | string;
  contentType: string;
}

/** services/standalone/web, from src/ and from a compiled dist/ alike. */
const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The web editor, ready to serve: `/` (index.html), `/app.js` (web/app.ts bundled with
 * @tandem/client and its dependencies, so the page loads nothing from elsewhere) and
 * `/app.css`. The server calls this once at start; bundling takes well under a second.
 * Workspace packages resolve to their TypeScript sources (the `@tandem/source`
 * condition), so no library needs building first.
 */
export async function buildWebAssets(): Promise<Map<string, WebAsset>> {
  const [html, css, bundle] = await Promise.all([
    readFile(`${WEB_DIR}index.html`, 'utf8'),
    readFile(`${WEB_DIR}app.css`, 'utf8'),
    build({
      entryPoints: [`${WEB_DIR}app.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      conditions: ['@tandem/source'],
      tsconfig: `${WEB_DIR}tsconfig.json`,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    }),
  ]);
  const js = bundle.outputFiles[0];
  if (!js) throw new Error('esbuild produced no bundle for web/app.ts');
  return new Map<string, WebAsset>([
    ['/', { body: html, contentType: 'text/html; charset=utf-8' }],
    ['/app.js', { body: js.text, contentType: 'text/javascript; charset=utf-8' }],
    ['/app.css', { body: css, contentType: 'text/css; charset=utf-8' }],
  ]);
}
