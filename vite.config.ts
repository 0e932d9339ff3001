// Vite build of the renderer: renderer/ -> dist/renderer, with relative asset paths so the page also loads from file:// in Electron.
/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Chromium (Electron and the browser mode) reads woff2; KaTeX's woff and ttf fallbacks would only add ~700 kB to the build. */
function katexWoff2Only(): Plugin {
  return {
    name: 'katex-woff2-only',
    enforce: 'pre',
    transform(code, id) {
      if (!/katex(\.min)?\.css$/.test(id)) return null;
      return { code: code.replace(/,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g, ''), map: null };
    },
  };
}

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [katexWoff2Only(), vue()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // ECharts (core, three chart types, two renderers) is one lazily loaded chunk of ~580 kB.
    chunkSizeWarningLimit: 700,
    // The build runs on slow CI machines too, where plugin time is no news; real warnings still show.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  // Vitest reads this file too; without this it would look for tests under renderer/ only.
  test: { root: '.' },
});
