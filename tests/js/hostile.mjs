// A WebSocket server on loopback that answers an MQTT client's CONNECT with what a broker must not
// send, chosen by the URL's path. It records the binary messages each connection sent, so a test can
// check what the client said before it closed (an MQTT 5 DISCONNECT and its reason code).
//   /text   a text frame (MQTT over WebSocket is binary only: MQTT 5.0 §6, MQTT-6.0.0-1)
//   /http   "HTTP/1.1 400 Bad Request": a first byte that starts no MQTT packet
//   /huge   a PUBLISH header announcing 256 MiB, and nothing after it
//   /silent an MQTT 5 CONNACK that accepts, then nothing: no publish is ever acknowledged
//   /aliases an MQTT 5 CONNACK, then PUBLISHes with Topic Aliases: "x/y" set as alias 1, alias 1 alone,
//           and alias 3, which a client that announced Topic Alias Maximum 2 never allowed
//   /words  an MQTT 5 CONNACK that accepts, then DISCONNECT 0x98 with the Reason String "maintenance"
//           and the User Properties shift=night, shift=day
//   /auth   MQTT 5 enhanced authentication with the method "DEMO" (§4.12), a broker's side of a
//           challenge and response: CONNECT with data "c1" gets AUTH 0x18 "s1", and AUTH 0x18 "c2"
//           gets CONNACK 0x00 "ok" (any other answer: CONNACK 0x87). Re-authentication: AUTH 0x19
//           "r1" gets AUTH 0x18 "s2", and AUTH 0x18 "r2" gets AUTH 0x00 "ok2" (any other: DISCONNECT
//           0x87). PINGREQ gets PINGRESP.
//   /retained an MQTT 3.1.1 broker that packs packets into one WebSocket message, as a broker may: a
//           SUBSCRIBE gets its SUBACK (QoS 0), the retained message "kept" on r/1 (RETAIN set) and a
//           live "live" on r/live, all in one binary message. PINGREQ gets PINGRESP.
// Run as a program (`node tests/js/hostile.mjs --ready-file F`), it serves until killed and writes
// {"port": N} to F once it listens: the browser tests' peer.
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
  "/words": [0x82, Buffer.concat([
    Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]),
    Buffer.from([0xe0, 44, 0x98, 42, 0x1f, 0, 11]), Buffer.from("maintenance"),
    Buffer.from([0x26, 0, 5]), Buffer.from("shift"), Buffer.from([0, 5]), Buffer.from("night"),
    Buffer.from([0x26, 0, 5]), Buffer.from("shift"), Buffer.from([0, 3]), Buffer.from("day"),
  ])],
};

