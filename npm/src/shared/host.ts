// The host of the shared sessions: one MQTT connection per session (URL, client id and credentials)
// for every client of the origin that asks for it, in the SharedWorker (`worker.ts`) or in the tab
// elected leader (`leader.ts`). It only carries things between the clients' links and one
// `MqttClient`; `SharedCore` (src/js/shared.rs, src/shared/) decides who joins, which SUBSCRIBE and
// UNSUBSCRIBE the broker gets, and which client gets which message.
import { ClientCore, SharedCore } from "#shared";
import { call } from "../batch.js";
import { MqttClient, platformClient } from "../client.js";
import { addMessages, iotError } from "../errors.js";
import init from "../init.js";
import type { ConnAck, Login, MqttMessage, QoS, SubscribeOptions } from "../types.js";
import { messageToWire, stateToWire, toWire, type Reply, type Request } from "./wire.js";

/** How the host answers one client: a SharedWorker port, or the leader's BroadcastChannel.
 *  `close` ends a client the host refused; `left` tells the link that its client left (it may
 *  join again, after a `disconnect()`). */
export type Outbound = { send(reply: Reply): void; close(): void; left?(): void };

type Tab = {
  id: number;
  /** Its page has a credentials callback, which the session asks before each connect. */
  credentials: boolean;
  /** Its page has an MQTT 5 authenticator, which the session asks each challenge's answer. */
  authenticator: boolean;
  /** The lock its page holds while it lives: the page's own name, kept across leaders. */
  lock: string;
  port: Outbound;
  session: Session;
  /** The tab's subscribes waiting for a SUBACK, by filter: their request ids. */
  waiting: Map<string, number[]>;
  /** The tab's `onMessage` routes: its number for each, and how to remove it. */
  routes: Map<number, () => void>;
  /** The tab's requests for a turn on a topic not yet its own, by topic: their ids, in order. */
  turns: Map<string, number[]>;
  left: boolean;
};

type Session = {
  core: SharedCore;
  client: MqttClient;
  tabs: Map<number, Tab>;
  connecting: Promise<ConnAck> | null;
  /** The tabs' routes the message being delivered matched (routes run before message listeners). */
  matched: Map<number, number[]>;
  /** The session's questions to a tab's callback, by number: whom, the broker's challenge for an
   *  authenticator (`undefined`: the credentials callback), and its answer. */
  asking: Map<number, Asking>;
  /** The origin's one connection for this URL and client id, held while the session lives (`claim`). */
  claim?: Promise<void>;
  release?: () => void;
};

type Asking = {
  tab: number;
  challenge: Uint8Array | null | undefined;
  resolve: (answer: Login | Uint8Array) => void;
  reject: (e: unknown) => void;
  answered: Promise<Login | Uint8Array>;
};

const sessions: Session[] = [];
/** Whether a leader tab hosts (`leader.ts`) rather than a SharedWorker: its page may go away and
 *  hand the sessions over, so it refuses one the broker keeps unless its client keeps a store
 *  (`SharedSession::for_leader`), and it names each publish by the tab's request in the store. */
let leading = false;

export function hostInPage(): void {
  leading = true;
}
const ready = init();

/** A client's link to the host: returns what takes each of its requests. A request this host is
 *  still doing is not done twice (a client that joined just before the leader's greeting repeats
 *  what is unanswered); an answered one leaves the set, which so stays as small as the work. */
export function link(raw: Outbound): (r: Request) => void {
  let tab: Tab | null = null;
  const seen = new Set<number>();
  const out: Outbound = {
    send: (reply) => {
      if ("id" in reply) seen.delete(reply.id);
      raw.send(reply);
    },
    close: () => raw.close(),
    left: () => raw.left?.(),
  };
  return (r) =>
    void ready.then(() => {
      if (r.op === "join") {
        if (tab && !tab.left) return send(out, joined(tab));
        tab = join(out, r);
        return;
      }
      // A request from a client not (or no longer) in a session is not taken, nor marked seen:
      // its client repeats it once it has joined this host (a leader's greeting).
      if (!tab || tab.left) return;
      if ("id" in r) {
        if (seen.has(r.id)) return;
        seen.add(r.id);
      }
      handle(tab, r);
    });
}

// The words of `SharedError` (src/shared/mod.rs).
addMessages({
  SHARED_OPTIONS_DIFFER: (a) => a.length > 1
    ? `this tab subscribes to ${a[1]} with another ${a[0]} than the tabs already subscribed to it`
    : `this tab asks for the shared session with another ${a[0]} than the tabs already in it`,
  SHARED_UNKNOWN_TAB: (a) => `no tab ${a[0]} is in the shared session`,
  SHARED_OUTLIVES_LEADER: () =>
    "a session the broker keeps (cleanStart false) is shared without SharedWorker only with persistence: the tab that hosts it hands its QoS 2 messages in flight to the next through the store",
});

