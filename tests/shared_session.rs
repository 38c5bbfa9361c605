//! Specifications of the pure shared session (issue 23): tabs joining one session or refused with
//! the option they ask for differently, subscriptions counted per filter (SUBSCRIBE for the first
//! interest, a higher QoS or a later tab owed the retained messages, UNSUBSCRIBE for the last),
//! messages to each matching tab once, retained messages to the tabs they were sent for, and
//! publish outcomes to the tab that made them, and turns on a topic whose replies carry no id. Exact values throughout; no clock, no browser.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::shared::identity::ClientSide;
use iotmqtt::shared::{Leave, SharedError, SharedSession, Subscribe, TabId};
use iotmqtt::{Authentication, ConnectOptions, ProtocolVersion, QoS, RetainHandling, SubscribeOptions};

const URL: &str = "ws://127.0.0.1:9001";

fn options() -> ConnectOptions {
    ConnectOptions {
        client_id: "dash".into(),
        username: Some("u".into()),
        password: Some("p".into()),
        ..Default::default()
    }
}

/// `tab` subscribes to `filter` at `qos`, with no other option.
fn sub(s: &mut SharedSession, tab: TabId, filter: &str, qos: QoS) -> Result<Subscribe, SharedError> {
    s.subscribe(tab, filter, SubscribeOptions::qos(qos), None)
}

/// The tabs a copy of a message goes to, without their own identifiers.
fn tabs(s: &SharedSession, topic: &str, identifiers: &[u32]) -> Vec<TabId> {
    s.message_tabs(topic, identifiers, false).into_iter().map(|(tab, _)| tab).collect()
}

/// The tabs a copy with RETAIN set goes to.
fn retained(s: &SharedSession, topic: &str, identifiers: &[u32]) -> Vec<TabId> {
    s.message_tabs(topic, identifiers, true).into_iter().map(|(tab, _)| tab).collect()
}

/// A session with three tabs, 1, 2 and 3.
fn three_tabs() -> SharedSession {
    let mut s = SharedSession::new(URL, options());
    for want in 1..=3 {
        assert_eq!(s.join(URL, &options()), Ok(want));
    }
    s
}

#[test]
fn tabs_asking_for_the_same_session_join_it_and_a_different_option_is_named() {
    let mut s = three_tabs();
    assert_eq!(s.tabs(), [1, 2, 3]);
    let differ = |option| Err(SharedError::OptionsDiffer { option });
    assert_eq!(s.join("ws://127.0.0.1:9002", &options()), differ("url"));
    assert_eq!(s.join(URL, &ConnectOptions { client_id: "other".into(), ..options() }), differ("clientId"));
    assert_eq!(s.join(URL, &ConnectOptions { password: Some("q".into()), ..options() }), differ("password"));
    assert_eq!(s.join(URL, &ConnectOptions { keepalive_secs: 30, ..options() }), differ("keepaliveSecs"));
    let v5 = ConnectOptions { version: ProtocolVersion::V5, clean_start: false, ..options() };
    assert_eq!(s.join(URL, &v5), differ("protocolVersion"), "the first option that differs");
    assert_eq!(s.join(URL, &ConnectOptions { topic_alias_maximum: 5, ..options() }), differ("topicAliasMaximum"));
    let e = s.join(URL, &ConnectOptions { clean_start: false, ..options() }).unwrap_err();
    assert_eq!(e.code(), "SHARED_OPTIONS_DIFFER");
    assert_eq!(
        e.to_string(),
        "this tab asks for the shared session with another cleanStart than the tabs already in it"
    );
    assert_eq!(s.tabs(), [1, 2, 3], "no refused tab is in it");
}

