// The host in a page, where SharedWorker is missing (some mobile browsers): the tabs of the origin
// elect one leader with the Web Locks API; it runs the host (`host.ts`), and every client, its own
// too, reaches it over a BroadcastChannel. When the leader's page goes away its lock is free, the
// next tab in line leads, and its greeting makes every client join again and repeat what is
// still unanswered (`index.ts`).
import { hostInPage, link } from "./host.js";
import type { Envelope, Request } from "./wire.js";

/** Asks to lead `name`'s sessions: once this page holds the lock, it hosts them while it lives. */
export function lead(name: string): void {
  hostInPage();
  void navigator.locks.request(`iotmqtt-leader-${name}`, () => {
    const channel = new BroadcastChannel(`iotmqtt-shared-${name}`);
    const links = new Map<string, (r: Request) => void>();
    channel.onmessage = (m: MessageEvent<Envelope>) => {
      const e = m.data;
      if (!("from" in e)) return;
      let receive = links.get(e.from);
      if (!receive) {
        const to = e.from;
        const forget = () => links.delete(to);
        receive = link({ send: (reply) => channel.postMessage({ to, reply }), close: forget, left: forget });
        links.set(to, receive);
      }
      receive(e.request);
    };
    channel.postMessage({ hello: true } satisfies Envelope);
    return new Promise<never>(() => {});
  });
}
