// One clock for every timer on the page. Background tabs throttle main-thread timers to about once
// a minute, which kills an MQTT keepalive, so timers run in a dedicated Web Worker; where no worker
// can be made (a CSP forbidding blob: workers, a worker scope), setTimeout.

// The worker: `[1, id, ms]` arms timer `id`, `[0, id]` clears it; it posts `id` back when it fires.
const SOURCE =
  "const t=new Map();onmessage=e=>{const [op,id,ms]=e.data;clearTimeout(t.get(id));t.delete(id);if(op===1){t.set(id,setTimeout(()=>{t.delete(id);postMessage(id);},ms));}};";

const callbacks = new Map<number, () => void>();
const mainHandles = new Map<number, ReturnType<typeof setTimeout>>();
let next = 1;
let worker: Worker | null | undefined;

function fire(id: number): void {
  mainHandles.delete(id);
  const f = callbacks.get(id);
  callbacks.delete(id);
  f?.();
}

function theWorker(): Worker | null {
  if (worker === undefined) {
    worker = null;
    try {
      const url = URL.createObjectURL(new Blob([SOURCE], { type: "text/javascript" }));
      try {
        worker = new Worker(url);
        worker.onmessage = (e: MessageEvent) => fire(e.data as number);
      } finally {
        URL.revokeObjectURL(url);
      }
    } catch {
      worker = null;
    }
  }
  return worker;
}

// A zero-delay tick: a task queued behind the tasks already waiting, through a MessageChannel. It is
// neither clamped like a nested setTimeout nor throttled in a background tab, and it needs no round
// trip to the worker.
const ticks: (() => void)[] = [];
let channel: MessageChannel | undefined;

/** Runs `f` at the next task, after the ones already queued. */
export function tick(f: () => void): void {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => ticks.shift()?.();
  }
  ticks.push(f);
  channel.port2.postMessage(null);
}

/** Whether timers run in the worker on this page. */
export function usesWorker(): boolean {
  return theWorker() !== null;
}

/** Runs `f` after `ms`, in the worker unless `mainThread`; returns the id for `cancel`. */
export function schedule(ms: number, mainThread: boolean, f: () => void): number {
  const id = next++;
  callbacks.set(id, f);
  // Browsers run a delay of 2^31 ms or more at once: cap it (the core finds nothing due, re-arms).
  const delay = Math.min(Math.max(0, ms), 2 ** 31 - 1);
  const w = mainThread ? null : theWorker();
  try {
    if (w) {
      w.postMessage([1, id, delay]);
      return id;
    }
  } catch {
    // The worker is gone: this thread's clock.
  }
  mainHandles.set(id, setTimeout(() => fire(id), delay));
  return id;
}

export function cancel(id: number): void {
  if (!callbacks.delete(id)) return;
  const h = mainHandles.get(id);
  if (h !== undefined) {
    mainHandles.delete(id);
    clearTimeout(h);
  } else {
    worker?.postMessage([0, id]);
  }
}

/**
 * The one real timer a connection needs, armed for the core's next deadline. A deadline that only
 * moves later (the keepalive, pushed back by every packet) re-arms nothing: the timer fires early,
 * the core finds nothing due, and the timer is armed again.
 */
export class DeadlineTimer {
  #armed: { id: number; at: number } | null = null;

  constructor(private readonly fire: () => void, private readonly mainThread: boolean) {}

  /** Arms the timer for `deadline` (−1: disarms it), unless it already fires no later. */
  sync(now: number, deadline: number): void {
    if (deadline < 0) return this.cancel();
    if (this.#armed && this.#armed.at <= deadline) return;
    this.cancel();
    const id = schedule(deadline - now, this.mainThread, () => {
      this.#armed = null;
      this.fire();
    });
    this.#armed = { id, at: deadline };
  }

  cancel(): void {
    if (this.#armed) cancel(this.#armed.id);
    this.#armed = null;
  }

  get armed(): boolean {
    return this.#armed !== null;
  }
}
