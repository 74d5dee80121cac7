//! [`Live`]: which records each trace-rule family treats as live (not obsolete), marked once.

use super::Ctx;
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;

/// The live (not obsolete) records of the types a rule family reads, shared by the design,
/// risk, security and supply-chain families (postmarket rules follow no links and use
/// `Ctx::of_type` directly).
///
/// Obsolete records are ignored by every trace rule, as subjects and as the other end of a
/// link, so rules ask "is record j a live RC?" once per link. Each record keeps its fields in
/// a hash map of its own, and on a DDF of tens of thousands of records reading `status` costs a
/// few cache misses; marking the live records of each type once turns every later test into
/// one array read.
pub(super) struct Live<'a> {
    corpus: &'a Corpus,
    graph: &'a Graph,
    /// The type of each live record of a listed type; `None` for the rest.
    types: Vec<Option<&'static str>>,
}

impl<'a> Live<'a> {
    /// Marks the live records of `types` (the types the family reads; any other type is never
    /// live for it).
    pub(super) fn new(ctx: &Ctx<'a>, types: &[&'static str]) -> Self {
        let mut marks = vec![None; ctx.corpus.records.len()];
        for &ty in types {
            for (i, _) in ctx.of_type(ty) {
                marks[i] = Some(ty);
            }
        }
        Live {
            corpus: ctx.corpus,
            graph: ctx.graph,
            types: marks,
        }
    }

    /// Whether record `j` is a live record of type `ty`.
    pub(super) fn is(&self, j: usize, ty: &str) -> bool {
        self.types.get(j).copied().flatten() == Some(ty)
    }

    /// Whether record `j` is a live record of one of `types`.
    pub(super) fn is_any(&self, j: usize, types: &[&str]) -> bool {
        self.types
            .get(j)
            .copied()
            .flatten()
            .is_some_and(|t| types.contains(&t))
    }

    /// The live records of type `ty`, in path order.
    pub(super) fn all(&self, ty: &'static str) -> impl Iterator<Item = (usize, &'a Record)> + '_ {
        let corpus = self.corpus;
        corpus
            .records_of(ty)
            .iter()
            .filter(move |&&i| self.is(i, ty))
            .map(move |&i| (i, &corpus.records[i]))
    }

    /// Live records of one of `types` that name record `i` in link field `field`, in corpus
    /// order, each once.
    pub(super) fn inbound(&self, i: usize, field: &str, types: &[&str]) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .graph
            .inbound(i, field)
            .filter(|&j| self.is_any(j, types))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Live records of one of `types` that record `i` names in link field `field`, in corpus
    /// order, each once.
    pub(super) fn outbound(&self, i: usize, field: &str, types: &[&str]) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .graph
            .outbound(i, field)
            .filter(|&j| self.is_any(j, types))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The ids of `idxs`, sorted and comma-separated, for messages.
    pub(super) fn ids(&self, idxs: &[usize]) -> String {
        let mut ids: Vec<&str> = idxs
            .iter()
            .filter_map(|&j| self.corpus.records.get(j))
            .map(|r| r.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.join(", ")
    }
}
