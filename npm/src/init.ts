// Loading an entry's wasm core: `init()` once in the web build; the bundler build loads it with the
// module. Every entry exports this as its default.
import * as core from "#core";

type WasmInit = (input?: unknown) => Promise<unknown>;

/**
 * Loads the wasm core. The web build needs it once before anything else (`input`: where the
 * `.wasm` is, by default next to this file); the bundler build loads it with the module, and
 * calling `init()` there does nothing.
 */
export default async function init(input?: unknown): Promise<void> {
  const load = (core as unknown as { default?: WasmInit }).default;
  if (typeof load === "function") await load(input === undefined ? undefined : { module_or_path: input });
}
