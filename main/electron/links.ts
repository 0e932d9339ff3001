/**
 * The web pages the app opens in the user's browser: the two references of the Help menu, and nothing else. A page that
 * asks to open any other address (a crafted link in a CSV label, an injected script) is refused.
 */
export const KAN_PAPER_URL = 'https://arxiv.org/abs/2404.19756';
export const PYKAN_URL = 'https://github.com/KindXiaoming/pykan';

const ALLOWED_LINKS: ReadonlySet<string> = new Set([KAN_PAPER_URL, PYKAN_URL]);

/** Opens `url` with `openExternal` when it is on the allow-list; says whether it did. */
export function openAllowedLink(url: string, openExternal: (url: string) => unknown): boolean {
  if (!ALLOWED_LINKS.has(url)) return false;
  void openExternal(url);
  return true;
}
