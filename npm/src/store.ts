// Unsent publishes kept in IndexedDB, so a reload or a crash loses none: every queued or in-flight
// message is written when published and deleted once the core says it is settled (`FORGET`).
import { iotError } from "./errors.js";

const STORE = "unsent";

export interface StoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  /** MQTT 5 properties in their wire form (`STORE`), empty when none; absent in older records. */
  properties?: Uint8Array;
  /** The shared session's host (src/session/durable.rs): the packet id of a QoS 2 message in
   *  flight, and whether its PUBREC came; the tab's request it was made for. */
  id?: number;
  released?: boolean;
  origin?: string;
}

const done = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const failed = (e: unknown) => iotError("PERSISTENCE_ERROR", `the message store (IndexedDB) failed: ${(e as Error)?.message ?? e}`);

export class MessageStore {
  #last: number;

  private constructor(readonly db: IDBDatabase, last: number) {
    this.#last = last;
  }

  static async open(name: string): Promise<MessageStore> {
    try {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      const db = await done(request);
      try {
        const keys = (await done(db.transaction(STORE, "readonly").objectStore(STORE).getAllKeys())) as number[];
        return new MessageStore(db, keys.reduce((a, k) => (typeof k === "number" && k > a ? k : a), 0));
      } catch (e) {
        db.close();
        throw e;
      }
    } catch (e) {
      throw failed(e);
    }
  }

  /** Keys grow, so messages restore oldest first; microseconds of the clock, so that two tabs
   *  sharing the store do not take the same key. */
  nextKey(): number {
    this.#last = Math.max(Date.now() * 1000, this.#last + 1);
    return this.#last;
  }

  async load(): Promise<[number, StoredMessage][]> {
    try {
      const store = this.db.transaction(STORE, "readonly").objectStore(STORE);
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      // Records another version or a damaged store left are skipped, not restored.
      return (keys as number[]).flatMap((k, i) => {
        const m = values[i] as StoredMessage;
        const ok = typeof k === "number" && typeof m?.topic === "string" && m.payload instanceof Uint8Array;
        return ok ? [[k, m] as [number, StoredMessage]] : [];
      });
    } catch (e) {
      throw failed(e);
    }
  }

  save(key: number, message: StoredMessage): void {
    this.#write((s) => s.put(message, key));
  }

  remove(key: number): void {
    this.#write((s) => s.delete(key));
  }

  count(): Promise<number> {
    return done(this.db.transaction(STORE, "readonly").objectStore(STORE).count());
  }

  close(): void {
    this.db.close();
  }

  #write(f: (s: IDBObjectStore) => void): void {
    try {
      f(this.db.transaction(STORE, "readwrite").objectStore(STORE));
    } catch {
      // A closed database: the page is going away or the client was closed.
    }
  }
}

/** Writes a QoS 2 message's packet id and stage into its record (the shared session's host,
 *  src/session/durable.rs); resolves once the transaction committed, for the core sends its
 *  PUBLISH or PUBREL only then (IndexedDB's default durability: what a closed tab or a crashed
 *  page committed is kept; an operating system crash may lose the last writes). Rejects when the
 *  record is missing (its own write failed). A function, not a method: the entries without it
 *  leave it out. */
export function writeStage(store: MessageStore, key: number, id: number, released: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const tx = store.db.transaction(STORE, "readwrite");
    const records = tx.objectStore(STORE);
    const read = records.get(key);
    read.onsuccess = () => {
      const m = read.result as StoredMessage | undefined;
      if (m) records.put({ ...m, id, released }, key);
      else tx.abort();
    };
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(failed(tx.error ?? new Error(`the record of message ${key} is missing`)));
  });
}
