/** The event bus between the training host and every transport (IPC, WebSocket): typed emit, subscribe and unsubscribe. */
import type { EventName, EventOf } from '../../app/api/contract';

export type EventListener = (event: EventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly log: (message: string) => void = (message) => process.stderr.write(`${message}\n`)) {}

  readonly emit = <E extends EventName>(event: E, payload: EventOf<E>): void => {
    for (const listener of [...this.listeners]) {
      // One broken subscriber (a closed socket) must not keep the event from the others.
      try {
        listener(event, payload);
      } catch (error) {
        this.log(`kanbench: an event subscriber failed on ${event}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
