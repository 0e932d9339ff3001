/**
 * The development page server the window may load instead of the built page: only when the app is not packaged and was
 * started with an explicit `--dev` (`npm start -- --dev`, the address from `--dev=URL` or KANBENCH_DEV_URL), and only on
 * this machine's loopback address, so no environment variable alone can point the app at another page.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface DevServerInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  isPackaged: boolean;
}

/** The dev server's address, or null for the built page; throws a message saying how to fix a bad `--dev`. */
export function devServerUrl({ argv, env, isPackaged }: DevServerInput): string | null {
  const flag = argv.find((arg) => arg === '--dev' || arg.startsWith('--dev='));
  if (flag === undefined || isPackaged) return null;
  const address = flag === '--dev' ? env.KANBENCH_DEV_URL : flag.slice('--dev='.length);
  if (!address) throw new Error('--dev needs the dev server\'s address: `--dev=http://localhost:5173`, or set KANBENCH_DEV_URL.');
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`--dev: "${address}" is not a URL; give the dev server's address, such as http://localhost:5173.`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`--dev: the dev server must be http on this machine (localhost, 127.0.0.1 or [::1]); got ${url.origin}.`);
  }
  return url.origin;
}