function send(port: Outbound, reply: Reply): void {
  port.send(reply);
}

function joined({ id, session: s }: Tab): Reply {
  return { op: "joined", clientId: s.client.clientId, state: stateToWire(s.client.state), tabs: s.core.tabs(), tab: id };
}

function broadcast(s: Session, reply: Reply): void {
  for (const t of s.tabs.values()) send(t.port, reply);
}

function join(port: Outbound, { url, options, lock, credentials, authenticator }: Extract<Request, { op: "join" }>): Tab | null {
  try {
    let s = sessions.find((s) => s.core.names(url, options));
    if (!s) {
      const core = call(() => new SharedCore(url, options, leading, authenticator));
      // A credentials callback and an authenticator are a tab's: the core asks the session's, which
      // ask a tab (`question`).
      const client = platformClient(url, (seed, defer) => new ClientCore(url, options, seed, defer), {
        credentials: () => question(session, undefined) as Promise<Login>,
        authenticator: (challenge) => question(session, challenge) as Promise<Uint8Array>,
      });
      s = { core, client, tabs: new Map(), connecting: null, matched: new Map(), asking: new Map() };
      const session = s;
      client.on("state", (state) => {
        // A connection up again subscribes to every filter anew (src/session/resubscribe.rs).
        if (state.type === "connected") session.core.restored();
        broadcast(session, { op: "state", state: stateToWire(state) });
      });
      client.on("message", (m) => deliver(session, m));
      // A state's error reaches the tabs with the state; the store's failures (a packet id that
      // could not be written, src/session/durable.rs) only this way.
      client.on("error", (e) => e.code === "PERSISTENCE_ERROR" && broadcast(session, { op: "error", error: toWire(e) }));
      sessions.push(s);
    }
    const session = s;
    const id = call(() => session.core.join(url, options, authenticator));
    const tab: Tab = { id, credentials, authenticator, lock, port, session, waiting: new Map(), routes: new Map(), turns: new Map(), left: false };
    s.tabs.set(id, tab);
    send(port, joined(tab));
    broadcast(s, { op: "tabs", tabs: s.core.tabs() });
    // The tab holds this lock while its page lives: granted here once it is gone.
    void navigator.locks.request(lock, () => leave(tab));
    return tab;
  } catch (e) {
    send(port, { op: "refused", error: toWire(e) });
    port.close();
    return null;
  }
}

const NO_IDENTIFIERS = new Uint32Array(0);

function deliver(s: Session, m: MqttMessage): void {
  const { topic, payload, qos, retain, dup } = m;
  let properties = m.properties, identifiers = NO_IDENTIFIERS;
  if (properties?.subscriptionIdentifiers) {
    // The Subscription Identifiers are the session's, one per filter (`subscribe`): no tab's.
    const { subscriptionIdentifiers, ...rest } = properties;
    identifiers = Uint32Array.from(subscriptionIdentifiers);
    properties = Object.keys(rest).length ? rest : undefined;
  }
  // Each tab, how many Subscription Identifiers of its own the copy carries to it, and those.
  const list = s.core.message_tabs(topic, identifiers, retain);
  for (let i = 0; i < list.length;) {
    const tab = s.tabs.get(list[i]), n = list[i + 1];
    const own = n ? { ...properties, subscriptionIdentifiers: [...list.subarray(i + 2, i + 2 + n)] } : properties;
    i += 2 + n;
    if (tab) send(tab.port, { op: "message", message: { topic, payload, qos, retain, dup, properties: own }, routes: s.matched.get(tab.id) ?? [] });
  }
  s.matched.clear();
}

function answer(tab: Tab, id: number, work: Promise<unknown>): void {
  work.then(
    (value) => tab.left || send(tab.port, { op: "done", id, value }),
    (e) => tab.left || send(tab.port, { op: "failed", id, error: toWire(e) }),
  );
}