/** Starts the server; `received[path]` lists the binary messages clients sent on that path. */
export async function hostileServer() {
  const received = {};
  const server = createServer((_, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket) => {
    const path = new URL(req.url, "http://x").pathname;
    const answer = ANSWERS[path];
    if (!answer && path !== "/auth" && path !== "/retained") return socket.destroy();
    const accept = createHash("sha1")
      .update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`);
    const messages = (received[path] ??= []);
    let buffer = Buffer.alloc(0), answered = false;
    const send = (bytes) => socket.write(serverFrame(bytes));
    const exchange = path === "/auth" ? authExchange(send) : path === "/retained" ? retainedExchange(send) : null;
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let frame; (frame = readFrame(buffer)); buffer = buffer.subarray(frame.used)) {
        if (frame.opcode === 0x2) messages.push([...frame.payload]);
        if (frame.opcode === 0x2 && exchange) {
          if (!exchange(frame.payload)) socket.end();
          continue;
        }
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

/** An unmasked binary frame from the server, with a payload under 126 bytes. */
function serverFrame(payload) {
  return Buffer.concat([Buffer.from([0x82, payload.length]), payload]);
}

const DEMO = Buffer.from("DEMO");

/** The Authentication Method "DEMO" and `data`, as properties with their length (under 128 bytes). */
function authProperties(data) {
  const d = Buffer.from(data);
  const p = Buffer.concat([Buffer.from([0x15, 0, 4]), DEMO, Buffer.from([0x16, 0, d.length]), d]);
  return Buffer.concat([Buffer.from([p.length]), p]);
}

/** An MQTT 5 packet: `first`, the Remaining Length (under 128) and `body`. */
function packet(first, body) {
  return Buffer.concat([Buffer.from([first, body.length]), body]);
}

/** The Authentication Method and Data among the properties at `at` (a varint length under 128). */
function readAuthProperties(b, at) {
  const end = at + 1 + b[at];
  let method = null, data = null;
  for (let i = at + 1; i < end;) {
    const id = b[i++];
    const two = () => b.readUInt16BE(i);
    if (id === 0x15 || id === 0x16) {
      const value = b.subarray(i + 2, i + 2 + two());
      if (id === 0x15) method = value.toString(); else data = value.toString();
      i += 2 + value.length;
    } else if (id === 0x27 || id === 0x11) i += 4;
    else if (id === 0x22 || id === 0x21) i += 2;
    else if (id === 0x17 || id === 0x19) i += 1;
    else return { method: null, data: null };
  }
  return { method, data };
}

/** The MQTT packets of one binary message (each with a Remaining Length under 128): their type and body. */
function* packets(message) {
  for (let at = 0; at < message.length;) {
    const [first, len] = [message[at], message[at + 1]];
    yield { kind: first >> 4, body: message.subarray(at + 2, at + 2 + len) };
    at += 2 + len;
  }
}

/**
 * The broker's side of the "DEMO" exchange on one connection: takes each binary message (whole
 * MQTT packets) and answers through `send`; returns false when the connection should close.
 */
function authExchange(send) {
  let phase = "connect";
  return (message) => {
    for (const { kind, body } of packets(message)) {
      if (kind === 12) { send(Buffer.from([0xd0, 0])); continue; }
      if (kind === 14) return false;
      // CONNECT: the properties follow the protocol name, level, flags and keepalive (10 bytes).
      const { method, data } = kind === 1 ? readAuthProperties(body, 10)
        : kind === 15 ? readAuthProperties(body, 1) : { method: null, data: null };
      const code = kind === 15 ? body[0] : null;
      if (method !== "DEMO") return false;
      if (phase === "connect" && kind === 1 && data === "c1") {
        send(packet(0xf0, Buffer.concat([Buffer.from([0x18]), authProperties("s1")])));
        phase = "challenged";
      } else if (phase === "challenged" && code === 0x18) {
        const ok = data === "c2";
        send(packet(0x20, Buffer.concat([Buffer.from([0, ok ? 0 : 0x87]), ok ? authProperties("ok") : Buffer.from([0])])));
        if (!ok) return false;
        phase = "up";
      } else if (phase === "up" && code === 0x19 && data === "r1") {
        send(packet(0xf0, Buffer.concat([Buffer.from([0x18]), authProperties("s2")])));
        phase = "rechallenged";
      } else if (phase === "rechallenged" && code === 0x18 && data === "r2") {
        send(packet(0xf0, Buffer.concat([Buffer.from([0x00]), authProperties("ok2")])));
        phase = "up";
      } else {
        send(Buffer.from([0xe0, 1, 0x87]));
        return false;
      }
    }
    return true;
  };
}

/** `/retained`: each SUBSCRIBE's SUBACK, a retained and a live PUBLISH, in one binary message. */
function retainedExchange(send) {
  const publish = (first, topic, text) =>
    packet(first, Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from(text)]));
  return (message) => {
    for (const { kind, body } of packets(message)) {
      if (kind === 1) send(Buffer.from([0x20, 2, 0, 0]));
      else if (kind === 8) {
        send(Buffer.concat([packet(0x90, Buffer.from([body[0], body[1], 0])), publish(0x31, "r/1", "kept"), publish(0x30, "r/live", "live")]));
      } else if (kind === 12) send(Buffer.from([0xd0, 0]));
      else if (kind === 14) return false;
    }
    return true;
  };
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf("--ready-file");
  const { url } = await hostileServer();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[at + 1], JSON.stringify({ port: Number(new URL(url).port) }));
}
