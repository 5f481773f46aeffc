// Builds the desktop app into dist/: the Electron main process and preload (esbuild) and the
// renderer (vite). `npm run build`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'electron');

const common = {
  bundle: true,
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'none',
};

function elapsed(start) {
  return `${Date.now() - start} ms`;
}

async function buildMain() {
  const start = Date.now();
  await build({
    ...common,
    entryPoints: ['electron/main/index.ts'],
    outfile: path.join(outDir, 'main.cjs'),
    platform: 'node',
    // The native store module loads its own prebuilt binary at run time, so it stays a require.
    external: ['electron', 'better-sqlite3-multiple-ciphers'],
  });
  console.log(`built dist/electron/main.cjs (${elapsed(start)})`);
}

async function buildPreload() {
  const start = Date.now();
  const result = await build({
    ...common,
    entryPoints: ['electron/preload/index.ts'],
    outfile: path.join(outDir, 'preload.cjs'),
    platform: 'node',
    external: ['electron'],
    metafile: true,
  });
  // A sandboxed preload can require only 'electron': fail the build if anything else slipped in.
  const imports = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path),
  );
  const stray = imports.filter((p) => p !== 'electron');
  if (stray.length > 0) {
    throw new Error(`the preload may only require 'electron', but requires: ${stray.join(', ')}`);
  }
  console.log(`built dist/electron/preload.cjs (${elapsed(start)})`);
}

function run(label, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${label} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function buildRenderer() {
  const start = Date.now();
  const config = path.join(root, 'renderer', 'vite.config.ts');
  if (!fs.existsSync(config)) throw new Error('renderer/vite.config.ts is missing');
  // The vite of this package, run by the same Node that runs this script.
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  await run('vite build', process.execPath, [
    vite,
    'build',
    '--config',
    config,
    '--logLevel',
    'warn',
  ]);
  console.log(`built dist/renderer (${elapsed(start)})`);
}

try {
  fs.rmSync(outDir, { recursive: true, force: true });
  await Promise.all([buildMain(), buildPreload()]);
  await buildRenderer();
} catch (e) {
  console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
