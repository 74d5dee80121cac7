//! ddf: a Git-native toolchain for the Design and Development File of a medical device.
//!
//! Records are Markdown files with YAML front-matter in a Git repository. Data flows one way:
//! [`source`] (working tree or Git revision) -> [`record`] parsing -> [`corpus::Corpus`] ->
//! [`graph::Graph`] -> [`rules`], [`trace`], [`check`], [`impact`] -> output
//! (the terminal, or the static site of [`site`]). The `ddf` binary is a thin layer
//! over this library ([`cli`]).

pub mod check;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod date;
pub mod diagnostic;
pub mod edit;
pub mod exchange;
pub mod front_matter;
pub mod fsafe;
pub mod graph;
pub mod history;
pub mod ids;
pub mod impact;
pub mod integrity;
pub mod lsp;
pub mod mentions;
pub mod progress;
pub mod record;
pub mod review;
pub mod risk;
pub mod risk_plan;
pub mod rules;
pub mod sbom;
pub mod schema;
pub mod signer;
pub mod site;
pub mod source;
pub mod submission;
pub mod templates;
pub mod trace;
pub mod validation;
pub mod vuln;
