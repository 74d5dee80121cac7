//! placeholder
use super::Ctx;
pub(super) fn run(_ctx: &mut Ctx<'_>) {}
