import fs from 'node:fs';
import path from 'node:path';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const config = readJson('build/electron-builder.json');

describe('electron-builder configuration', () => {
  it('is accepted by electron-builder', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('packages only the built app and package.json', () => {
    const included = (config.files as string[]).filter((p) => !p.startsWith('!'));
    expect(included.sort()).toEqual(['dist/electron/**', 'dist/renderer/**', 'package.json']);
    for (const p of included) expect(p).not.toMatch(/server|web-host|tests|electron\/core/);
  });

  it('starts the bundled main process', () => {
    expect(readJson('package.json').main).toBe('dist/electron/main.cjs');
  });

  it('unpacks the native store module so it can load, and never rebuilds it', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual([
      '**/node_modules/better-sqlite3-multiple-ciphers/prebuilds/*.node',
    ]);
    expect(config.npmRebuild).toBe(false);
  });

  it('sets the fuses that lock the packaged binary down', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('builds for Linux, Windows and macOS', () => {
    expect(config.linux.target.length).toBeGreaterThan(0);
    expect(config.win.target.length).toBeGreaterThan(0);
    expect(config.mac.target.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(root, config.mac.entitlements))).toBe(true);
  });
});
