//! Turns on a topic, for a platform whose replies carry no request id. A CloudPlugs property
//! request is answered on the very topic it was published to (docs/platforms/cloudplugs.md#properties),
//! and every tab subscribed to that topic hears the answer: two tabs asking at once could each take
//! the other's. So a tab asks the session for the topic's turn, publishes and waits for its answer
//! only while it holds it, and gives it back. Turns go in the order they were asked, one each, so a
//! tab with many requests does not keep the topic from the others.

use super::TabId;

/// Each turn asked for, as its topic and tab, in the order asked: a topic's first is the tab whose
/// turn it is, the others wait.
#[derive(Debug, Default)]
pub struct Leases(Vec<(String, TabId)>);

impl Leases {
    /// `tab` asks for a turn on `topic`: true when it is its turn now; otherwise it waits (also
    /// behind itself, when it holds the topic already).
    pub fn ask(&mut self, tab: TabId, topic: &str) -> bool {
        let now = self.holder(topic).is_none();
        self.0.push((topic.to_owned(), tab));
        now
    }

    /// The tab whose turn it is on `topic`.
    pub fn holder(&self, topic: &str) -> Option<TabId> {
        self.0.iter().find(|(t, _)| t == topic).map(|(_, tab)| *tab)
    }

    /// `tab` gives back its turn on `topic`, or its place in the queue when it is not its turn yet:
    /// the tab whose turn it is now, if that changed.
    pub fn release(&mut self, tab: TabId, topic: &str) -> Option<TabId> {
        let held = self.holder(topic) == Some(tab);
        let at = self.0.iter().position(|(t, x)| t == topic && *x == tab)?;
        self.0.remove(at);
        self.holder(topic).filter(|_| held)
    }

    /// `tab` left: every turn it held or waited for goes. The topics whose turn passed on to
    /// another tab (`holder`).
    pub fn leave(&mut self, tab: TabId) -> Vec<String> {
        let mut held = Vec::new();
        for (topic, x) in &self.0 {
            // Once each: a tab may wait behind its own turn.
            if *x == tab && self.holder(topic) == Some(tab) && !held.contains(topic) {
                held.push(topic.clone());
            }
        }
        self.0.retain(|(_, x)| *x != tab);
        held.retain(|topic| self.holder(topic).is_some());
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: &str = "dev-1/ag/prop/get";
    const SET: &str = "dev-1/ag/prop/set";

    #[test]
    fn turns_go_in_the_order_asked_one_each() {
        let mut l = Leases::default();
        assert!(l.ask(1, GET));
        assert!(!l.ask(2, GET));
        assert!(!l.ask(1, GET), "a tab that holds the topic waits behind the others");
        assert!(l.ask(3, SET), "another topic is apart");
        assert_eq!((l.holder(GET), l.holder(SET), l.holder("x")), (Some(1), Some(3), None));
        assert_eq!(l.release(1, GET), Some(2));
        assert_eq!(l.holder(GET), Some(2));
        assert_eq!(l.release(2, GET), Some(1));
        assert_eq!(l.release(1, GET), None);
        assert!(l.ask(2, GET), "the topic was free again");
    }

    #[test]
    fn giving_back_a_place_in_the_queue_passes_no_turn() {
        let mut l = Leases::default();
        l.ask(1, GET);
        l.ask(2, GET);
        l.ask(3, GET);
        assert_eq!(l.release(2, GET), None);
        assert_eq!(l.release(4, GET), None, "a tab that never asked");
        assert_eq!(l.release(1, SET), None, "a topic nobody asked for");
        assert_eq!(l.release(1, GET), Some(3));
    }

    #[test]
    fn a_tab_that_leaves_passes_on_the_turns_it_held_and_waits_for_none() {
        let mut l = Leases::default();
        l.ask(1, GET);
        l.ask(2, GET);
        l.ask(1, SET);
        l.ask(2, "dev-2/ag/prop/set");
        l.ask(1, "dev-2/ag/prop/set");
        l.ask(3, "dev-2/ag/prop/set");
        assert_eq!(l.leave(1), [GET]);
        assert_eq!(l.holder(GET), Some(2));
        assert_eq!(l.release(2, "dev-2/ag/prop/set"), Some(3), "tab 1's place behind it went");
        assert!(l.ask(4, SET), "the topic tab 1 alone held is free");
        assert_eq!(l.leave(9), [] as [&str; 0]);
        // A tab that waits behind its own turn passes the topic on once.
        l.ask(5, "t");
        l.ask(6, "t");
        l.ask(5, "t");
        assert_eq!(l.leave(5), ["t"]);
        assert_eq!(l.holder("t"), Some(6));
        assert_eq!(l.release(6, "t"), None, "nobody else waits");
    }
}
