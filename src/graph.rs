//! The trace graph: resolved links, their inverse, upstream and downstream walks, and cycles.
//!
//! Links are written once, on the downstream record, pointing upstream. "Upstream of X" follows
//! written links; "downstream of X" follows them backwards. The graph is built once per corpus;
//! every lookup afterwards is an index into adjacency lists.

use crate::corpus::Corpus;
use std::collections::{HashMap, VecDeque};

/// One resolved link, seen from one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The record at the other end.
    pub other: usize,
    /// Index of the link field name in [`Graph::field_name`].
    field: u16,
    /// Whether trace walks follow it.
    pub trace: bool,
}

/// A record reached by a walk, with the path that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The record reached.
    pub index: usize,
    /// Records from the start (excluded) to `index` (included).
    pub via: Vec<usize>,
}

/// Resolved links of a corpus.
#[derive(Debug, Default)]
pub struct Graph {
    out: Vec<Vec<Edge>>,
    inc: Vec<Vec<Edge>>,
    fields: Vec<String>,
}

impl Graph {
    /// Resolves the links of every record. Links to unknown ids and self-links are left out (the
    /// structure rules report them); a link to an id that two records share resolves to the
    /// first of them in path order, as `Corpus::by_id` does.
    pub fn build(corpus: &Corpus) -> Graph {
        let n = corpus.records.len();
        let mut g = Graph {
            out: vec![Vec::new(); n],
            inc: vec![Vec::new(); n],
            fields: Vec::new(),
        };
        let mut field_ids: HashMap<&str, u16> = HashMap::new();
        for (i, r) in corpus.records.iter().enumerate() {
            for l in &r.links {
                let Some(&j) = corpus.by_id.get(&l.target) else {
                    continue;
                };
                if i == j {
                    continue;
                }
                let next = field_ids.len() as u16;
                let f = *field_ids.entry(l.field.as_str()).or_insert_with(|| {
                    g.fields.push(l.field.clone());
                    next
                });
                g.out[i].push(Edge {
                    other: j,
                    field: f,
                    trace: l.trace,
                });
                g.inc[j].push(Edge {
                    other: i,
                    field: f,
                    trace: l.trace,
                });
            }
        }
        g
    }

    /// The name of an edge's link field.
    pub fn field_name(&self, e: &Edge) -> &str {
        self.fields.get(e.field as usize).map_or("", String::as_str)
    }

    /// Links written on record `i`.
    pub fn out(&self, i: usize) -> &[Edge] {
        self.out.get(i).map_or(&[], Vec::as_slice)
    }

    /// Links pointing at record `i`.
    pub fn inc(&self, i: usize) -> &[Edge] {
        self.inc.get(i).map_or(&[], Vec::as_slice)
    }

    /// Records that name `i` in link field `field`.
    pub fn inbound<'a>(&'a self, i: usize, field: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.inc(i)
            .iter()
            .filter(move |e| self.field_name(e) == field)
            .map(|e| e.other)
    }

    /// Records that `i` names in link field `field`.
    pub fn outbound<'a>(&'a self, i: usize, field: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.out(i)
            .iter()
            .filter(move |e| self.field_name(e) == field)
            .map(|e| e.other)
    }

    /// Every record upstream of `start` (following written trace links), nearest first, each with
    /// the shortest path that reaches it.
    pub fn upstream(&self, start: usize) -> Vec<Reached> {
        self.walk(start, &self.out)
    }

    /// Every record downstream of `start` (following links backwards), nearest first.
    pub fn downstream(&self, start: usize) -> Vec<Reached> {
        self.walk(start, &self.inc)
    }

    fn walk(&self, start: usize, adj: &[Vec<Edge>]) -> Vec<Reached> {
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut order = Vec::new();
        let mut queue = VecDeque::from([start]);
        parent.insert(start, start);
        while let Some(i) = queue.pop_front() {
            let mut next: Vec<usize> = adj.get(i).map_or(Vec::new(), |es| {
                es.iter().filter(|e| e.trace).map(|e| e.other).collect()
            });
            next.sort_unstable();
            for j in next {
                if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(j) {
                    v.insert(i);
                    order.push(j);
                    queue.push_back(j);
                }
            }
        }
        order
            .into_iter()
            .map(|j| {
                let mut via = vec![j];
                let mut k = j;
                while let Some(&p) = parent.get(&k) {
                    if p == start {
                        break;
                    }
                    via.push(p);
                    k = p;
                }
                via.reverse();
                Reached { index: j, via }
            })
            .collect()
    }

    /// Groups of records whose written trace links form a cycle (strongly connected components
    /// with more than one record), each sorted, in order of their first record.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        // Tarjan's algorithm, iterative so a long chain cannot overflow the stack.
        let n = self.out.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next = 0;
        let mut out = Vec::new();
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut call: Vec<(usize, usize)> = vec![(root, 0)];
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut ei)) = call.last_mut() {
                let edges = &self.out[v];
                if *ei < edges.len() {
                    let e = edges[*ei];
                    *ei += 1;
                    if !e.trace {
                        continue;
                    }
                    let w = e.other;
                    if index[w] == usize::MAX {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        call.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                } else {
                    call.pop();
                    if let Some(&(parent, _)) = call.last() {
                        low[parent] = low[parent].min(low[v]);
                    }
                    if low[v] == index[v] {
                        let mut comp = Vec::new();
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            comp.push(w);
                            if w == v {
                                break;
                            }
                        }
                        if comp.len() > 1 {
                            comp.sort_unstable();
                            out.push(comp);
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }
}
