//! Exchange with the tools a team already uses: test results in (JUnit XML to verifications),
//! source code naming the design records it implements (comment tags), and records imported from
//! the requirements tools a team is leaving (Doorstop, StrictDoc, ReqIF, CSV and XLSX); out, the
//! DDF as ReqIF, CSV and XLSX for requirements tools and spreadsheets.

pub mod code_tags;
pub mod export;
pub mod import;
pub mod junit;
pub mod verify;
