//! A map and a set kept in a `Vec`, searched linearly, for the client's bookkeeping: pending
//! requests, handlers, timers, in-flight messages. Each holds a handful of entries (at most the
//! broker's Receive Maximum, or the requests awaiting an answer), where a scan is as fast as
//! hashing, and each instantiation is a few small functions: `std`'s `HashMap` cost about 1.8 KB
//! of wasm per key and value type, 22 of them in the package.
//!
//! Insertion order is kept until an entry is removed (removal swaps the last entry into its place).

use std::borrow::Borrow;

#[derive(Debug, Clone)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: PartialEq, V> VecMap<K, V> {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    fn position<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.0.iter().position(|(k, _)| k.borrow() == key)
    }

    /// Sets `key` to `value`; returns the value it had.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    pub fn get<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.0.iter().find(|(k, _)| k.borrow() == key).map(|(_, v)| v)
    }

    pub fn get_mut<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.0.iter_mut().find(|(k, _)| (*k).borrow() == key).map(|(_, v)| v)
    }

    pub fn contains_key<Q: PartialEq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_some()
    }

    pub fn remove<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| self.0.swap_remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes every entry out.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (K, V)> {
        self.0.drain(..)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> VecMap<K, V> {
    /// Entries whose keys are known to be distinct (taken from another map): no search per entry,
    /// so a large map is built in linear time.
    pub fn from_distinct(entries: Vec<(K, V)>) -> Self {
        Self(entries)
    }
}

/// Collects as [`VecMap::insert`] does: a key given twice keeps its last value (a search per
/// entry; see [`VecMap::from_distinct`] for many).
impl<K: PartialEq, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = Self::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }
}

/// A set kept in a `Vec`; see [`VecMap`].
#[derive(Debug, Clone)]
pub struct VecSet<T>(VecMap<T, ()>);

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        Self(VecMap::default())
    }
}

impl<T: PartialEq> VecSet<T> {
    pub fn new() -> Self {
        Self(VecMap::new())
    }

    /// Adds `value`; returns whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        self.0.insert(value, ()).is_none()
    }

    pub fn contains<Q: PartialEq + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.0.contains_key(value)
    }

    /// Takes `value` out; returns whether it was there.
    pub fn remove<Q: PartialEq + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.0.remove(value).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.keys()
    }
}

/// Sorts in place with a heapsort: O(n log n) and a few hundred bytes of wasm, where `std`'s sort
/// brought 2.6 KB (and its panic paths) into the npm package for each type it sorted.
pub fn heapsort<T: Ord>(v: &mut [T]) {
    /// Moves `v[root]` down its heap; `v` is the heap (no index outside it, so no panic path).
    fn sift_down<T: Ord>(v: &mut [T], mut root: usize) {
        loop {
            let mut child = 2 * root + 1;
            let Some(left) = v.get(child) else { return };
            if v.get(child + 1).is_some_and(|right| left < right) {
                child += 1;
            }
            match (v.get(root), v.get(child)) {
                (Some(parent), Some(larger)) if parent < larger => v.swap(root, child),
                _ => return,
            }
            root = child;
        }
    }
    for start in (0..v.len() / 2).rev() {
        sift_down(v, start);
    }
    // The largest left goes last; the heap shrinks by one each time.
    let mut heap = v;
    while let Some((last, rest)) = heap.split_last_mut() {
        if let Some(first) = rest.first_mut() {
            std::mem::swap(first, last);
        }
        sift_down(rest, 0);
        heap = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collected_map_keeps_the_last_value_of_a_key_in_first_seen_order() {
        let m: VecMap<u8, char> = [(1, 'a'), (2, 'b'), (1, 'c')].into_iter().collect();
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&1, &'c'), (&2, &'b')]);
        let d = VecMap::from_distinct(vec![(3, 'x'), (1, 'y')]);
        assert_eq!((d.get(&1), d.get(&3), d.len()), (Some(&'y'), Some(&'x'), 2));
    }

    #[test]
    fn a_map_inserts_replaces_finds_and_removes() {
        let mut m = VecMap::new();
        assert_eq!(m.insert("a".to_string(), 1), None);
        assert_eq!(m.insert("b".to_string(), 2), None);
        assert_eq!(m.insert("a".to_string(), 3), Some(1), "one entry per key");
        assert_eq!((m.len(), m.get("a"), m.get("z")), (2, Some(&3), None));
        *m.get_mut("b").unwrap() += 10;
        assert_eq!(m.remove("b"), Some(12));
        assert_eq!(m.remove("b"), None);
        assert!(m.contains_key("a") && !m.contains_key("b"));
        m.insert("c".to_string(), 4);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(m.drain().collect::<Vec<_>>(), [("a".to_string(), 3), ("c".to_string(), 4)]);
        assert!(m.is_empty());
    }

    #[test]
    fn a_set_holds_each_value_once() {
        let mut s = VecSet::new();
        assert!(s.insert(7u16));
        assert!(!s.insert(7));
        assert!(s.insert(8));
        assert!(s.contains(&7) && !s.contains(&9));
        assert_eq!(s.iter().collect::<Vec<_>>(), [&7, &8]);
        assert!(s.remove(&7) && !s.remove(&7));
        assert_eq!((s.len(), s.contains(&7), s.contains(&8)), (1, false, true));
        s.clear();
        assert!(s.is_empty());
    }

    // Agrees with std's HashMap over a random sequence of operations.
    #[test]
    fn a_map_matches_std_over_random_operations() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut ours = VecMap::new();
        let mut std_map = std::collections::HashMap::new();
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let key = (seed % 64) as u16;
            match seed % 3 {
                0 => assert_eq!(ours.insert(key, seed), std_map.insert(key, seed)),
                1 => assert_eq!(ours.remove(&key), std_map.remove(&key)),
                _ => assert_eq!(ours.get(&key), std_map.get(&key)),
            }
            assert_eq!(ours.len(), std_map.len());
        }
    }

    #[test]
    fn heapsort_sorts_as_std_does() {
        let mut x: u64 = 1;
        for n in [0, 1, 2, 3, 7, 100, 1_000] {
            let mut v: Vec<(u64, u16)> = (0..n)
                .map(|i| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (x >> 50, i as u16)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            heapsort(&mut v);
            assert_eq!(v, expected, "{n}");
        }
    }
}
