// Reads the batches the wasm core returns (src/batch/mod.rs has the layout): the next deadline,
// then records. Payloads are views into the batch, which is the shell's own copy.
import { coded, type IotMqttError } from "./errors.js";

const utf8 = new TextDecoder();

export class Batch {
  readonly deadline: number;
  #view: DataView;
  #bytes: Uint8Array;
  #at = 8;

  constructor(bytes: Uint8Array, headless = false) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.deadline = headless ? -1 : this.#view.getFloat64(0, true);
    if (headless) this.#at = 0;
  }

  more(): boolean {
    return this.#at < this.#bytes.length;
  }

  u8(): number {
    return this.#bytes[this.#at++];
  }

  bool(): boolean {
    return this.u8() !== 0;
  }

  u16(): number {
    const v = this.#view.getUint16(this.#at, true);
    this.#at += 2;
    return v;
  }

  u32(): number {
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }

  f64(): number {
    const v = this.#view.getFloat64(this.#at, true);
    this.#at += 8;
    return v;
  }

  opt(): number | undefined {
    return this.bool() ? this.f64() : undefined;
  }

  bytes(): Uint8Array {
    const n = this.u32();
    const v = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return v;
  }

  str(): string {
    return utf8.decode(this.bytes());
  }

  error(): IotMqttError {
    const n = this.u8();
    let code = "";
    for (let i = 0; i < n; i++) code += String.fromCharCode(this.u8());
    const args: (string | number)[] = [];
    for (let count = this.u8(); count > 0; count--) args.push(this.u8() === 0 ? this.str() : this.f64());
    return coded(code, args);
  }
}

/** What the core threw: an error record in a `Uint8Array`, or an `Error` its option readers made. */
export function thrownError(e: unknown): unknown {
  return e instanceof Uint8Array ? new Batch(e, true).error() : e;
}

/** Calls into the core, turning a thrown error record into an `IotMqttError`. */
export function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw thrownError(e);
  }
}
