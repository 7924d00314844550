//! Certificate policies (RFC 5280 §6.1.2 (a), (d)–(f), (i)–(j); §6.1.3 (d)–(f); §6.1.4 (a),
//! (b), (h)–(j); §6.1.5 (a), (b), (g)): the valid policy tree, kept as levels of nodes that
//! name their parent, with the three counters that explicit policy, policy mapping and
//! anyPolicy are subject to. Qualifiers are not processed (they do not change a verdict).

use std::collections::BTreeSet;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

/// anyPolicy (2.5.29.32.0).
const ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x20, 0x00];

/// What the relying party asks of policies (RFC 5280 §6.1.1 (c), (e)–(g)).
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    /// Acceptable policies (DER OID contents); empty: any policy.
    pub initial_policies: Vec<Vec<u8>>,
    pub require_explicit_policy: bool,
    pub inhibit_policy_mapping: bool,
    pub inhibit_any_policy: bool,
}

struct Node {
    policy: Vec<u8>,
    expected: BTreeSet<Vec<u8>>,
    /// Index of the parent in the previous level (unused at the root).
    parent: usize,
    alive: bool,
}

/// The state of policy processing along one path.
pub(super) struct Policies {
    /// levels[0] is the root; levels[i] holds the nodes of certificate i. Empty: the NULL tree.
    levels: Vec<Vec<Node>>,
    explicit_policy: u64,
    policy_mapping: u64,
    inhibit_any_policy: u64,
}

/// The policies a certificate asserts: None without the extension.
fn asserted(cert: &X509Certificate<'_>) -> Option<Vec<Vec<u8>>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::CertificatePolicies(cp) => {
                Some(cp.iter().map(|p| p.policy_id.as_bytes().to_vec()).collect())
            }
            _ => None,
        })
}

impl Policies {
    /// The initial state for a path of `n` certificates (the anchor not counted).
    pub(super) fn new(settings: &PolicySettings, n: usize) -> Policies {
        let start = |inhibited: bool| if inhibited { 0 } else { n as u64 + 1 };
        Policies {
            levels: vec![vec![Node {
                policy: ANY_POLICY.to_vec(),
                expected: BTreeSet::from([ANY_POLICY.to_vec()]),
                parent: 0,
                alive: true,
            }]],
            explicit_policy: start(settings.require_explicit_policy),
            policy_mapping: start(settings.inhibit_policy_mapping),
            inhibit_any_policy: start(settings.inhibit_any_policy),
        }
    }

    fn is_null(&self) -> bool {
        !self
            .levels
            .first()
            .is_some_and(|l| l.iter().any(|n| n.alive))
    }

    /// §6.1.3 (d)–(f) for certificate `i` (1-based) of `n`; an error when no policy is left
    /// while one is required.
    pub(super) fn process(
        &mut self,
        cert: &X509Certificate<'_>,
        i: usize,
        n: usize,
        self_issued: bool,
    ) -> Result<(), String> {
        match asserted(cert) {
            Some(policies) if !self.is_null() => {
                let parents = self.levels.len() - 1;
                let mut level: Vec<Node> = Vec::new();
                let previous = &self.levels[parents];
                for policy in policies.iter().filter(|p| p.as_slice() != ANY_POLICY) {
                    let mut matched = false;
                    for (index, node) in previous.iter().enumerate() {
                        if node.alive && node.expected.contains(policy) {
                            level.push(child(policy, index));
                            matched = true;
                        }
                    }
                    if !matched {
                        for (index, node) in previous.iter().enumerate() {
                            if node.alive && node.policy == ANY_POLICY {
                                level.push(child(policy, index));
                            }
                        }
                    }
                }
                let any_allowed = self.inhibit_any_policy > 0 || (i < n && self_issued);
                if any_allowed && policies.iter().any(|p| p == ANY_POLICY) {
                    for (index, node) in previous.iter().enumerate() {
                        if !node.alive {
                            continue;
                        }
                        for expected in &node.expected {
                            let present = level
                                .iter()
                                .any(|c| c.parent == index && &c.policy == expected);
                            if !present {
                                level.push(child(expected, index));
                            }
                        }
                    }
                }
                self.levels.push(level);
                self.prune();
            }
            _ => self.levels.clear(),
        }
        if self.explicit_policy == 0 && self.is_null() {
            return Err("no certificate policy acceptable to every certificate of the path".into());
        }
        Ok(())
    }

