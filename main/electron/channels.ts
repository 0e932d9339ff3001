/** The IPC channel names shared by the preloads and the main process. */
export const INVOKE_CHANNEL = 'kanbench:invoke';
export const EVENT_CHANNEL = 'kanbench:event';
/** The main process offers the compute device window a MessagePort on this channel (one DeviceOffer per port). */
export const DEVICE_CHANNEL = 'kanbench:device';
