//! Integration tests: the `ddf` binary run on fixture repositories built in temp dirs, with
//! hermetic Git (fixed author, committer and dates; no user or system config).

mod bad_input;
mod browser;
mod code_tags;
mod commands;
mod demo;
mod edit;
mod fuzz_found;
mod harness;
mod history;
mod hostile;
mod impact;
mod integrity;
mod limits;
mod lsp;
mod misleading;
mod review;
mod revisions;
mod sbom;
mod serve;
mod signatures;
mod site;
mod site_audit;
mod site_registers;
mod site_risk;
mod site_search;
mod standard;
mod submission;
mod verify;
mod vuln;
mod workflow;
