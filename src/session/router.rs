//! Routes inbound messages to the handlers whose topic filters match, in registration order.
//! Generic over the handler so it stays pure and testable; the async client stores closures in it.

use super::topic::topic_matches;

/// Handlers keyed by topic filter. Each registration gets an id for removal.
pub struct Router<H> {
    routes: Vec<(u64, String, H)>,
    next_id: u64,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Self { routes: Vec::new(), next_id: 1 }
    }
}

impl<H> Router<H> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler for `filter` and returns its id.
    pub fn add(&mut self, filter: impl Into<String>, handler: H) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.routes.push((id, filter.into(), handler));
        id
    }

    /// Removes one handler; returns whether it was there.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.routes.len();
        self.routes.retain(|(i, _, _)| *i != id);
        self.routes.len() != before
    }

    /// Whether any handler is registered for exactly this filter.
    pub fn has_filter(&self, filter: &str) -> bool {
        self.routes.iter().any(|(_, f, _)| f == filter)
    }

    /// The handlers whose filters match `topic`.
    pub fn matching<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a H> + 'a {
        self.routes.iter().filter(move |(_, f, _)| topic_matches(f, topic)).map(|(_, _, h)| h)
    }

    /// The ids of the handlers whose filters match `topic`, in registration order.
    pub fn matching_ids(&self, topic: &str) -> Vec<u64> {
        self.routes.iter().filter(|(_, f, _)| topic_matches(f, topic)).map(|(id, _, _)| *id).collect()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_to_every_matching_filter_in_order() {
        let mut r = Router::new();
        r.add("sensors/+/temp", "plus");
        r.add("sensors/#", "hash");
        r.add("other", "other");
        let hit: Vec<_> = r.matching("sensors/k1/temp").copied().collect();
        assert_eq!(hit, ["plus", "hash"]);
        assert_eq!(r.matching("nothing").count(), 0);
    }

    #[test]
    fn removed_handlers_no_longer_receive() {
        let mut r = Router::new();
        let a = r.add("a/#", 1);
        r.add("a/b", 2);
        assert!(r.remove(a));
        assert!(!r.remove(a));
        assert_eq!(r.matching("a/b").copied().collect::<Vec<_>>(), [2]);
        assert!(r.has_filter("a/b") && !r.has_filter("a/#"));
    }
}
