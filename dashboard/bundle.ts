import { build } from 'esbuild';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/project-root';

let bundled: Promise<string> | undefined;

/**
 * The page's script: client/main.ts with the parts of ECharts it uses, as one minified file. Built in
 * memory on first use (a fraction of a second), so the CLI needs no build step and serves and
 * embeds exactly the code in the tree.
 */
export function clientBundle(): Promise<string> {
  bundled ??= build({
    // From the sources also when this runs compiled from dist/, which holds no browser code.
    entryPoints: [path.join(PROJECT_ROOT, 'dashboard', 'client', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    legalComments: 'eof',
    logLevel: 'silent',
  }).then((result) => {
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no dashboard bundle');
    return file.text;
  });
  return bundled;
}
