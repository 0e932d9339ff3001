/** The two IPC channel names shared by the preload and the main-process binding. */
export const INVOKE_CHANNEL = 'kanbench:invoke';
export const EVENT_CHANNEL = 'kanbench:event';
