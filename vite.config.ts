// Vite build of the renderer: renderer/ -> dist/renderer, relative asset paths so the page also loads from file:// in Electron.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  root: 'renderer',
  test: { root: '.' },
  base: './',
  plugins: [vue()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
