//! The topics seen, as a tree of their levels (MQTT's `/`): each node counts the messages on its
//! topic and under it, and keeps the last one's time and a preview. A bounded number of nodes, so
//! a broker with endless topics cannot exhaust memory: past the bound, new topics are only counted.

/// Characters of a last value kept for the tree.
const PREVIEW_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq)]
struct Node {
    name: String,
    /// Indices of the children, in the order of their names.
    children: Vec<usize>,
    /// Messages on this very topic.
    messages: u64,
    /// Messages on this topic and every topic under it.
    total: u64,
    /// The last message on this topic: when (epoch ms) and a preview.
    last: Option<(f64, String)>,
}

impl Node {
    fn new(name: &str) -> Self {
        Self { name: name.to_owned(), children: Vec::new(), messages: 0, total: 0, last: None }
    }
}

/// One visible row of the tree, depth first.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeRow {
    /// The topic up to this level: what selecting it filters on (`path/#`).
    pub path: String,
    /// This level's name ("" for an empty level).
    pub name: String,
    pub depth: usize,
    pub messages: u64,
    pub total: u64,
    pub last: Option<(f64, String)>,
    pub has_children: bool,
    pub expanded: bool,
}

impl TreeRow {
    /// The history filter that selecting this row sets: its topic and everything under it.
    pub fn filter(&self) -> String {
        format!("{}/#", self.path)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicTree {
    /// `nodes[0]` is the root, above the first level.
    nodes: Vec<Node>,
    limit: usize,
    /// Messages on topics that found no room.
    unplaced: u64,
}

impl TopicTree {
    /// A tree of at most `limit` levels in all.
    pub fn new(limit: usize) -> Self {
        Self { nodes: vec![Node::new("")], limit, unplaced: 0 }
    }

    /// Counts a message on `topic` at `at` (epoch ms) whose payload reads `preview`.
    pub fn record(&mut self, topic: &str, at: f64, preview: &str) {
        let Some(path) = self.place(topic) else {
            self.unplaced += 1;
            return;
        };
        for &i in &path {
            self.nodes[i].total += 1;
        }
        let leaf = &mut self.nodes[path[path.len() - 1]];
        leaf.messages += 1;
        leaf.last = Some((at, preview.chars().take(PREVIEW_CHARS).collect()));
    }

    /// The nodes from the root to `topic`'s, made where missing, or `None` when they would not fit.
    fn place(&mut self, topic: &str) -> Option<Vec<usize>> {
        let missing = {
            let mut at = 0;
            let mut missing = 0;
            for level in topic.split('/') {
                match self.child(at, level) {
                    Ok(i) if missing == 0 => at = self.nodes[at].children[i],
                    _ => missing += 1,
                }
            }
            missing
        };
        if self.nodes.len() + missing > self.limit {
            return None;
        }
        let mut path = vec![0];
        let mut at = 0;
        for level in topic.split('/') {
            at = match self.child(at, level) {
                Ok(i) => self.nodes[at].children[i],
                Err(i) => {
                    self.nodes.push(Node::new(level));
                    let new = self.nodes.len() - 1;
                    self.nodes[at].children.insert(i, new);
                    new
                }
            };
            path.push(at);
        }
        Some(path)
    }

    /// Where `name` is (or would go) among `parent`'s children.
    fn child(&self, parent: usize, name: &str) -> Result<usize, usize> {
        self.nodes[parent].children.binary_search_by(|&c| self.nodes[c].name.as_str().cmp(name))
    }

    /// Topics seen (levels that carried a message).
    pub fn topics(&self) -> usize {
        self.nodes.iter().filter(|n| n.messages > 0).count()
    }

    /// Messages counted, placed or not.
    pub fn messages(&self) -> u64 {
        self.nodes[0].total + self.unplaced
    }

    /// Messages on topics past the bound.
    pub fn unplaced(&self) -> u64 {
        self.unplaced
    }

    /// The rows to draw: every first level, and the children of each expanded path, depth first.
    pub fn rows(&self, expanded: impl Fn(&str) -> bool) -> Vec<TreeRow> {
        let mut rows = Vec::new();
        // (node, depth, path): a stack, children pushed in reverse to come out in order.
        let mut stack: Vec<(usize, usize, String)> =
            self.nodes[0].children.iter().rev().map(|&c| (c, 0, self.nodes[c].name.clone())).collect();
        while let Some((i, depth, path)) = stack.pop() {
            let node = &self.nodes[i];
            let open = expanded(&path);
            if open {
                for &c in node.children.iter().rev() {
                    stack.push((c, depth + 1, format!("{path}/{}", self.nodes[c].name)));
                }
            }
            rows.push(TreeRow {
                path,
                name: node.name.clone(),
                depth,
                messages: node.messages,
                total: node.total,
                last: node.last.clone(),
                has_children: !node.children.is_empty(),
                expanded: open,
            });
        }
        rows
    }

    pub fn clear(&mut self) {
        *self = Self::new(self.limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> TopicTree {
        let mut t = TopicTree::new(100);
        for (i, topic) in ["a/b", "a/c", "a/b", "a", "/x", "d/e/f", "a/b"].iter().enumerate() {
            t.record(topic, i as f64, &format!("v{i}"));
        }
        t
    }

    fn summary(rows: &[TreeRow]) -> Vec<String> {
        rows.iter().map(|r| format!("{}{} {}/{}", "  ".repeat(r.depth), r.path, r.messages, r.total)).collect()
    }

    #[test]
    fn levels_count_their_topic_and_everything_under_it() {
        let t = tree();
        assert_eq!(summary(&t.rows(|_| false)), [" 0/1", "a 1/5", "d 0/1"]);
        assert_eq!(
            summary(&t.rows(|p| p == "a" || p.is_empty() || p == "d" || p == "d/e")),
            [" 0/1", "  /x 1/1", "a 1/5", "  a/b 3/3", "  a/c 1/1", "d 0/1", "  d/e 0/1", "    d/e/f 1/1"]
        );
        let rows = t.rows(|p| p == "a");
        let b = &rows[2];
        assert_eq!(
            (b.name.as_str(), b.last.clone(), b.has_children, b.filter()),
            ("b", Some((6.0, "v6".into())), false, "a/b/#".into())
        );
        assert_eq!((t.topics(), t.messages(), t.unplaced()), (5, 7, 0));
    }

    #[test]
    fn past_the_bound_new_topics_are_only_counted() {
        let mut t = TopicTree::new(4); // the root and three levels
        t.record("a/b", 1.0, "1");
        t.record("a/c/d", 2.0, "2"); // two more levels: no room
        t.record("e", 3.0, "3");
        t.record("a/b", 4.0, "4");
        t.record("f", 5.0, "5");
        assert_eq!(summary(&t.rows(|_| true)), ["a 0/2", "  a/b 2/2", "e 1/1"]);
        assert_eq!((t.topics(), t.messages(), t.unplaced()), (2, 5, 2));
        t.clear();
        assert_eq!((t.topics(), t.messages()), (0, 0));
    }

    #[test]
    fn a_preview_is_cut_to_120_characters() {
        let mut t = TopicTree::new(10);
        t.record("t", 0.0, &"é".repeat(500));
        assert_eq!(t.rows(|_| false)[0].last.as_ref().map(|(_, v)| v.chars().count()), Some(120));
    }
}
