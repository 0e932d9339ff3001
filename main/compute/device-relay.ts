/**
 * The main process's relay between a training worker and a device page: a worker thread cannot hold Electron's
 * MessagePortMain, and its synchronous bridge sleeps in Atomics.wait, so the main thread carries each request from the
 * worker's port to the page's port, and each reply back, raising the shared flag the worker waits on.
 */
import { MessageChannel } from 'node:worker_threads';
import type { BridgeReady, BridgeReply, BridgeRequest } from '../../app/compute/device/protocol';
import type { DeviceLink } from './device-bridge';

/** The main process's end of a connection to a device page (Electron's MessagePortMain, adapted; a fake in tests). */
export interface PageEnd {
  post(request: BridgeRequest): void;
  onMessage(listener: (data: unknown) => void): void;
  /** Called when the page's end closes (the page crashed, reloaded or was closed). */
  onClose(listener: () => void): void;
  close(): void;
}

/** What a worker posts first on a link: open the page's end now (the page is opened only for a worker that asks). */
export const OPEN_DEVICE = 'open';

/**
 * A link for one training worker (transfer its port to the worker) to the page `open` connects to, called when the
 * worker first asks. The worker's first message back is the page's BridgeReady, or one saying why it cannot be reached.
 */
export function relayDevice(name: string, open: () => Promise<PageEnd>): DeviceLink {
  const channel = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const toWorker = channel.port1;
  let end: PageEnd | null = null;
  let readySent = false;
  let awaiting = false;

  const answer = (reply: BridgeReply): void => {
    awaiting = false;
    toWorker.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  const sayReady = (ready: BridgeReady): void => {
    readySent = true;
    toWorker.postMessage(ready);
  };

  const connect = (): void => void open().then(
    (pageEnd) => {
      end = pageEnd;
      pageEnd.onMessage((data) => (readySent ? answer(data as BridgeReply) : sayReady(data as BridgeReady)));
      pageEnd.onClose(() => {
        end = null;
        if (!readySent) sayReady({ available: false, reason: `the ${name} device page closed before it answered` });
        else if (awaiting) answer({ ok: false, error: `the ${name} device page closed while computing` });
      });
    },
    (err: unknown) => sayReady({ available: false, reason: `the ${name} device page cannot be opened: ${err instanceof Error ? err.message : String(err)}` }),
  );
  let opened = false;
  toWorker.on('message', (request: BridgeRequest | typeof OPEN_DEVICE) => {
    if (request === OPEN_DEVICE) {
      if (!opened) connect();
      opened = true;
      return;
    }
    if (!end) {
      answer({ ok: false, error: `the ${name} device page is gone` });
      return;
    }
    awaiting = true;
    end.post(request);
  });
  // The worker exited (or dropped its port): the page's end of this connection goes too.
  toWorker.on('close', () => end?.close());
  toWorker.unref();
  return { name, port: channel.port2, flag };
}
