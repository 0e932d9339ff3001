/** Keyboard shortcuts of a view: active while the view is shown (views stay alive in the background when hidden). */
import { onActivated, onDeactivated, onMounted, onUnmounted } from 'vue';

/** True when the key press belongs to a text field, so single-letter shortcuts must leave it alone. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable) return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'range', 'button', 'submit', 'file'].includes(type);
}

export function primaryModifier(event: KeyboardEvent): boolean {
  return event.ctrlKey || event.metaKey;
}

/** handler returns true when it used the key (the event is then not passed on). */
export function useViewShortcuts(handler: (event: KeyboardEvent) => boolean): void {
  const listener = (event: KeyboardEvent): void => {
    if (event.defaultPrevented) return;
    if (handler(event)) event.preventDefault();
  };
  let attached = false;
  const attach = (): void => {
    if (!attached) window.addEventListener('keydown', listener);
    attached = true;
  };
  const detach = (): void => {
    window.removeEventListener('keydown', listener);
    attached = false;
  };
  onMounted(attach);
  onActivated(attach);
  onDeactivated(detach);
  onUnmounted(detach);
}