// The session's one client serves every tab: a credentials callback stays in its tab, and the host
// asks one of the session's tabs for a login before each connect; the store is the one a leader's
// handover goes through. A tab asking for another client than the session's names the session
// (URL, client id, credentials) but not what it would get.
#[test]
fn a_tab_asking_for_another_credentials_callback_or_store_is_refused_by_name() {
    let differ = |option| Err(SharedError::OptionsDiffer { option });
    let anonymous = ConnectOptions { username: None, password: None, ..options() };
    let asks = ClientSide { credentials_callback: true, ..ClientSide::default() };
    let mut asking = SharedSession::new(URL, anonymous.clone()).with_client(asks.clone());
    assert_eq!(asking.join_with(URL, &anonymous, &asks), Ok(1));
    assert_eq!(asking.join_with(URL, &anonymous, &asks), Ok(2));
    assert_eq!(asking.join(URL, &anonymous), differ("credentials"));
    let mut plain = SharedSession::new(URL, anonymous.clone());
    assert_eq!(plain.join(URL, &anonymous), Ok(1));
    assert_eq!(plain.join_with(URL, &anonymous, &asks), differ("credentials"));
    let stored = |name: &str| ClientSide { persistence: Some(name.into()), ..ClientSide::default() };
    let mut kept = SharedSession::new(URL, options()).with_client(stored("db"));
    assert_eq!(kept.join_with(URL, &options(), &stored("db")), Ok(1));
    assert_eq!(kept.join_with(URL, &options(), &stored("other")), differ("persistence"));
    assert_eq!(kept.join(URL, &options()), differ("persistence"));
    assert_eq!(plain.join_with(URL, &anonymous, &stored("db")), differ("persistence"));
    let answers = ClientSide { authenticator: true, ..ClientSide::default() };
    assert_eq!(plain.join_with(URL, &anonymous, &answers), differ("authenticator"));
    let method = |data: &str| ConnectOptions {
        version: ProtocolVersion::V5,
        authentication: Some(Authentication { method: "DEMO".into(), data: Some(data.into()) }),
        ..anonymous.clone()
    };
    let mut challenged = SharedSession::new(URL, method("c1")).with_client(answers.clone());
    assert_eq!(challenged.join_with(URL, &method("c1"), &answers), Ok(1));
    assert_eq!(challenged.join_with(URL, &method("c2"), &answers), differ("authentication"));
    assert_eq!(challenged.join_with(URL, &method("c1"), &ClientSide::default()), differ("authenticator"));
    assert_eq!((asking.tabs(), plain.tabs(), kept.tabs()), (&[1, 2][..], &[1][..], &[1][..]));
}

