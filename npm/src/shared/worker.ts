// The `iotmqtt/shared` entry's SharedWorker (`shared-worker.js`): each client's port is a link to
// the host (`host.ts`). In a page without SharedWorker, the page imports this module for `lead`.
import { link } from "./host.js";

export { lead } from "./leader.js";

(globalThis as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e) => {
  const port = e.ports[0];
  const receive = link({ send: (reply) => port.postMessage(reply), close: () => port.close() });
  port.onmessage = (m) => receive(m.data);
};
