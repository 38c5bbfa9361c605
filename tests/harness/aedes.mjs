// aedes (npm), a second MQTT broker implementation after mosquitto, served over WebSocket on a free
// loopback port the way its README shows (ws's WebSocketServer, each socket a stream for
// `aedes.handle`). aedes speaks MQTT 3.1.1 (and 3.1); it answers an MQTT 5 CONNECT with return code 1.
import { createServer } from "node:http";
import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";

/** Starts aedes; `url` is its WebSocket endpoint, `close()` stops it and its clients. */
export async function aedesServer() {
  const broker = await Aedes.createBroker();
  const http = createServer((_, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: "/mqtt" });
  wss.on("connection", (socket) => broker.handle(createWebSocketStream(socket)));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
    await new Promise((resolve) => broker.close(resolve));
  };
  return { url: `ws://127.0.0.1:${http.address().port}/mqtt`, broker, close };
}
