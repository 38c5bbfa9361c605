// Unsent publishes kept in IndexedDB, so a reload or a crash loses none: every queued or in-flight
// message is written when published and deleted once the core says it is settled (`FORGET`).
import { iotError } from "./errors.js";

const STORE = "unsent";

export interface StoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
}

const done = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const failed = (e: unknown) => iotError("PERSISTENCE_ERROR", `the message store (IndexedDB) failed: ${(e as Error)?.message ?? e}`);

export class MessageStore {
  #next: number;

  private constructor(private readonly db: IDBDatabase, last: number) {
    this.#next = Math.max(Date.now(), last + 1);
  }

  static async open(name: string): Promise<MessageStore> {
    try {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      const db = await done(request);
      const keys = (await done(db.transaction(STORE, "readonly").objectStore(STORE).getAllKeys())) as number[];
      return new MessageStore(db, keys.length ? Math.max(...keys) : 0);
    } catch (e) {
      throw failed(e);
    }
  }

  /** Keys grow, so messages restore oldest first. */
  nextKey(): number {
    return this.#next++;
  }

  async load(): Promise<[number, StoredMessage][]> {
    try {
      const store = this.db.transaction(STORE, "readonly").objectStore(STORE);
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      return (keys as number[]).map((k, i) => [k, values[i] as StoredMessage]);
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
