// What the test mosquitto saw of one client id, read from its log (tests/harness/broker.py logs
// connections, SUBSCRIBEs and UNSUBSCRIBEs by client id): the shared session's tests count there.
import { readFileSync } from "node:fs";

/** The connections, SUBSCRIBEd and UNSUBSCRIBEd filters, and disconnects of `clientId` in `log`. */
export function brokerSaw(log, clientId) {
  const lines = readFileSync(log, "utf8").split("\n").map((l) => l.replace(/^\d+: /, ""));
  return {
    connections: lines.filter((l) => l.startsWith("New client connected") && l.includes(` as ${clientId} `)).length,
    subscribes: lines.filter((l) => l.startsWith(`${clientId} `) && /^\S+ \d \S+$/.test(l)).map((l) => l.split(" ")[2]),
    unsubscribes: lines.filter((l) => l.startsWith(`${clientId} `) && /^\S+ \S+$/.test(l)).map((l) => l.split(" ")[1]),
    disconnects: lines.filter((l) => l.startsWith(`Client ${clientId} `) && /disconnected|closed its connection/.test(l)).length,
  };
}
