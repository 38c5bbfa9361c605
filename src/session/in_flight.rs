//! The in-flight QoS 1 and 2 publishes by packet id. MQTT 3.1.1 puts no limit on how many are in
//! flight (up to 65,535), and an acknowledgement must find its publish at once: an entry list plus
//! an index of 65,536 slots (128 KiB, allocated with the first entry) gives lookup, insertion and
//! removal in constant time. A `BTreeMap` did the same and cost the npm package 4 KB gzipped.

#[derive(Debug, Clone)]
pub struct InFlight<V> {
    entries: Vec<(u16, V)>,
    /// Packet id → position in `entries` + 1; 0: not in flight.
    index: Vec<u16>,
}

impl<V> Default for InFlight<V> {
    fn default() -> Self {
        Self { entries: Vec::new(), index: Vec::new() }
    }
}

impl<V> InFlight<V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, id: u16) -> Option<usize> {
        match self.index.get(usize::from(id)) {
            Some(&p) if p > 0 => Some(usize::from(p) - 1),
            _ => None,
        }
    }

    pub fn contains(&self, id: u16) -> bool {
        self.position(id).is_some()
    }

    pub fn get(&self, id: u16) -> Option<&V> {
        self.entries.get(self.position(id)?).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, id: u16) -> Option<&mut V> {
        let p = self.position(id)?;
        self.entries.get_mut(p).map(|(_, v)| v)
    }

    /// Puts `value` in flight under `id`, replacing what was there. Packet id 0 is never used.
    pub fn insert(&mut self, id: u16, value: V) {
        if let Some(old) = self.get_mut(id) {
            *old = value;
            return;
        }
        if self.index.is_empty() {
            self.index = vec![0; 1 << 16];
        }
        self.entries.push((id, value));
        // At most 65,535 ids besides 0, so the position + 1 fits.
        let p = self.entries.len() as u16;
        self.set(id, p);
    }

    /// Index slot `id` (the index has one for every u16).
    fn set(&mut self, id: u16, p: u16) {
        if let Some(slot) = self.index.get_mut(usize::from(id)) {
            *slot = p;
        }
    }

    pub fn remove(&mut self, id: u16) -> Option<V> {
        let p = self.position(id)?;
        self.set(id, 0);
        let (_, value) = self.entries.swap_remove(p);
        if let Some(&(moved, _)) = self.entries.get(p) {
            self.set(moved, p as u16 + 1);
        }
        Some(value)
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &V)> {
        self.entries.iter().map(|(id, v)| (*id, v))
    }

    pub fn clear(&mut self) {
        for (id, _) in std::mem::take(&mut self.entries) {
            self.set(id, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    // The table against a B-tree, over inserts, replacements and removals in a scrambled order.
    #[test]
    fn behaves_as_a_map() {
        let (mut table, mut oracle) = (InFlight::default(), BTreeMap::new());
        let mut x: u32 = 7;
        for step in 0..200_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let id = (x >> 8) as u16 % 2_000 + 1;
            if x % 3 == 0 {
                assert_eq!(table.remove(id), oracle.remove(&id), "step {step}");
            } else {
                table.insert(id, step);
                oracle.insert(id, step);
            }
            assert_eq!(table.len(), oracle.len());
            assert_eq!(table.get(id), oracle.get(&id));
        }
        let mut all: Vec<(u16, u32)> = table.iter().map(|(id, v)| (id, *v)).collect();
        all.sort_unstable();
        assert_eq!(all, oracle.into_iter().collect::<Vec<_>>());
        table.clear();
        assert!(table.is_empty() && !table.contains(1) && table.get(2).is_none());
    }

    #[test]
    fn every_packet_id_can_be_in_flight_at_once() {
        let mut table = InFlight::default();
        for id in 1..=u16::MAX {
            table.insert(id, id);
        }
        assert_eq!(table.len(), 65_535);
        assert_eq!(table.remove(1), Some(1));
        assert_eq!(table.get(u16::MAX), Some(&u16::MAX));
        assert_eq!(table.remove(u16::MAX), Some(u16::MAX));
        assert_eq!(table.len(), 65_533);
    }
}