    /// §6.1.4 (a), (b), (h)–(j) after intermediate certificate `i`.
    pub(super) fn prepare_next(
        &mut self,
        cert: &X509Certificate<'_>,
        self_issued: bool,
    ) -> Result<(), String> {
        for ext in cert.extensions() {
            if let ParsedExtension::PolicyMappings(pm) = ext.parsed_extension() {
                let mut mapped: Vec<(Vec<u8>, BTreeSet<Vec<u8>>)> = Vec::new();
                for m in &pm.mappings {
                    let (from, to) = (
                        m.issuer_domain_policy.as_bytes(),
                        m.subject_domain_policy.as_bytes(),
                    );
                    if from == ANY_POLICY || to == ANY_POLICY {
                        return Err("a policy mapping names anyPolicy".into());
                    }
                    match mapped.iter_mut().find(|(f, _)| f == from) {
                        Some((_, set)) => {
                            set.insert(to.to_vec());
                        }
                        None => mapped.push((from.to_vec(), BTreeSet::from([to.to_vec()]))),
                    }
                }
                self.map(&mapped);
            }
        }
        if !self_issued {
            for counter in [
                &mut self.explicit_policy,
                &mut self.policy_mapping,
                &mut self.inhibit_any_policy,
            ] {
                *counter = counter.saturating_sub(1);
            }
        }
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::PolicyConstraints(pc) => {
                    if let Some(r) = pc.require_explicit_policy {
                        self.explicit_policy = self.explicit_policy.min(u64::from(r));
                    }
                    if let Some(m) = pc.inhibit_policy_mapping {
                        self.policy_mapping = self.policy_mapping.min(u64::from(m));
                    }
                }
                ParsedExtension::InhibitAnyPolicy(iap) => {
                    self.inhibit_any_policy =
                        self.inhibit_any_policy.min(u64::from(iap.skip_certs));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn map(&mut self, mapped: &[(Vec<u8>, BTreeSet<Vec<u8>>)]) {
        if self.is_null() || self.levels.len() < 2 {
            return;
        }
        if self.policy_mapping == 0 {
            if let Some(level) = self.levels.last_mut() {
                for node in level.iter_mut() {
                    if mapped.iter().any(|(from, _)| *from == node.policy) {
                        node.alive = false;
                    }
                }
            }
            self.prune();
            return;
        }
        let Some(level) = self.levels.last_mut() else {
            return;
        };
        for (from, to) in mapped {
            let mut found = false;
            for node in level.iter_mut().filter(|n| n.alive && &n.policy == from) {
                node.expected = to.clone();
                found = true;
            }
            if !found {
                let any_parent = level
                    .iter()
                    .find(|n| n.alive && n.policy == ANY_POLICY)
                    .map(|n| n.parent);
                if let Some(parent) = any_parent {
                    level.push(Node {
                        policy: from.clone(),
                        expected: to.clone(),
                        parent,
                        alive: true,
                    });
                }
            }
        }
    }

    /// §6.1.5 (a), (b), (g) with the end-entity certificate: Ok when a policy is acceptable or
    /// none is required.
    pub(super) fn wrap_up(
        &mut self,
        ee: &X509Certificate<'_>,
        settings: &PolicySettings,
    ) -> Result<(), String> {
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        for ext in ee.extensions() {
            if let ParsedExtension::PolicyConstraints(pc) = ext.parsed_extension() {
                if pc.require_explicit_policy == Some(0) {
                    self.explicit_policy = 0;
                }
            }
        }
        if !settings.initial_policies.is_empty() && !self.is_null() {
            self.intersect(&settings.initial_policies);
        }
        if self.explicit_policy == 0 && self.is_null() {
            return Err(if settings.initial_policies.is_empty() {
                "the path requires an explicit policy and no policy is valid for all of it".into()
            } else {
                "no policy valid for the path is among the acceptable ones".into()
            });
        }
        Ok(())
    }

    /// §6.1.5 (g) (iii): keep what the user's policy set accepts.
    fn intersect(&mut self, acceptable: &[Vec<u8>]) {
        let depth = self.levels.len() - 1;
        // The anyPolicy leaf, whose place acceptable policies not otherwise present take.
        let any_leaf = self.levels[depth]
            .iter()
            .position(|n| n.alive && n.policy == ANY_POLICY);
        let mut present: BTreeSet<Vec<u8>> = BTreeSet::new();
        for d in 1..=depth {
            let (above, rest) = self.levels.split_at_mut(d);
            let parents = &above[d - 1];
            for node in rest[0].iter_mut() {
                let parent_is_any = parents
                    .get(node.parent)
                    .is_some_and(|p| p.alive && p.policy == ANY_POLICY);
                if !node.alive || !parent_is_any {
                    continue;
                }
                if node.policy != ANY_POLICY && !acceptable.contains(&node.policy) {
                    node.alive = false;
                } else {
                    present.insert(node.policy.clone());
                }
            }
            self.kill_orphans(d);
        }
        if let Some(leaf) = any_leaf {
            let parent = self.levels[depth][leaf].parent;
            for policy in acceptable.iter().filter(|p| !present.contains(*p)) {
                self.levels[depth].push(Node {
                    policy: policy.clone(),
                    expected: BTreeSet::from([policy.clone()]),
                    parent,
                    alive: true,
                });
            }
            self.levels[depth][leaf].alive = false;
        }
        self.prune();
    }

    /// Nodes at `depth` whose parent is gone go too.
    fn kill_orphans(&mut self, depth: usize) {
        if depth == 0 || depth >= self.levels.len() {
            return;
        }
        let (above, rest) = self.levels.split_at_mut(depth);
        for node in rest[0].iter_mut() {
            if !above[depth - 1].get(node.parent).is_some_and(|p| p.alive) {
                node.alive = false;
            }
        }
    }

    /// Removes every node above the deepest level that has no live child, then every node
    /// whose parent went.
    fn prune(&mut self) {
        let Some(deepest) = self.levels.len().checked_sub(1) else {
            return;
        };
        for d in (0..deepest).rev() {
            let (upper, lower) = self.levels.split_at_mut(d + 1);
            for (index, node) in upper[d].iter_mut().enumerate() {
                if node.alive && !lower[0].iter().any(|c| c.alive && c.parent == index) {
                    node.alive = false;
                }
            }
        }
        for d in 1..=deepest {
            self.kill_orphans(d);
        }
    }
}

fn child(policy: &[u8], parent: usize) -> Node {
    Node {
        policy: policy.to_vec(),
        expected: BTreeSet::from([policy.to_vec()]),
        parent,
        alive: true,
    }
}
