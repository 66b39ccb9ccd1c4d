//! What a variant's operations may refer to by name, for the resolvers of [`super::resolve`]
//! and [`super::ran`].

use radio::inventory::Inventory;
use radio::kpi::LinkProfile;
use transport::topology::Topology;

/// What an operation may refer to; `None` where that part of the scenario did not load (its
/// own diagnostics say why, and names in it are not checked again).
#[derive(Clone, Copy)]
pub(super) struct Names<'a> {
    pub(super) inv: Option<&'a Inventory>,
    pub(super) topo: Option<&'a Topology>,
    pub(super) profiles: &'a Profiles,
    /// The analysis grid, where the sites and the scene are known: where a new site may stand.
    pub(super) grid: Option<super::place::Extent>,
}

/// The scenario's profiles by name (the built-in first) and the one every cell starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// `(name, profile)`, the built-in `tr36942` first.
    pub named: Vec<(String, LinkProfile)>,
    /// The profile of `[ran] default_profile`.
    pub default: LinkProfile,
}

impl Profiles {
    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Option<LinkProfile> {
        self.named.iter().find(|(n, _)| n == name).map(|(_, p)| *p)
    }
}

/// The inventory index of the cell called `id`.
pub(super) fn cell_index(inv: &Inventory, id: &str) -> Option<usize> {
    inv.cells.iter().position(|c| c.id == id)
}
