// `npm start`: builds Enamel, then runs it in Electron. Where Electron's binary cannot be had (it is
// downloaded on first use, and the download can fail offline), serves the same app in the
// browser through the development web host instead. ENAMEL_DATA_DIR picks the data folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
const INSTALL_TIME_LIMIT_MS = 60_000;
const webPort = process.env.ENAMEL_PORT ?? '5217';

/** Runs a child to completion; stdout/stderr are inherited unless `capture` is set. */
function run(command, args, { capture = false, timeoutMs, env = process.env } = {}) {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(command, args, {
      cwd: root,
      env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs)
      : null;
    // Ctrl+C reaches the child through the terminal already; a signal sent to this script alone
    // is passed on after a moment, unless the child has gone by then.
    let exited = false;
    const forward = (signal) => {
      setTimeout(() => {
        if (!exited) child.kill(signal);
      }, 500).unref();
    };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    if (!capture) for (const s of signals) process.on(s, forward);
    const done = (result) => {
      exited = true;
      if (timer) clearTimeout(timer);
      for (const s of signals) process.off(s, forward);
      resolve({ output, timedOut, ...result });
    };
    child.on('error', (error) => done({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => done({ code, signal }));
  });
}

function exitCodeOf({ code, signal }) {
  if (code !== null && code !== undefined) return code;
  return 128 + (os.constants.signals[signal] ?? 1);
}

/**
 * The binary Electron's installer put in node_modules/electron/dist, if it is there, or the one in
 * ELECTRON_OVERRIDE_DIST_PATH (Electron's own switch for a locally provided build).
 */
function electronBinary() {
  let relative = '';
  try {
    relative = fs.readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
  } catch {
    // Not installed yet.
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? path.join(override, relative || 'electron')
    : relative && path.join(electronDir, 'dist', relative);
  return binary && fs.existsSync(binary) ? binary : null;
}

function whyInstallFailed(result) {
  if (result.timedOut) return 'the download timed out';
  if (result.error) return result.error.message;
  const text = result.output;
  if (
    /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH|ETIMEDOUT|ECONNRESET/.test(
      text,
    )
  )
    return 'network unreachable';
  const status = /Response code (\d{3})|status(?: code)? (\d{3})/i.exec(text);
  if (status) return `the download server answered ${status[1] ?? status[2]}`;
  if (/checksum/i.test(text)) return 'the download did not match its checksum';
  return `the installer exited with ${result.signal ?? `code ${result.code}`}`;
}

async function ensureElectron() {
  const installed = electronBinary();
  if (installed) return { binary: installed };
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)
    return { reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' };
  if (!fs.existsSync(path.join(electronDir, 'install.js')))
    return { reason: 'the electron package is not installed' };
  console.log('Fetching the Electron binary (first run only)...');
  const result = await run(process.execPath, [path.join(electronDir, 'install.js')], {
    capture: true,
    timeoutMs: INSTALL_TIME_LIMIT_MS,
  });
  const binary = electronBinary();
  if (result.code === 0 && binary) return { binary };
  return { reason: whyInstallFailed(result) };
}

const built = await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
if (built.code !== 0) process.exit(exitCodeOf(built));

const electron = await ensureElectron();
if (electron.binary) {
  const env = { ...process.env };
  // Set in the environment this would make Electron a plain Node process.
  delete env.ELECTRON_RUN_AS_NODE;
  const result = await run(electron.binary, ['.'], { env });
  process.exit(exitCodeOf(result));
}

console.log(
  `Electron could not be downloaded (${electron.reason}); serving Enamel in your browser instead.`,
);
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const web = await run(process.execPath, [
  tsx,
  path.join('electron', 'web-host', 'main.ts'),
  '--port',
  webPort,
]);
process.exit(exitCodeOf(web));
