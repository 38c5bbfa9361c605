// Injected by esbuild into the mqtt-packet bundle: the Node globals its dependencies expect.
export { Buffer } from "buffer";
export const process = { env: {}, browser: true, version: "", versions: {}, nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)) };
