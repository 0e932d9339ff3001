/** Page-level state: the current view (kept in the address hash, so a reload returns to it), theme, connection and notices. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, type ConnectionState } from '../api';

export const VIEWS = [
  { name: 'data', label: 'Data', key: '1' },
  { name: 'setup', label: 'Setup', key: '2' },
  { name: 'training', label: 'Training', key: '3' },
  { name: 'compare', label: 'Compare', key: '4' },
  { name: 'inspect', label: 'Inspect', key: '5' },
  { name: 'formula', label: 'Formula', key: '6' },
  { name: 'history', label: 'History', key: '7' },
] as const;

export type ViewName = (typeof VIEWS)[number]['name'];
export type Theme = 'light' | 'dark';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

const THEME_KEY = 'kanbench.theme';

function isView(name: string): name is ViewName {
  return VIEWS.some((v) => v.name === name);
}

/** "#/inspect?run=abc" -> { view: 'inspect', runId: 'abc' }. */
export function parseHash(hash: string): { view: ViewName; runId: string | null; compare: string[] } {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query);
  const compare = (params.get('compare') ?? '').split(',').filter((s) => s.length > 0);
  return { view: isView(path) ? path : 'data', runId: params.get('run'), compare };
}

export function formatHash(view: ViewName, runId: string | null, compare: readonly string[]): string {
  const params = new URLSearchParams();
  if (runId) params.set('run', runId);
  if (view === 'compare' && compare.length > 0) params.set('compare', compare.join(','));
  const query = params.toString();
  return `#/${view}${query ? `?${query}` : ''}`;
}

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useUiStore = defineStore('ui', () => {
  const initial = parseHash(window.location.hash);
  const view = ref<ViewName>(initial.view);
  const compareIds = ref<string[]>(initial.compare);
  const theme = ref<Theme>(initialTheme());
  const connection = ref<{ state: ConnectionState; detail: string | null }>({ state: 'open', detail: null });
  const notices = ref<Notice[]>([]);
  const shortcutsOpen = ref(false);
  let nextNotice = 1;

  function go(next: ViewName): void {
    view.value = next;
  }

  function compare(ids: string[]): void {
    compareIds.value = [...ids];
    view.value = 'compare';
  }

  function applyTheme(next: Theme): void {
    theme.value = next;
    localStorage.setItem(THEME_KEY, next);
    document.documentElement.dataset.theme = next;
  }

  /** The user's choice: shown at once, remembered here for the next first paint and in main's settings. */
  function setTheme(next: Theme): void {
    applyTheme(next);
    api().invoke('settings.set', { theme: next }).catch(() => undefined);
  }

  /** Main's settings win over this page's memory (they are shared with the Electron window and other tabs). */
  async function loadThemeSetting(): Promise<void> {
    const saved = (await api().invoke('settings.get', {})).theme;
    if (saved !== 'system' && saved !== theme.value) applyTheme(saved);
  }

  function notify(kind: Notice['kind'], text: string, ms = kind === 'error' ? 8000 : 3500): void {
    const id = nextNotice++;
    notices.value.push({ id, kind, text });
    setTimeout(() => dismiss(id), ms);
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  const isDark = computed(() => theme.value === 'dark');
  return { view, compareIds, theme, isDark, connection, notices, shortcutsOpen, go, compare, setTheme, loadThemeSetting, notify, dismiss, initialRunId: initial.runId };
});
