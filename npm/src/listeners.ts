// The listeners of one object's events (`on(event, fn)` returning its unsubscribe function).
import { iotError } from "./errors.js";
import type { Unsubscribe } from "./types.js";

type Listener = (event: never) => void;

/** Calls a listener; one that throws is reported and cannot break the client or the others. */
export function guarded<T>(listener: (v: T) => void, value: T): void {
  try {
    listener(value);
  } catch (e) {
    console.error("iotmqtt: a listener threw", e);
  }
}

export class Listeners {
  // Copied on change, never in place: an emit in progress keeps the list it started with.
  #list: [string, Listener][] = [];

  constructor(private readonly events: readonly string[]) {}

  /** Adds `listener` for `event`, one of the object's events (`UNKNOWN_EVENT` otherwise). */
  on(event: string, listener: Listener): Unsubscribe {
    if (!this.events.includes(event)) {
      throw iotError("UNKNOWN_EVENT", `unknown event ${JSON.stringify(event)}: use one of ${this.events.join(", ")}`);
    }
    const entry: [string, Listener] = [event, listener];
    this.#list = [...this.#list, entry];
    return () => {
      this.#list = this.#list.filter((e) => e !== entry);
    };
  }

  emit(event: string, value: unknown): void {
    for (const [e, l] of this.#list) if (e === event) guarded(l as (v: unknown) => void, value);
  }

  clear(): void {
    this.#list = [];
  }

  get size(): number {
    return this.#list.length;
  }
}
