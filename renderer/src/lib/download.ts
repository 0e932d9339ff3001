/** Saving text and images: Electron's save dialog when the app runs in Electron, a download link in the browser. */
import { api } from '../api';

export function downloadUrl(filename: string, url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(filename, url);
  // The click has handed the blob to the download; revoking later keeps slow browsers from losing it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Returns a sentence for the user saying where the file went, or null when they cancelled the dialog. */
export async function saveText(filename: string, content: string, mime: string): Promise<string | null> {
  if (api().platform === 'electron') {
    const result = await api().invoke('dialog.saveText', { defaultName: filename, content });
    if (result.available) return result.saved ? `Saved to ${result.path ?? filename}` : null;
  }
  downloadBlob(filename, new Blob([content], { type: `${mime};charset=utf-8` }));
  return `Downloaded ${filename}`;
}

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Some contexts refuse clipboard access; the selection fallback below still works there.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}
