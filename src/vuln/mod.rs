//! Vulnerabilities: offline matching of components against OSV advisories, CVSS scoring and the
//! exploitability level, the CISA KEV catalogue, VULN records written from the matches, and the
//! release's VEX written from their assessments (CycloneDX and CSAF).
//!
//! Everything reads local files, so a scan runs in CI and on an air-gapped machine alike, and
//! the same database gives the same answer every time.

pub mod affected;
pub mod csaf;
pub mod cvss;
pub mod distro;
pub mod kev;
pub mod osv;
pub mod osv_head;
pub mod osv_index;
pub mod record;
pub mod scan;
pub mod version;
pub mod vex;
