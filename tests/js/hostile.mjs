// A WebSocket server on loopback that answers an MQTT client's CONNECT with what a broker must not
// send, chosen by the URL's path. It records the binary messages each connection sent, so a test can
// check what the client said before it closed (an MQTT 5 DISCONNECT and its reason code).
//   /text   a text frame (MQTT over WebSocket is binary only: MQTT 5.0 §6, MQTT-6.0.0-1)
//   /http   "HTTP/1.1 400 Bad Request": a first byte that starts no MQTT packet
//   /huge   a PUBLISH header announcing 256 MiB, and nothing after it
//   /silent an MQTT 5 CONNACK that accepts, then nothing: no publish is ever acknowledged
//   /aliases an MQTT 5 CONNACK, then PUBLISHes with Topic Aliases: "x/y" set as alias 1, alias 1 alone,
//           and alias 3, which a client that announced Topic Alias Maximum 2 never allowed
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const ANSWERS = {
  "/text": [0x81, Buffer.from("hello")],
  "/http": [0x82, Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n")],
  "/huge": [0x82, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])],
  "/silent": [0x82, Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])],
  "/aliases": [0x82, Buffer.from([
    0x20, 0x03, 0x00, 0x00, 0x00,
    0x30, 0x0a, 0x00, 0x03, 0x78, 0x2f, 0x79, 0x03, 0x23, 0x00, 0x01, 0x61, // "x/y", alias 1: "a"
    0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 0x62, // alias 1 alone: "b"
    0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x03, 0x63, // alias 3: never allowed
  ])],
};

/** Starts the server; `received[path]` lists the binary messages clients sent on that path. */
export async function hostileServer() {
  const received = {};
  const server = createServer((_, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket) => {
    const path = new URL(req.url, "http://x").pathname;
    const answer = ANSWERS[path];
    if (!answer) return socket.destroy();
    const accept = createHash("sha1")
      .update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`);
    const messages = (received[path] ??= []);
    let buffer = Buffer.alloc(0), answered = false;
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let frame; (frame = readFrame(buffer)); buffer = buffer.subarray(frame.used)) {
        if (frame.opcode === 0x2) messages.push([...frame.payload]);
        // The client's CONNECT: answer it, once per connection.
        if (frame.opcode === 0x2 && !answered) {
          answered = true;
          const [first, payload] = answer;
          socket.write(Buffer.concat([Buffer.from([first, payload.length]), payload]));
        }
        if (frame.opcode === 0x8) socket.end();
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `ws://127.0.0.1:${server.address().port}`, received, close: () => server.close() };
}

/** One masked client frame with a payload under 64 KiB, or null while it is incomplete. */
function readFrame(b) {
  if (b.length < 2) return null;
  let len = b[1] & 0x7f, at = 2;
  if (len === 126) {
    if (b.length < 4) return null;
    len = b.readUInt16BE(2);
    at = 4;
  }
  if (b.length < at + 4 + len) return null;
  const mask = b.subarray(at, at + 4);
  const payload = Buffer.from(b.subarray(at + 4, at + 4 + len)).map((x, i) => x ^ mask[i % 4]);
  return { opcode: b[0] & 0x0f, payload, used: at + 4 + len };
}
