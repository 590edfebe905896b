// @ts-check
/**
 * Builds the CLI's JavaScript: every TypeScript source of the Node.js side is transpiled by esbuild,
 * one CommonJS file per source, into dist/ with the tree mirrored (cli/commands/run.ts becomes
 * dist/cli/commands/run.js). Nothing is bundled, so every module keeps its own file and lazy imports
 * stay lazy. Types are checked by `npm run typecheck`, as for the tests (ts-jest only transpiles).
 *
 * dist/manifest.json records what each output was built from (size, modification time, content
 * hash). `ensureBuilt()` compares it with the sources on every start of the CLI, in a few
 * milliseconds, and rebuilds when one changed, so that an edited source never runs stale.
 *
 * Usage: node scripts/build.js (what `npm ci`, `npm install` and `npm run build` run: `prepare`).
 */
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist');
const MANIFEST = path.join(OUT, 'manifest.json');
/** The folders of code that runs on Node.js (tests and benchmarks run from the sources). */
const SOURCE_DIRS = ['bin', 'cli', 'common', 'dashboard', 'generator', 'lambdas', 'lib', 'local', 'metabase'];
/** Browser code, bundled from its sources when the dashboard is served (dashboard/bundle.ts). */
const SKIPPED_DIRS = [path.join('dashboard', 'client')];
/**
 * Scripts bundled with their dependencies into one file each, for a start-up without hundreds of
 * module lookups: the local S3 server's process loads s3rver (316 modules) in about 40% less time.
 * `lazy` names imports left out of the bundle and loaded on their first use (see lazyImports).
 * Rebuilt when the script or the lockfile changes.
 * @type {{ entry: string, inputs: string[], lazy?: string[] }[]}
 */
const BUNDLES = [
  { entry: 'local/s3rver-process.js', inputs: ['local/s3rver-process.js', 'package-lock.json'] },
  {
    entry: 'local/state-machine-library.js',
    inputs: ['local/state-machine-library.js', 'package-lock.json'],
    lazy: ['asl-validator', '@aws-sdk/client-lambda', '@aws-sdk/credential-providers'],
  },
];
/** The compiled CLI, which bin/saas-pipeline.js loads. */
const CLI_ENTRY = path.join(OUT, 'bin', 'saas-pipeline.js');

/**
 * @typedef {{ size: number, mtimeMs: number, sha256: string }} SourceRecord
 * @typedef {{ builder: string, sources: Record<string, SourceRecord> }} Manifest
 */

/**
 * What the outputs are built from: the TypeScript sources and the bundles' inputs.
 * @returns {string[]} paths relative to the root with forward slashes, sorted
 */
function listSources() {
  /** @type {string[]} */
  const found = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.includes(relative)) walk(relative);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        found.push(relative.split(path.sep).join('/'));
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (fs.existsSync(path.join(ROOT, dir))) walk(dir);
  for (const bundle of BUNDLES)
    for (const input of bundle.inputs) if (fs.existsSync(path.join(ROOT, input))) found.push(input);
  return [...new Set(found)].sort();
}

/** @param {string | Buffer} content */
const sha256 = (content) => createHash('sha256').update(content).digest('hex');

/**
 * What produced the outputs besides the sources: this script and the compiler's version. A change to
 * either rebuilds everything.
 */
function builderId() {
  const esbuildPackage = fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8');
  return sha256(fs.readFileSync(__filename, 'utf8') + JSON.parse(esbuildPackage).version);
}

/** @returns {Manifest | undefined} */
function readManifest() {
  try {
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
    if (typeof manifest?.builder === 'string' && typeof manifest.sources === 'object') return manifest;
  } catch {
    // Missing or damaged: the outputs are rebuilt.
  }
  return undefined;
}

/**
 * Why dist/ is out of date, or undefined when every output was built from the sources as they are.
 * A source whose time changed but not its content (a checkout, a touch) is not a change: its new
 * time is written to the manifest, so it is hashed only once.
 * @returns {string | undefined}
 */
function staleness() {
  const manifest = readManifest();
  if (!manifest) return 'nothing built yet';
  if (manifest.builder !== builderId()) return 'the build changed';
  const sources = listSources();
  const built = Object.keys(manifest.sources);
  if (sources.length !== built.length || sources.some((file, index) => built[index] !== file)) {
    const added = sources.find((file) => !(file in manifest.sources));
    return added ? `${added} is new` : `${built.find((file) => !sources.includes(file))} was removed`;
  }
  let retimed = false;
  for (const file of sources) {
    const record = /** @type {SourceRecord} */ (manifest.sources[file]);
    const stat = fs.statSync(path.join(ROOT, file));
    if (stat.size === record.size && stat.mtimeMs === record.mtimeMs) continue;
    if (stat.size !== record.size || sha256(fs.readFileSync(path.join(ROOT, file))) !== record.sha256)
      return `${file} changed`;
    manifest.sources[file] = { ...record, mtimeMs: stat.mtimeMs };
    retimed = true;
  }
  if (retimed) {
    try {
      writeAtomically(MANIFEST, JSON.stringify(manifest, null, 1));
    } catch {
      // Read-only: the hashes are compared again next time, which is correct, only slower.
    }
  }
  return undefined;
}

/**
 * Writes through a temporary file and a rename, so that a reader (another CLI starting) sees the
 * old file or the new one, never half of one.
 * @param {string} file
 * @param {string | Uint8Array} content
 */