#[test]
fn the_broker_sees_a_subscribe_for_the_first_interest_and_each_later_one_and_an_unsubscribe_for_the_last() {
    let mut s = three_tabs();
    assert_eq!(sub(&mut s, 1, "a/#", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    // Tab 2 asks while the SUBSCRIBE is on its way: its SUBACK answers both.
    assert_eq!(sub(&mut s, 2, "a/#", QoS::AtMostOnce), Ok(Subscribe::Wait));
    assert_eq!(s.subscribed("a/#", Some(QoS::AtLeastOnce)), [1, 2]);
    // Tab 3 asks later: granted already, but owed the retained messages, which take a SUBSCRIBE.
    assert_eq!(sub(&mut s, 3, "a/#", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(s.subscribed("a/#", Some(QoS::AtLeastOnce)), [3]);
    assert_eq!(s.unsubscribe(1, "a/#"), Ok(false));
    assert_eq!(s.unsubscribe(3, "a/#"), Ok(false));
    assert_eq!(s.unsubscribe(3, "a/#"), Ok(false), "a second unsubscribe of the same tab changes nothing");
    assert_eq!(s.unsubscribe(2, "a/#"), Ok(true), "the last interest");
    assert_eq!(s.filters().count(), 0);
    assert_eq!(s.unsubscribe(2, "never/subscribed"), Ok(false));
}

#[test]
fn a_higher_qos_subscribes_again_and_a_refusal_drops_only_the_waiting_tabs() {
    let mut s = three_tabs();
    sub(&mut s, 1, "t", QoS::AtMostOnce).unwrap();
    assert_eq!(s.subscribed("t", Some(QoS::AtMostOnce)), [1]);
    assert_eq!(sub(&mut s, 2, "t", QoS::ExactlyOnce), Ok(Subscribe::Send(QoS::ExactlyOnce)));
    // The broker refuses QoS 2 for it (an ACL, say): tab 2 has no interest, tab 1 keeps its own.
    assert_eq!(s.subscribed("t", None), [2]);
    assert_eq!(s.filters().collect::<Vec<_>>(), [("t", Some(QoS::AtMostOnce))]);
    assert_eq!(tabs(&s, "t", &[]), [1]);
    // Two SUBSCRIBEs on their way for one filter: each SUBACK answers its own, in order, and a tab
    // that asks twice is answered once per ask.
    assert_eq!(sub(&mut s, 1, "u", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(sub(&mut s, 1, "u", QoS::AtMostOnce), Ok(Subscribe::Wait));
    assert_eq!(sub(&mut s, 2, "u", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(sub(&mut s, 3, "u", QoS::AtMostOnce), Ok(Subscribe::Wait), "the first SUBSCRIBE covers it");
    assert_eq!(s.subscribed("u", Some(QoS::AtMostOnce)), [1, 1, 3]);
    assert_eq!(s.filters().collect::<Vec<_>>()[1], ("u", Some(QoS::AtMostOnce)));
    // The second is refused: only its tab loses its interest.
    assert_eq!(s.subscribed("u", None), [2]);
    assert_eq!(tabs(&s, "u", &[]), [1, 3]);
    assert_eq!(s.subscribed("u", Some(QoS::AtMostOnce)), Vec::<u32>::new(), "no SUBSCRIBE on its way");
    s.unsubscribe(1, "u").unwrap();
    s.unsubscribe(3, "u").unwrap();
    // A tab's own subscribes are answered in the order it made them: its QoS 0 after its QoS 1 waits
    // for the QoS 1 SUBSCRIBE, not the QoS 0 one before it.
    assert_eq!(sub(&mut s, 1, "v", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(sub(&mut s, 1, "v", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(sub(&mut s, 1, "v", QoS::AtMostOnce), Ok(Subscribe::Wait));
    assert_eq!(sub(&mut s, 2, "v", QoS::AtMostOnce), Ok(Subscribe::Wait));
    assert_eq!(s.subscribed("v", Some(QoS::AtMostOnce)), [1, 2]);
    assert_eq!(s.subscribed("v", Some(QoS::AtLeastOnce)), [1, 1]);
    s.unsubscribe(1, "v").unwrap();
    s.unsubscribe(2, "v").unwrap();
    // Unsubscribed before its SUBACK: the SUBACK still answers the subscribe, as a broker answers a
    // client of its own; subscribing again after the UNSUBSCRIBE takes a SUBSCRIBE of its own.
    assert_eq!(sub(&mut s, 1, "w", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(s.unsubscribe(1, "w"), Ok(true), "the UNSUBSCRIBE goes");
    assert_eq!(sub(&mut s, 2, "w", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribed("w", Some(QoS::AtLeastOnce)), [1]);
    assert_eq!(tabs(&s, "w", &[]), [2]);
    assert_eq!(s.subscribed("w", Some(QoS::AtMostOnce)), [2]);
    assert_eq!(sub(&mut s, 3, "w", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)), "for the retained messages");
    assert_eq!(s.subscribed("w", Some(QoS::AtMostOnce)), [3]);
    s.unsubscribe(2, "w").unwrap();
    assert_eq!(s.unsubscribe(3, "w"), Ok(true));
    // The last interest goes before the SUBACK: the SUBACK answers it and leaves nothing behind.
    assert_eq!(sub(&mut s, 1, "x", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.unsubscribe(1, "x"), Ok(true));
    assert_eq!(s.filters().count(), 1, "only t");
    assert_eq!(s.subscribed("x", Some(QoS::AtMostOnce)), [1]);
    assert_eq!(sub(&mut s, 2, "x", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)), "a first interest again");
    s.subscribed("x", Some(QoS::AtMostOnce));
    s.unsubscribe(2, "x").unwrap();
    // A refusal of a filter nobody else wanted leaves nothing behind.
    sub(&mut s, 3, "denied", QoS::AtMostOnce).unwrap();
    assert_eq!(s.subscribed("denied", None), [3]);
    assert_eq!(s.filters().collect::<Vec<_>>(), [("t", Some(QoS::AtMostOnce))]);
}

// An MQTT 5 broker may send a copy of a message per matching subscription (mosquitto does), each
// naming its subscription's identifier, or one copy naming them all. Each filter has its own
// identifier, and each tab takes exactly one copy: its first matching filter's.
#[test]
fn a_tab_takes_one_of_the_copies_an_mqtt5_broker_sends_per_subscription() {
    let v5 = ConnectOptions { version: ProtocolVersion::V5, ..options() };
    let mut s = SharedSession::new(URL, v5.clone());
    for want in 1..=3 {
        assert_eq!(s.join(URL, &v5), Ok(want));
    }
    // Tab 1: a/# and a/+; tab 2: a/+; tab 3: b/#.
    for (tab, filter) in [(1, "a/#"), (1, "a/+"), (2, "a/+"), (3, "b/#")] {
        sub(&mut s, tab, filter, QoS::AtLeastOnce).unwrap();
        s.subscribed(filter, Some(QoS::AtLeastOnce));
    }
    let id = |s: &SharedSession, filter| s.identifier(filter, true);
    assert_eq!([id(&s, "a/#"), id(&s, "a/+"), id(&s, "b/#")], [Some(1), Some(2), Some(3)]);
    assert_eq!(id(&s, "never/subscribed"), None);
    // A broker whose CONNACK says it has no Subscription Identifiers gets none.
    assert_eq!(s.identifier("a/#", false), None);
    // A copy per subscription: "a/x" comes for a/# (1) and for a/+ (2).
    assert_eq!(tabs(&s, "a/x", &[1]), [1]);
    assert_eq!(tabs(&s, "a/x", &[2]), [2]);
    // One copy for both.
    assert_eq!(tabs(&s, "a/x", &[1, 2]), [1, 2]);
    // "a/x/y" matches a/# only: one copy, tab 1.
    assert_eq!(tabs(&s, "a/x/y", &[1]), [1]);
    // No identifiers (a broker that does not support them sends one copy), or only ones that are
    // not ours: every matching tab.
    assert_eq!(tabs(&s, "a/x", &[]), [1, 2]);
    assert_eq!(tabs(&s, "a/x", &[99]), [1, 2]);
    // A filter subscribed again keeps its identifier; a new filter takes the next one.
    sub(&mut s, 2, "a/#", QoS::AtLeastOnce).unwrap();
    assert_eq!(id(&s, "a/#"), Some(1));
    assert_eq!(tabs(&s, "a/x", &[1]), [1, 2]);
    sub(&mut s, 3, "c", QoS::AtMostOnce).unwrap();
    assert_eq!(id(&s, "c"), Some(4));
    // On MQTT 3.1.1 a broker sends one copy per client, and the SUBSCRIBE carries no identifier.
    let mut plain = SharedSession::new(URL, options());
    let tab = plain.join(URL, &options()).unwrap();
    sub(&mut plain, tab, "a/#", QoS::AtMostOnce).unwrap();
    assert_eq!(plain.identifier("a/#", true), None);
}

#[test]
fn each_matching_tab_gets_a_message_once_however_many_of_its_filters_match() {
    let mut s = three_tabs();
    for (tab, filter) in [(1, "s/+/temp"), (1, "s/#"), (2, "s/k1/temp"), (3, "other/#")] {
        assert!(matches!(sub(&mut s, tab, filter, QoS::AtMostOnce), Ok(Subscribe::Send(_))));
        s.subscribed(filter, Some(QoS::AtMostOnce));
    }
    assert_eq!(tabs(&s, "s/k1/temp", &[]), [1, 2]);
    assert_eq!(tabs(&s, "s/k2/temp", &[]), [1]);
    assert_eq!(tabs(&s, "other/x", &[]), [3]);
    assert_eq!(tabs(&s, "nowhere", &[]), Vec::<u32>::new());
    // Tab 2's unsubscribe leaves tab 1's messages flowing.
    assert_eq!(s.unsubscribe(2, "s/k1/temp"), Ok(true));
    assert_eq!(tabs(&s, "s/k1/temp", &[]), [1]);
}

#[test]
fn a_tab_that_leaves_takes_only_its_own_interest_and_the_last_one_ends_the_session() {
    let mut s = three_tabs();
    for (tab, filter) in [(1, "a"), (2, "a"), (2, "b"), (3, "c")] {
        sub(&mut s, tab, filter, QoS::AtLeastOnce).unwrap();
        s.subscribed(filter, Some(QoS::AtLeastOnce));
    }
    assert_eq!(s.leave(2), Ok(Leave { unsubscribe: vec!["b".into()], last: false, turns: vec![] }));
    assert_eq!(tabs(&s, "a", &[]), [1]);
    assert_eq!(s.leave(2), Err(SharedError::UnknownTab { tab: 2 }));
    assert_eq!(sub(&mut s, 2, "a", QoS::AtMostOnce), Err(SharedError::UnknownTab { tab: 2 }));
    assert_eq!(s.leave(1), Ok(Leave { unsubscribe: vec!["a".into()], last: false, turns: vec![] }));
    assert_eq!(s.leave(3), Ok(Leave { unsubscribe: vec!["c".into()], last: true, turns: vec![] }));
    assert_eq!(s.tabs(), [] as [u32; 0]);
}

// MQTT 5 subscription options: a filter's SUBSCRIBE carries its first interest's; the other tabs
// that want the filter must ask for the same ones, or get the option named; a tab alone on a filter
// changes them with a new SUBSCRIBE; and each tab's copy carries its own Subscription Identifiers.
#[test]
fn on_mqtt_5_a_filter_s_options_are_its_first_interest_s_and_each_tab_has_its_own_identifiers() {
    let v5 = ConnectOptions { version: ProtocolVersion::V5, ..options() };
    let mut s = SharedSession::new(URL, v5.clone());
    for want in 1..=3 {
        assert_eq!(s.join(URL, &v5), Ok(want));
    }
    let (qos0, qos1) = (SubscribeOptions::qos(QoS::AtMostOnce), SubscribeOptions::qos(QoS::AtLeastOnce));
    let no_local = SubscribeOptions { no_local: true, ..qos1 };
    assert_eq!(s.subscribe(1, "a/#", no_local, Some(7)), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    s.subscribed("a/#", Some(QoS::AtLeastOnce));
    let differs = |option| Err(SharedError::SubscriptionDiffers { option, filter: "a/#".into() });
    assert_eq!(s.subscribe(2, "a/#", qos1, None), differs("noLocal"));
    assert_eq!(
        s.subscribe(2, "a/#", SubscribeOptions { retain_as_published: true, ..no_local }, None),
        differs("retainAsPublished")
    );
    let never = SubscribeOptions { retain_handling: RetainHandling::Never, ..no_local };
    assert_eq!(s.subscribe(2, "a/#", never, None), differs("retainHandling"));
    assert_eq!(s.subscribe(2, "a/#", no_local, Some(9)), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(s.subscribed("a/#", Some(QoS::AtLeastOnce)), [2]);
    assert_eq!(s.subscribe(2, "a/+", qos0, Some(11)), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribe(3, "a/+", qos0, None), Ok(Subscribe::Wait));
    assert_eq!(s.message_tabs("a/x", &[], false), [(1, vec![7]), (2, vec![9, 11]), (3, vec![])]);
    // A tab's identifier goes with its interest.
    assert_eq!(s.unsubscribe(2, "a/#"), Ok(false));
    assert_eq!(s.message_tabs("a/x", &[], false), [(1, vec![7]), (2, vec![11]), (3, vec![])]);
    // Alone on a filter, a tab changes its options: a new SUBSCRIBE replaces the broker's subscription.
    assert_eq!(s.subscribe(1, "b", qos0, None), Ok(Subscribe::Send(QoS::AtMostOnce)));
    s.subscribed("b", Some(QoS::AtMostOnce));
    let b_never = SubscribeOptions { retain_handling: RetainHandling::Never, ..qos0 };
    assert_eq!(s.subscribe(1, "b", b_never, None), Ok(Subscribe::Send(QoS::AtMostOnce)));
    // Not while that SUBSCRIBE is on its way: its SUBACK would answer both.
    assert_eq!(
        s.subscribe(1, "b", qos0, None),
        Err(SharedError::SubscriptionDiffers { option: "retainHandling", filter: "b".into() })
    );
    s.subscribed("b", Some(QoS::AtMostOnce));
    let range = "must be from 1 to 268,435,455";
    for bad in [0, 268_435_456] {
        assert_eq!(
            s.subscribe(3, "c", qos0, Some(bad)),
            Err(SharedError::InvalidOption { field: "subscriptionIdentifier", reason: range })
        );
    }
    assert_eq!(tabs(&s, "c", &[]), Vec::<u32>::new(), "a refused subscribe counts no interest");
}

// A tab that subscribes to a filter another tab holds gets the broker's retained messages for it,
// which the broker sends again for a SUBSCRIBE of a filter it holds (MQTT-3.8.4-3). A copy with
// RETAIN set is one of those (the broker clears it on what it forwards, MQTT-3.3.1-9): it goes to
// the tabs of the SUBSCRIBE it was sent for, after whose SUBACK it comes, and to no tab twice.
#[test]
fn a_later_tab_gets_a_held_filter_s_retained_messages_and_no_tab_gets_them_twice() {
    let mut s = three_tabs();
    assert_eq!(sub(&mut s, 1, "r/#", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(sub(&mut s, 2, "r/#", QoS::AtMostOnce), Ok(Subscribe::Wait));
    assert_eq!(s.subscribed("r/#", Some(QoS::AtLeastOnce)), [1, 2]);
    assert_eq!(retained(&s, "r/a", &[]), [1, 2], "the first SUBSCRIBE was for both");
    // Tab 3 asks for QoS 0: the SUBSCRIBE asks for the QoS 1 granted, so as to lower it for none.
    assert_eq!(sub(&mut s, 3, "r/#", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(retained(&s, "r/a", &[]), [1, 2], "before its SUBACK: the SUBSCRIBE before's");
    assert_eq!(s.subscribed("r/#", Some(QoS::AtLeastOnce)), [3]);
    assert_eq!(retained(&s, "r/a", &[]), [3]);
    assert_eq!(tabs(&s, "r/a", &[]), [1, 2, 3], "a live message goes to every tab");
    // An overlapping filter's SUBSCRIBE brings the retained messages it matches to its tab alone,
    // not again to those of r/#; one only r/# matches is still its last SUBSCRIBE's.
    assert_eq!(sub(&mut s, 1, "r/+", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribed("r/+", Some(QoS::AtMostOnce)), [1]);
    assert_eq!(retained(&s, "r/a", &[]), [1]);
    assert_eq!(retained(&s, "r/a/b", &[]), [3]);
    // A SUBSCRIBE for a tab's retained messages that fails (the connection lost before its SUBACK,
    // or a refusal) takes no interest the tab had: tab 1 keeps r/#; tab 2 had none of r/+.
    assert_eq!(sub(&mut s, 1, "r/#", QoS::AtLeastOnce), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(sub(&mut s, 2, "r/+", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribed("r/#", None), [1]);
    assert_eq!(s.subscribed("r/+", None), [2]);
    assert_eq!(tabs(&s, "r/a", &[]), [1, 2, 3], "tab 2 by r/#");
    assert_eq!(tabs(&s, "r/a/b", &[]), [1, 2, 3]);
    assert_eq!(retained(&s, "r/a", &[]), [1], "r/+'s last granted SUBSCRIBE was tab 1's");
    // A tab that left the filter gets none.
    assert_eq!(s.unsubscribe(3, "r/#"), Ok(false));
    assert_eq!(retained(&s, "r/a/b", &[]), Vec::<u32>::new());
    // A new connection subscribes to every filter again: what that brings goes to each tab of a
    // filter, until the SUBACK of a tab's own SUBSCRIBE.
    s.restored();
    assert_eq!(retained(&s, "r/a", &[]), [1, 2]);
    assert_eq!(retained(&s, "r/a/b", &[]), [1, 2]);
    assert_eq!(sub(&mut s, 3, "q", QoS::AtMostOnce), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(retained(&s, "r/a", &[]), [1, 2], "before the SUBACK");
    assert_eq!(s.subscribed("q", Some(QoS::AtMostOnce)), [3]);
    assert_eq!(retained(&s, "r/a", &[]), [1]);
}

// On MQTT 5 the copy names the subscription it was sent for. A filter whose options want no
// retained messages at a later subscribe (Retain Handling 1 or 2), or keep RETAIN on live messages
// (Retain As Published), takes no SUBSCRIBE for a later tab; a copy with RETAIN goes to all with
// Retain As Published, otherwise to the first SUBSCRIBE's tabs.
#[test]
fn on_mqtt_5_a_retained_message_goes_to_the_subscribe_its_identifier_names() {
    let v5 = ConnectOptions { version: ProtocolVersion::V5, ..options() };
    let mut s = SharedSession::new(URL, v5.clone());
    for want in 1..=3 {
        assert_eq!(s.join(URL, &v5), Ok(want));
    }
    let qos0 = SubscribeOptions::qos(QoS::AtMostOnce);
    s.subscribe(1, "m/#", qos0, None).unwrap();
    assert_eq!(s.subscribed("m/#", Some(QoS::AtMostOnce)), [1]);
    s.subscribe(2, "m/+", qos0, None).unwrap();
    assert_eq!(s.subscribed("m/+", Some(QoS::AtMostOnce)), [2]);
    assert_eq!(s.subscribe(3, "m/#", qos0, None), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribed("m/#", Some(QoS::AtMostOnce)), [3]);
    let (hash, plus) = (s.identifier("m/#", true).unwrap(), s.identifier("m/+", true).unwrap());
    assert_eq!(retained(&s, "m/a", &[plus]), [2], "m/#'s SUBACK came later, but the copy names m/+");
    assert_eq!(retained(&s, "m/a", &[hash]), [3]);
    assert_eq!(retained(&s, "m/a", &[]), [3], "without identifiers, the last SUBACK of a filter it matches");
    // With Retain As Published a copy with RETAIN may be a live message: every tab's. Otherwise the
    // copies are the first SUBSCRIBE's, the only one the broker got.
    for (filter, options, to) in [
        ("p", SubscribeOptions { retain_as_published: true, ..qos0 }, vec![1, 2]),
        ("n", SubscribeOptions { retain_handling: RetainHandling::OnNewSubscription, ..qos0 }, vec![1]),
        ("z", SubscribeOptions { retain_handling: RetainHandling::Never, ..qos0 }, vec![1]),
    ] {
        assert_eq!(s.subscribe(1, filter, options, None), Ok(Subscribe::Send(QoS::AtMostOnce)));
        assert_eq!(s.subscribed(filter, Some(QoS::AtMostOnce)), [1]);
        assert_eq!(s.subscribe(2, filter, options, None), Ok(Subscribe::Granted(QoS::AtMostOnce)), "{filter}");
        assert_eq!(retained(&s, filter, &[]), to, "{filter}");
    }
    // Granted at once, tab 2 holds "z": its refused SUBSCRIBE for a higher QoS leaves it that.
    let z = SubscribeOptions { retain_handling: RetainHandling::Never, ..SubscribeOptions::qos(QoS::AtLeastOnce) };
    assert_eq!(s.subscribe(2, "z", z, None), Ok(Subscribe::Send(QoS::AtLeastOnce)));
    assert_eq!(s.subscribed("z", None), [2]);
    assert_eq!(tabs(&s, "z", &[]), [1, 2]);
    // A filter that wants none overlapping one that does: the latter's SUBSCRIBE decides.
    s.subscribe(3, "z/#", qos0, None).unwrap();
    assert_eq!(s.subscribed("z/#", Some(QoS::AtMostOnce)), [3]);
    assert_eq!(retained(&s, "z", &[]), [3]);
}

#[test]
fn on_mqtt_3_1_1_a_tab_asking_for_mqtt_5_options_is_refused_as_the_client_refuses_it() {
    const NEEDS_V5: &str = "needs MQTT 5: this connection is MQTT 3.1.1";
    let mut s = three_tabs();
    let no_local = SubscribeOptions { no_local: true, ..SubscribeOptions::qos(QoS::AtMostOnce) };
    assert_eq!(
        s.subscribe(1, "a", no_local, None),
        Err(SharedError::InvalidOption { field: "noLocal", reason: NEEDS_V5 })
    );
    assert_eq!(
        s.subscribe(1, "a", SubscribeOptions::qos(QoS::AtMostOnce), Some(3)),
        Err(SharedError::InvalidOption { field: "subscriptionIdentifier", reason: NEEDS_V5 })
    );
    assert_eq!(tabs(&s, "a", &[]), Vec::<u32>::new());
    // Retain Handling is the tab's word on the retained messages it is owed (a platform class's
    // topics keep none): a later tab's subscribe then takes no SUBSCRIBE.
    let none = SubscribeOptions { retain_handling: RetainHandling::Never, ..SubscribeOptions::qos(QoS::AtMostOnce) };
    assert_eq!(s.subscribe(1, "p", none, None), Ok(Subscribe::Send(QoS::AtMostOnce)));
    assert_eq!(s.subscribed("p", Some(QoS::AtMostOnce)), [1]);
    assert_eq!(s.subscribe(2, "p", none, None), Ok(Subscribe::Granted(QoS::AtMostOnce)));
}

// A CloudPlugs property topic: one tab's request at a time, in the order asked; a tab that leaves
// passes its turn to the next, and a tab that is not in the session gets none.
#[test]
fn turns_on_a_topic_go_one_tab_at_a_time_and_a_tab_that_leaves_passes_its_turn_on() {
    const GET: &str = "dev-1/ag/prop/get";
    let mut s = three_tabs();
    assert_eq!(s.lease(1, GET), Ok(true));
    assert_eq!(s.lease(2, GET), Ok(false));
    assert_eq!(s.lease(3, GET), Ok(false));
    assert_eq!(s.lease(9, GET), Err(SharedError::UnknownTab { tab: 9 }));
    assert_eq!(s.leave(1), Ok(Leave { unsubscribe: vec![], last: false, turns: vec![GET.into()] }));
    assert_eq!(s.holder(GET), Some(2));
    assert_eq!(s.release(2, GET), Some(3));
    assert_eq!(s.release(3, GET), None);
    assert_eq!(s.lease(2, GET), Ok(true));
}

#[test]
fn publish_outcomes_go_to_the_tab_that_published_and_none_to_a_tab_that_left() {
    let mut s = three_tabs();
    // 3,000 publishes from three tabs, each tab numbering its own.
    for token in 0..3_000u64 {
        let tab = (token % 3) as u32 + 1;
        s.published(tab, token / 3, token).unwrap();
    }
    let mut per_tab = [0u64; 3];
    for token in 0..3_000u64 {
        let (tab, request) = s.publish_completed(token).unwrap();
        assert_eq!((tab, request), ((token % 3) as u32 + 1, token / 3));
        per_tab[tab as usize - 1] += 1;
    }
    assert_eq!(per_tab, [1_000, 1_000, 1_000]);
    assert_eq!(s.publish_completed(0), None, "each outcome once");
    // Tab 2 leaves with a publish in flight: the message is still the session's; no tab hears of it.
    s.published(2, 7, 9_000).unwrap();
    s.published(1, 8, 9_001).unwrap();
    s.leave(2).unwrap();
    assert_eq!(s.publish_completed(9_000), None);
    assert_eq!(s.publish_completed(9_001), Some((1, 8)));
    assert_eq!(s.published(2, 9, 9_002), Err(SharedError::UnknownTab { tab: 2 }));
}

// A leader tab may go away and hand the session to the next, which takes over the packet ids of the
// QoS 2 messages in flight only through the store: a session the broker keeps past its connection is
// refused there without one.
#[test]
fn a_leader_refuses_a_session_the_broker_keeps_without_a_store_and_takes_the_others() {
    let with = |version, clean_start, session_expiry_secs| ConnectOptions {
        version,
        clean_start,
        session_expiry_secs,
        ..options()
    };
    let cases = [
        (with(ProtocolVersion::V3_1_1, false, None), Err(SharedError::OutlivesLeader)),
        (with(ProtocolVersion::V5, false, Some(60)), Err(SharedError::OutlivesLeader)),
        (with(ProtocolVersion::V3_1_1, true, None), Ok(())),
        // MQTT 5 without a Session Expiry Interval: the session ends with its connection.
        (with(ProtocolVersion::V5, false, None), Ok(())),
        (with(ProtocolVersion::V5, false, Some(0)), Ok(())),
        // Clean Start: the next leader's CONNECT discards what the broker kept.
        (with(ProtocolVersion::V5, true, Some(60)), Ok(())),
    ];
    for (options, want) in cases {
        let got = SharedSession::for_leader(URL, options.clone(), false).map(|s| assert_eq!(s.options(), &options));
        assert_eq!(got, want, "{options:?}");
        // With a store, the next leader resends the QoS 2 messages under their packet ids.
        let got = SharedSession::for_leader(URL, options.clone(), true).map(|s| assert_eq!(s.options(), &options));
        assert_eq!(got, Ok(()), "{options:?} with a store");
    }
    assert_eq!(SharedError::OutlivesLeader.code(), "SHARED_OUTLIVES_LEADER");
    // A SharedWorker lives as long as any tab: it takes them all.
    assert_eq!(SharedSession::new(URL, with(ProtocolVersion::V3_1_1, false, None)).tabs(), &[] as &[u32]);
}
