//! Exchange with the tools a team already uses: test results in (JUnit XML to verifications),
//! and source code naming the design records it implements (comment tags).

pub mod code_tags;
pub mod junit;
pub mod verify;