function writeAtomically(file, content) {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Transpiles every source into dist/ and writes the manifest last: a build that stops half-way
 * leaves the old manifest, so the next start builds again. Two builds at once write the same bytes.
 * @returns {number} the seconds it took
 */
function build() {
  const started = performance.now();
  const esbuild = require('esbuild');
  const sources = listSources();
  // Recorded before reading, so that a source edited during the build is seen as changed next time.
  /** @type {Record<string, SourceRecord>} */
  const records = {};
  for (const file of sources) {
    const absolute = path.join(ROOT, file);
    const stat = fs.statSync(absolute);
    records[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(fs.readFileSync(absolute)) };
  }
  const result = esbuild.buildSync({
    absWorkingDir: ROOT,
    entryPoints: sources.filter((file) => file.endsWith('.ts')),
    outdir: OUT,
    outbase: ROOT,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // As tsc does for CommonJS: `await import('./x')` becomes a require, loaded when it runs.
    supported: { 'dynamic-import': false },
    write: false,
    logLevel: 'silent',
  });
  /** @type {{ path: string, contents: Uint8Array }[]} */
  const outputs = [...result.outputFiles];
  for (const { entry, lazy = [] } of BUNDLES) {
    if (!fs.existsSync(path.join(ROOT, entry))) continue;
    const bundled = esbuild.buildSync({
      absWorkingDir: ROOT,
      entryPoints: [entry],
      outfile: path.join(OUT, entry),
      bundle: true,
      minify: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      external: lazy,
    });
    for (const output of bundled.outputFiles)
      outputs.push(
        lazy.length === 0
          ? output
          : { path: output.path, contents: Buffer.from(loadOnFirstUse(output.text, lazy)) },
      );
  }
  for (const output of outputs) {
    fs.mkdirSync(path.dirname(output.path), { recursive: true });
    writeAtomically(output.path, output.contents);
  }
  // Outputs of removed sources would shadow nothing, but they should not linger either.
  const previous = readManifest();
  for (const file of Object.keys(previous?.sources ?? {}))
    if (!(file in records) && file.endsWith('.ts'))
      fs.rmSync(path.join(OUT, file.replace(/\.ts$/, '.js')), { force: true });
  writeAtomically(MANIFEST, JSON.stringify({ builder: builderId(), sources: records }, null, 1));
  return (performance.now() - started) / 1000;
}

/**
 * The bundle's text with each `require("<lazy>")` replaced by a stand-in that loads the package the
 * first time it is called (a package whose export is a function, such as asl-validator) or one of its
 * exports is read (any other). What the bundle never touches is then never loaded. esbuild's plugins,
 * which could do this while bundling, do not run in the synchronous build that the CLI's start needs.
 * @param {string} code
 * @param {string[]} lazy the packages, left out of the bundle (external)
 */
function loadOnFirstUse(code, lazy) {
  const helper =
    'var __lazyRequire=(name,callable)=>{let m;const load=()=>(m??=require(name));return callable?' +
    '(...a)=>load()(...a):new Proxy({},{get:(_,k)=>load()[k],has:(_,k)=>k in load()})};\n';
  let result = code;
  for (const name of lazy) {
    const call = `require(${JSON.stringify(name)})`;
    if (!result.includes(call)) throw new Error(`the bundle no longer requires ${name}: update BUNDLES`);
    const callable = typeof require(name) === 'function';
    result = result.split(call).join(`__lazyRequire(${JSON.stringify(name)},${callable})`);
  }
  const shebang = result.startsWith('#!') ? result.slice(0, result.indexOf('\n') + 1) : '';
  return shebang + helper + result.slice(shebang.length);
}

/**
 * The compiled CLI, rebuilt first if a source changed since it was built; undefined when it cannot be
 * built (read-only install, a syntax error), after a one-line notice: the caller then runs the
 * TypeScript sources instead.
 * @param {(line: string) => void} notice
 * @returns {string | undefined}
 */
function ensureBuilt(notice = (line) => process.stderr.write(line + '\n')) {
  let reason = 'the build could not be checked';
  try {
    const stale = staleness();
    if (stale === undefined) return CLI_ENTRY;
    reason = stale;
    const seconds = build();
    // Only people at a terminal are told; scripts and tests see the same output as ever.
    if (process.stderr.isTTY) notice(`saas-pipeline: rebuilt dist/ in ${seconds.toFixed(1)} s (${reason})`);
    return CLI_ENTRY;
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error).split('\n')[0];
    notice(
      `saas-pipeline: running the TypeScript sources through tsx: dist/ could not be rebuilt (${reason}; ${message})`,
    );
    return undefined;
  }
}

/**
 * Runs a TypeScript entry through tsx in a child process, with this process's arguments, and exits
 * as it does. A child, because only tsx's --import hooks load the CLI's lazy `import()`s of .ts files.
 * @param {string} entry
 */
function runSources(entry) {
  const { spawn } = require('node:child_process');
  const { pathToFileURL } = require('node:url');
  const loader = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  const child = spawn(process.execPath, ['--import', loader, entry, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Ctrl-C reaches both processes: the child handles it (a run records itself as interrupted).
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

module.exports = { ROOT, OUT, CLI_ENTRY, listSources, staleness, build, ensureBuilt, runSources };

if (require.main === module) {
  const seconds = build();
  process.stdout.write(`built dist/ from ${listSources().length} files in ${seconds.toFixed(1)} s\n`);
}
