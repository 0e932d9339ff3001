// Tests the Electron-free parts of the shell: the app:// file mapping and its CSP, saved window state, the menu, the link
// allow-list, the --dev flag, the `npm start` launcher.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { APP_CSP, rendererFile, serveAppRequest } from '../../main/electron/app-protocol';
import { devServerUrl } from '../../main/electron/dev-server';
import { pageMatcher } from '../../main/electron/ipc';
import { KAN_PAPER_URL, PYKAN_URL, openAllowedLink } from '../../main/electron/links';
import { menuTemplate } from '../../main/electron/menu';
import { DEFAULT_WINDOW_STATE, readWindowState, writeWindowState } from '../../main/electron/window-state';
import { bundle } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-parts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('app:// pages', () => {
  const renderer = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(renderer, 'assets', 'app.js'), 'export {}');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');

  it('maps URLs to files of the renderer only, and page routes to index.html', () => {
    expect(rendererFile(renderer, 'app://kanbench/assets/app.js')).toBe(path.join(renderer, 'assets', 'app.js'));
    expect(rendererFile(renderer, 'app://kanbench/runs/42')).toBe(path.join(renderer, 'index.html'));
    expect(rendererFile(renderer, 'app://kanbench/')).toBe(path.join(renderer, 'index.html'));
    for (const outside of ['app://kanbench/../secret.txt', 'app://kanbench/%2e%2e/secret.txt', 'app://kanbench/..%2fsecret.txt', 'app://other/index.html', 'file:///etc/passwd', 'app://kanbench/missing.js', 'app://kanbench/%E0%A4%A']) {
      expect(rendererFile(renderer, outside)).toBeNull();
    }
  });

  it('answers with the file, its type and the strict CSP', async () => {
    const response = await serveAppRequest(renderer, 'app://kanbench/assets/app.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(response.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(APP_CSP).toMatch(/script-src 'self';/);
    expect(APP_CSP).not.toMatch(/unsafe-eval/);
    expect(await response.text()).toBe('export {}');
    expect((await serveAppRequest(renderer, 'app://kanbench/../secret.txt')).status).toBe(404);
  });

  it('recognises our pages by prefix, not by the opaque origin of a custom scheme', () => {
    const ours = pageMatcher('app://kanbench/', 'http://localhost:5173');
    expect(ours('app://kanbench/index.html')).toBe(true);
    expect(ours('http://localhost:5173/src/main.ts')).toBe(true);
    expect(ours('app://kanbenchx/index.html')).toBe(false);
    expect(ours('http://localhost:5173.evil.example/')).toBe(false);
    expect(ours('data:text/html,hi')).toBe(false);
    expect(pageMatcher('app://kanbench/', null)('http://localhost:5173/')).toBe(false);
  });
});

describe('window state', () => {
  const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];

  it('round-trips a saved state and forgets a position on a display that is gone', () => {
    const file = path.join(tmp, 'state', 'window-state.json');
    writeWindowState(file, { x: 100, y: 80, width: 1200, height: 800, maximized: true });
    expect(readWindowState(file, displays)).toEqual({ x: 100, y: 80, width: 1200, height: 800, maximized: true });
    writeWindowState(file, { x: 3000, y: 80, width: 1200, height: 800, maximized: false });
    expect(readWindowState(file, displays)).toEqual({ width: 1200, height: 800, maximized: false });
  });

  it('falls back to defaults on a missing, damaged or absurd file', () => {
    expect(readWindowState(path.join(tmp, 'none.json'), displays)).toEqual(DEFAULT_WINDOW_STATE);
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(file, '{not json');
    expect(readWindowState(file, displays)).toEqual(DEFAULT_WINDOW_STATE);
    fs.writeFileSync(file, JSON.stringify({ width: 10, height: 1e9, x: 'left', maximized: 'yes' }));
    expect(readWindowState(file, displays)).toEqual(DEFAULT_WINDOW_STATE);
  });
});

