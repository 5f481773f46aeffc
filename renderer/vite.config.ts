import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Paths are relative to this folder, so the build works from any working directory.
const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}/../dist/renderer`,
    emptyOutDir: true,
    // Fonts and images stay files: the CSP allows data: for images only.
    assetsInlineLimit: 0,
    sourcemap: false,
    // Loaded from disk by a desktop app, not over a network: one bundle is fine.
    chunkSizeWarningLimit: 1024,
  },
});
