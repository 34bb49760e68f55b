//! Hash maps and sets for the audit's hot lookups (ARNs, ids, fingerprints by the hundred
//! thousand): foldhash instead of std's SipHash, which is built to resist hash flooding by
//! a network peer and costs several times more per key. Seeds stay random per process.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