function handle(tab: Tab, r: Request): void {
  const s = tab.session;
  switch (r.op) {
    case "connect":
      return answer(tab, r.id, connect(s));
    case "publish":
      // A leader's store names the tab's request, so that the next leader, which restores the
      // message, answers the request repeated to it instead of publishing a second message.
      return answer(tab, r.id, leading ? s.client.publishAs(`${tab.lock}#${r.id}`, r.topic, r.payload, r.options)
        : s.client.publish(r.topic, r.payload, r.options));
    case "request":
      // MQTT 5 request/response on the session's client: its response topic is the session's, and
      // the correlation data tells each tab's reply from the others'.
      return answer(tab, r.id, s.client.request(r.topic, r.payload, r.options).then(messageToWire));
    case "subscribe":
      return subscribe(tab, r.id, r.filter, r.options);
    case "unsubscribe":
      return answer(tab, r.id, unsubscribe(tab, r.filters));
    case "route": {
      const route = r.route;
      const off = s.client.onMessage(r.filter, () => s.matched.set(tab.id, [...(s.matched.get(tab.id) ?? []), route]));
      tab.routes.set(route, off);
      return;
    }
    case "unroute":
      tab.routes.get(r.route)?.();
      tab.routes.delete(r.route);
      return;
    case "lease":
      return lease(tab, r.id, r.topic);
    case "release": {
      // A place in the queue given back had a request waiting; a turn held had none.
      if (s.core.turn(false, 0, r.topic) !== tab.id) tab.turns.get(r.topic)?.shift();
      return turn(s, s.core.turn(false, tab.id, r.topic), r.topic);
    }
    case "holder":
      return send(tab.port, { op: "done", id: r.id, value: s.core.turn(false, 0, r.topic) });
    case "answer": {
      const asked = s.asking.get(r.ask);
      if (asked?.tab !== tab.id) return;
      s.asking.delete(r.ask);
      if (r.error !== undefined) return asked.reject(new Error(r.error));
      return asked.resolve(asked.challenge === undefined ? r.login as Login : r.data ?? new Uint8Array(0));
    }
    case "reauthenticate":
      return answer(tab, r.id, s.client.reauthenticate(r.data));
    case "close":
      return leave(tab);
  }
}

/** The questions' numbers, from a random start: a late answer to a former leader's question does not
 *  settle this host's question of the same number. */
let asked = Math.floor(Math.random() * 2 ** 30);

/** The session's credentials callback (`challenge` undefined) or authenticator: asks the first tab
 *  that has one (they all have, or none: `SharedSession::join_with`), and the next when that tab
 *  leaves before it answers. */
function question(s: Session, challenge: Uint8Array | null | undefined): Promise<Login | Uint8Array> {
  // A credentials question still open (its attempt timed out) answers the next attempt, as a late
  // answer of a page's own callback does: the tab's callback is not called twice at once.
  for (const open of s.asking.values()) if (challenge === undefined && open.challenge === undefined) return open.answered;
  // Otherwise what is still open is for an exchange that has ended: dropped, not settled (the core
  // takes a credentials answer for whichever attempt waits, and a failure would end the new one),
  // so that a tab that leaves passes on one question, not every one it left.
  s.asking.clear();
  const id = ++asked;
  const asking = { tab: 0, challenge } as Asking;
  asking.answered = new Promise((resolve, reject) => Object.assign(asking, { resolve, reject }));
  s.asking.set(id, asking);
  ask(s, id);
  return asking.answered;
}

function ask(s: Session, id: number): void {
  const asking = s.asking.get(id)!;
  const credentials = asking.challenge === undefined;
  const tab = [...s.tabs.values()].find((t) => credentials ? t.credentials : t.authenticator);
  if (!tab) {
    s.asking.delete(id);
    return asking.reject(new Error(`no tab in the session has ${credentials ? "a credentials callback" : "an authenticator"}`));
  }
  asking.tab = tab.id;
  send(tab.port, credentials ? { op: "ask", ask: id } : { op: "ask", ask: id, challenge: asking.challenge });
}

/** A tab asks for a turn on `topic` (src/shared/lease.rs): answered now, or when its turn comes. */
function lease(tab: Tab, id: number, topic: string): void {
  let now: number;
  try {
    now = call(() => tab.session.core.turn(true, tab.id, topic));
  } catch (e) {
    return send(tab.port, { op: "failed", id, error: toWire(e) });
  }
  if (now) return send(tab.port, { op: "done", id });
  tab.turns.set(topic, [...(tab.turns.get(topic) ?? []), id]);
}

/** It is tab `id`'s turn on `topic` now (0: nobody's, or no change): its request for it is answered. */
function turn(s: Session, id: number, topic: string): void {
  const tab = s.tabs.get(id);
  if (!tab) return;
  const asked = tab.turns.get(topic)?.shift();
  // A turn no request of the tab's waits for goes on at once, so that no topic stays taken.
  if (asked === undefined) return turn(s, s.core.turn(false, id, topic), topic);
  send(tab.port, { op: "done", id: asked });
}

/** One CONNECT for every tab that asks: the CONNACK of the connection up, or of the one on its way. */
function connect(s: Session): Promise<ConnAck> {
  const state = s.client.state;
  if (state.type === "connected") return Promise.resolve(state.connack);
  s.connecting ??= claim(s).then(() => s.client.connect()).finally(() => (s.connecting = null));
  return s.connecting;
}

