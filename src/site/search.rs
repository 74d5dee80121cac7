//! TODO skeleton for the search section (replaced before merge).

use super::render::Renderer;
use super::views::SiteView;
use super::{Input, OutFile, SiteError};

/// The section's pages.
pub fn pages(
    _r: &Renderer,
    _input: &Input<'_>,
    _site: &SiteView,
) -> Result<Vec<OutFile>, SiteError> {
    Ok(Vec::new())
}
