// A minimal MQTT 3.1.1 publisher over TCP for load: CONNECT with user name and password, then
// QoS 0 PUBLISHes at a fixed rate. Independent of the code under test on purpose.
import { connect as tcpConnect } from 'node:net';

const str = (s) => { const b = Buffer.from(s, 'utf8'); const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return Buffer.concat([l, b]); };
const varint = (n) => { const out = []; do { let d = n % 128; n = Math.floor(n / 128); if (n > 0) d |= 0x80; out.push(d); } while (n > 0); return Buffer.from(out); };
const packet = (type, body) => Buffer.concat([Buffer.from([type]), varint(body.length), body]);

export async function mqttConnect({ host = '127.0.0.1', port, username, password, clientId = `bench-${process.pid}` }) {
  const socket = tcpConnect({ host, port });
  socket.setNoDelay(true);
  await new Promise((ok, fail) => { socket.once('connect', ok); socket.once('error', fail); });
  const flags = 0x02 | (username ? 0x80 : 0) | (password ? 0x40 : 0);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 0]), str(clientId),
    ...(username ? [str(username)] : []), ...(password ? [str(password)] : [])]);
  socket.write(packet(0x10, body));
  const ack = await new Promise((ok, fail) => { socket.once('data', ok); socket.once('error', fail); });
  if (ack[0] !== 0x20 || ack[3] !== 0) throw new Error(`CONNACK refused: ${ack.toString('hex')}`);
  return {
    publish(topic, payload, { retain = false } = {}) {
      return socket.write(packet(retain ? 0x31 : 0x30, Buffer.concat([str(topic), Buffer.from(payload)])));
    },
    close() { socket.end(packet(0xe0, Buffer.alloc(0))); },
  };
}

/** Publishes `rate` messages per second for `seconds` on `topic`, JSON `{"value","seq"}`. */
export async function publishAtRate(client, { topic, rate, seconds }) {
  const tickMs = 10;
  const perTick = rate * tickMs / 1000;
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (sent < due) {
      const value = Math.round(Math.sin(sent / 200) * 1000) / 10;
      client.publish(topic, JSON.stringify({ value, seq: sent, note: 'bench' }));
      sent++;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  void perTick;
  return sent;
}