describe('menu', () => {
  const actions = { isMac: false, openDataFolder: () => undefined, openLink: () => undefined };
  const roles = (template: ReturnType<typeof menuTemplate>): string[] =>
    JSON.stringify(template, (key, value: unknown) => (key === 'click' ? undefined : value)).match(/"role":"(\w+)"/g) ?? [];

  it('offers developer tools only in an unpackaged build', () => {
    expect(roles(menuTemplate({ ...actions, isPackaged: false }))).toContain('"role":"toggleDevTools"');
    expect(roles(menuTemplate({ ...actions, isPackaged: true }))).not.toContain('"role":"toggleDevTools"');
    expect(roles(menuTemplate({ ...actions, isPackaged: true, isMac: true }))[0]).toBe('"role":"appMenu"');
  });
});

describe('links to the browser', () => {
  it('opens the two references of the Help menu and nothing else', () => {
    const opened: string[] = [];
    const open = (url: string) => opened.push(url);
    expect(openAllowedLink(KAN_PAPER_URL, open)).toBe(true);
    expect(openAllowedLink(PYKAN_URL, open)).toBe(true);
    for (const url of ['https://evil.example/', `${KAN_PAPER_URL}/../../evil`, `${PYKAN_URL}.evil.example`, 'file:///etc/passwd', 'javascript:alert(1)', `${KAN_PAPER_URL}?x=1`]) {
      expect(openAllowedLink(url, open), url).toBe(false);
    }
    expect(opened).toEqual([KAN_PAPER_URL, PYKAN_URL]);
  });
});

describe('the --dev flag', () => {
  const dev = (argv: string[], env: Record<string, string> = {}, isPackaged = false) => devServerUrl({ argv: ['electron', '.', ...argv], env, isPackaged });

  it('loads the built page unless --dev is given, whatever KANBENCH_DEV_URL says', () => {
    expect(dev([], { KANBENCH_DEV_URL: 'http://localhost:5173' })).toBeNull();
    expect(dev(['--db', 'x.db'], { KANBENCH_DEV_URL: 'http://localhost:5173' })).toBeNull();
  });

  it('takes the address from --dev=URL or KANBENCH_DEV_URL, never in a packaged app', () => {
    expect(dev(['--dev=http://localhost:5173/src/'])).toBe('http://localhost:5173');
    expect(dev(['--dev'], { KANBENCH_DEV_URL: 'http://127.0.0.1:4000' })).toBe('http://127.0.0.1:4000');
    expect(dev(['--dev=http://[::1]:4000'])).toBe('http://[::1]:4000');
    expect(dev(['--dev=http://localhost:5173'], {}, true)).toBeNull();
  });

  it('refuses a missing address, a non-URL and any server off this machine, saying how to fix it', () => {
    expect(() => dev(['--dev'])).toThrow(/--dev needs the dev server's address: `--dev=http:\/\/localhost:5173`/);
    expect(() => dev(['--dev=localhost'])).toThrow(/"localhost" is not a URL/);
    for (const address of ['https://localhost:5173', 'http://evil.example', 'http://localhost.evil.example', 'http://192.168.1.2:5173', 'file:///tmp/index.html']) {
      expect(() => dev([`--dev=${address}`]), address).toThrow(/must be http on this machine/);
    }
  });
});

describe('npm start launcher', () => {
  it('says in one line that Electron cannot start here and points to kanbench serve', async () => {
    const built = await bundle({ 'main/electron/launch.ts': 'launch.js' });
    // An empty override folder stands for a machine where the Electron binary was never downloaded.
    const result = spawnSync(process.execPath, [built.file('launch.js')], {
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(tmp, 'no-electron') },
      encoding: 'utf8',
    });
    built.remove();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^kanbench: Electron cannot start here \(.*\); run `npx kanbench serve`/);
  }, 20_000);
});