/** The session's URL and client id for this origin: a Web Lock the session holds while it lives.
 *  Another host of the origin holding it (a session under another `shared` name, or one with
 *  `authentication` where this one has none) would open a second connection with the client id,
 *  and the broker would hand the session from one to the other in a loop: refused instead, until
 *  that session ends. */
function claim(s: Session): Promise<void> {
  s.claim ??= new Promise<void>((claimed, refused) => {
    void navigator.locks.request(`iotmqtt-client-${s.client.url}#${s.client.clientId}`, { ifAvailable: true }, (lock) => {
      if (!lock) {
        s.claim = undefined;
        return refused(iotError("SHARED_OPTIONS_DIFFER", "another shared session of this origin (another `shared` or `authentication`) has this client id", "shared"));
      }
      claimed();
      return new Promise<void>((release) => (s.release = release));
    });
  });
  return s.claim;
}

function subscribe(tab: Tab, id: number, filter: string, options: Uint8Array): void {
  const s = tab.session;
  let answer: number;
  try {
    answer = call(() => s.core.subscribe(tab.id, filter, options));
  } catch (e) {
    return send(tab.port, { op: "failed", id, error: toWire(e) });
  }
  // The low byte says what to do; the next, the SUBSCRIBE's options beyond QoS (MQTT 5).
  const next = answer & 0xff, flags = answer >> 8;
  if (next >= 3 && next <= 5) return send(tab.port, { op: "done", id, value: next - 3 });
  tab.waiting.set(filter, [...(tab.waiting.get(filter) ?? []), id]);
  if (next === 6) return;
  // The SUBACK answers the subscribes this SUBSCRIBE was for: a tab once per subscribe, oldest first.
  const answered = (granted: number, error?: unknown) => {
    for (const t of s.core.subscribed(filter, granted)) {
      const waiting = s.tabs.get(t);
      const ids = waiting?.waiting.get(filter);
      const w = ids?.shift();
      if (w === undefined) continue;
      if (!ids!.length) waiting!.waiting.delete(filter);
      send(waiting!.port, error === undefined ? { op: "done", id: w, value: granted } : { op: "failed", id: w, error: toWire(error) });
    }
  };
  // On MQTT 5 each filter's own Subscription Identifier, by which `deliver` tells apart the copies a
  // broker sends per subscription.
  const state = s.client.state;
  const identifier = s.core.identifier(filter, state.type !== "connected" || state.connack.subscriptionIdentifiersAvailable !== false);
  const sent: SubscribeOptions = { qos: next as QoS };
  if (identifier) sent.subscriptionIdentifier = identifier;
  if (flags & 4) sent.noLocal = true;
  if (flags & 8) sent.retainAsPublished = true;
  if (flags >> 4) sent.retainHandling = (flags >> 4) as 1 | 2;
  // The SUBACK in its place among the messages, so that the retained messages sent for this
  // SUBSCRIBE, which come after it, go to the tabs it was for (`SharedCore::message_tabs`); a
  // failure without a SUBACK (the connection lost, say) through the promise.
  let acked = false;
  s.client.subscribe(filter, sent, ([r]) => {
    acked = true;
    "error" in r ? answered(0x80, r.error) : answered(r.qos);
  }).catch((e) => acked || answered(0x80, e));
}

async function unsubscribe(tab: Tab, filters: string[]): Promise<void> {
  const s = tab.session;
  const last = filters.filter((f) => call(() => s.core.unsubscribe(tab.id, f)));
  if (last.length) await s.client.unsubscribe(last);
}

/** The tab closed, or its page went away: only its own interest goes; the last tab's leaving
 *  closes the connection. */
function leave(tab: Tab): void {
  if (tab.left) return;
  tab.left = true;
  const s = tab.session;
  for (const off of tab.routes.values()) off();
  s.tabs.delete(tab.id);
  // A question to its credentials callback goes to the next tab.
  for (const [id, asking] of s.asking) if (asking.tab === tab.id) ask(s, id);
  const unsubscribe = s.core.leave(tab.id);
  for (const topic of s.core.passed()) turn(s, s.core.turn(false, 0, topic), topic);
  tab.port.left?.();
  if (s.core.tabs() === 0) {
    s.client.close();
    s.release?.();
    s.core.free();
    sessions.splice(sessions.indexOf(s), 1);
    return;
  }
  if (unsubscribe.length && s.client.connected) s.client.unsubscribe(unsubscribe).catch(() => {});
  broadcast(s, { op: "tabs", tabs: s.core.tabs() });
}
