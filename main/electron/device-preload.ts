/**
 * The preload of the compute device window (sandboxed, context-isolated): hands each MessagePort the main process offers
 * to the page's own world, as Electron's isolated worlds cannot share a port any other way. It exposes nothing else.
 */
import { ipcRenderer } from 'electron';

import { isDeviceOffer } from '../../app/compute/device/protocol';
import { DEVICE_CHANNEL } from './channels';

ipcRenderer.on(DEVICE_CHANNEL, (event, offer: unknown) => {
  // The page accepts only messages whose source is its own window, which is what this post is.
  if (isDeviceOffer(offer) && event.ports.length === 1) window.postMessage(offer, '*', event.ports);
});
