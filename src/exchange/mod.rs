//! Exchange with the tools a team already uses: test results in (JUnit XML to verifications),
//! and source code naming the design records it implements (comment tags); out, the DDF as
//! ReqIF, CSV and XLSX for requirements tools and spreadsheets.

pub mod code_tags;
pub mod export;
pub mod junit;
pub mod verify;
