//! The state stage: what a variant's network looks like between two timeline changes.
//!
//! A variant's timeline cuts the window into states; [`states`] applies its changes, in order,
//! to the baseline's network. Changes due at the same interval make one state. Each state is
//! plain data the later stages read: the cells and which are on, where sites are homed, the
//! topology with its failures and capacities, traffic scaling, and the settlement state.

use std::collections::BTreeSet;

use radio::Cell;
use radio::kpi::LinkProfile;
use transport::topology::{NodeId, Topology};

use crate::error::ScenarioError;
use crate::scenario::{Change, Plan, Scheduled};
use crate::settlement::{RateCard, SettlementMode};

/// A traffic scaling from a scale-traffic change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaling {
    /// Factor from `since` on.
    pub factor: f64,
    /// Compound growth per year from `since` on.
    pub growth_per_year: f64,
    /// The first interval it applies to.
    pub since: usize,
}

/// The product of `scalings` at interval `k`: each one's factor, compounded by its growth over
/// the years since it began.
fn factor_of(scalings: &[Scaling], k: usize, interval_s: f64) -> f64 {
    scalings
        .iter()
        .map(|s| {
            let years = (k.saturating_sub(s.since)) as f64 * interval_s / (365.0 * 86_400.0);
            s.factor * (1.0 + s.growth_per_year).powf(years)
        })
        .product()
}

/// What a variant's network looks like during a span of intervals.
#[derive(Debug, Clone)]
pub struct State {
    /// The first interval of the state.
    pub from: usize,
    /// The cells: the inventory's, then those of sites added by the variant.
    pub cells: Vec<Cell>,
    /// Whether each cell is on.
    pub active: Vec<bool>,
    /// Site index of each cell (sites added by variants come after the inventory's).
    pub site_of: Vec<usize>,
    /// Each cell's RAN feature profile.
    pub ran: Vec<LinkProfile>,
    /// The sector each cell belongs to: the index of the sector's first carrier (the cell
    /// itself, except for carriers added by `add-carrier`). A sector's carriers share its
    /// traffic.
    pub sector_of: Vec<usize>,
    /// Transport node of each site.
    pub homing: Vec<NodeId>,
    /// The topology with the state's failures and capacities.
    pub topology: Topology,
    /// Traffic scalings per inventory cell.
    pub scale: Vec<Vec<Scaling>>,
    /// Scalings of the roaming settlement usage (`scale-traffic` with `roaming = true`).
    pub usage_scale: Vec<Scaling>,
    /// Roaming partners removed so far.
    pub partners_removed: BTreeSet<String>,
    /// Roaming partners added so far.
    pub partners_added: BTreeSet<String>,
    /// The rate cards in force.
    pub rates: Vec<RateCard>,
    /// How the settlement system clears records.
    pub mode: SettlementMode,
}

impl State {
    /// The baseline's network at the window's start.
    pub fn baseline(plan: &Plan) -> State {
        let inv = &plan.inventory;
        State {
            from: 0,
            cells: inv.cells.clone(),
            active: vec![true; inv.cells.len()],
            site_of: inv
                .cells
                .iter()
                .map(|c| inv.sites.iter().position(|s| s.id == c.site_id).unwrap_or(0))
                .collect(),
            ran: plan.ran.clone(),
            sector_of: (0..inv.cells.len()).collect(),
            homing: plan.homing.clone(),
            topology: plan.topology.clone(),
            scale: vec![Vec::new(); inv.cells.len()],
            usage_scale: Vec::new(),
            partners_removed: BTreeSet::new(),
            partners_added: BTreeSet::new(),
            rates: plan.rate_cards.clone(),
            mode: plan.settlement,
        }
    }

    /// The traffic factor of inventory cell `cell` at interval `k`.
    pub fn traffic_factor(&self, cell: usize, k: usize, interval_s: f64) -> f64 {
        factor_of(&self.scale[cell], k, interval_s)
    }

    /// The factor on the roaming settlement usage of interval `k`.
    pub fn usage_factor(&self, k: usize, interval_s: f64) -> f64 {
        factor_of(&self.usage_scale, k, interval_s)
    }

    /// Everything the cell-load stage of an interval depends on in this state, as text: two
    /// states with the same descriptor load their cells the same way in the same interval.
    pub fn load_descriptor(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.cells, self.active, self.ran, self.sector_of, self.site_of, self.scale
        )
    }

    /// Indices of the links (in the topology's order) down in this state: failed, or with a
    /// failed end node.
    pub fn links_down(&self) -> Vec<usize> {
        let t = &self.topology;
        t.link_ids()
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let up = t.link(**l).is_ok_and(|x| x.up);
                let ends_up = t.endpoints(**l).is_ok_and(|(a, b)| {
                    t.node(a).is_ok_and(|n| n.up) && t.node(b).is_ok_and(|n| n.up)
                });
                !(up && ends_up)
            })
            .map(|(j, _)| j)
            .collect()
    }

    /// Applies `change`, due at interval `k`.
    pub fn apply(&mut self, change: &Change, k: usize) -> Result<(), ScenarioError> {
        match change {
            Change::SetTilt { cells, deg } => {
                for &c in cells {
                    self.reorient(c, |o| o.mech_tilt_deg = *deg)?;
                }
            }
            Change::SetAzimuth { cells, deg } => {
                for &c in cells {
                    self.reorient(c, |o| o.azimuth_deg = *deg)?;
                }
            }
            Change::SetPower { cells, dbm } => {
                for &c in cells {
                    self.cells[c].tx_power_dbm = *dbm;
                }
            }
            Change::AddSite { site, x_m, y_m, like, height_m, node } => {
                self.add_site(site, (*x_m, *y_m), *like, *height_m, *node)?;
            }
            Change::RemoveCell { cell } => self.active[*cell] = false,
            Change::Rehome { site, node } => self.homing[*site] = *node,
            Change::Network(op) => op.apply(&mut self.topology)?,
            Change::ScaleTraffic { cells, factor, growth_per_year, roaming } => {
                let scaling =
                    Scaling { factor: *factor, growth_per_year: *growth_per_year, since: k };
                let targets: Vec<usize> =
                    if cells.is_empty() { (0..self.scale.len()).collect() } else { cells.clone() };
                let n = self.scale.len();
                for c in targets.into_iter().filter(|&c| c < n) {
                    self.scale[c].push(scaling);
                }
                if *roaming {
                    self.usage_scale.push(scaling);
                }
            }
            Change::AddPartner { carrier } => {
                self.partners_removed.remove(carrier);
                self.partners_added.insert(carrier.clone());
            }
            Change::RemovePartner { carrier } => {
                self.partners_removed.insert(carrier.clone());
            }
            Change::SetRate { home, visited, service, price_per_unit } => {
                let currency = self.rates.first().map_or("EUR".to_string(), |r| r.currency.clone());
                self.rates.retain(|r| {
                    !(&r.home == home && &r.visited == visited && r.service == *service)
                });
                self.rates.push(RateCard {
                    home: home.clone(),
                    visited: visited.clone(),
                    service: *service,
                    price_per_unit: *price_per_unit,
                    currency,
                });
            }
            Change::SettlementMode(mode) => self.mode = *mode,
            _ => self.apply_ran(change)?,
        }
        Ok(())
    }

    /// Applies a change to the radio access: antennas, carriers, features.
    fn apply_ran(&mut self, change: &Change) -> Result<(), ScenarioError> {
        match change {
            Change::SetElectricalTilt { cells, deg } => {
                for &c in cells {
                    self.reorient(c, |o| o.elec_tilt_deg = *deg)?;
                }
            }
            Change::SetBandwidth { cells, hz } => {
                for &c in cells {
                    self.cells[c].bandwidth_hz = *hz;
                }
            }
            Change::SetMimoLayers { cells, layers } => {
                for &c in cells {
                    self.ran[c].mimo_layers = *layers;
                }
            }
            Change::SetPattern { cells, pattern } => {
                for &c in cells {
                    let a = &self.cells[c].antenna;
                    self.cells[c].antenna =
                        radio::Antenna::new(pattern.clone(), a.polarization, a.orientation)
                            .map_err(radio::RadioError::from)?;
                }
            }
            Change::SetProfile { cells, profile } => {
                for &c in cells {
                    self.ran[c] = *profile;
                }
            }
            Change::AddCarrier { cells, freq_hz, bandwidth_hz, power_dbm } => {
                for &c in cells {
                    let mut carrier = self.cells[c].clone();
                    carrier.id = crate::scenario::carrier_id(&carrier.id, *freq_hz);
                    carrier.freq_hz = *freq_hz;
                    carrier.bandwidth_hz = *bandwidth_hz;
                    carrier.tx_power_dbm = power_dbm.unwrap_or(carrier.tx_power_dbm);
                    self.push_cell(carrier, self.site_of[c], self.ran[c], self.sector_of[c]);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Appends a cell, on, at site `site`, in sector `sector`.
    fn push_cell(&mut self, cell: Cell, site: usize, ran: LinkProfile, sector: usize) {
        self.cells.push(cell);
        self.active.push(true);
        self.site_of.push(site);
        self.ran.push(ran);
        self.sector_of.push(sector);
    }

    /// Points cell `c`'s antenna anew.
    fn reorient(
        &mut self,
        c: usize,
        change: impl FnOnce(&mut radio::antenna::Orientation),
    ) -> Result<(), ScenarioError> {
        self.cells[c].antenna = reoriented(&self.cells[c].antenna, change)?;
        Ok(())
    }

    /// Three sectors (0°, 120°, 240°) copying cell `like`, at a new site homed to `node`.
    fn add_site(
        &mut self,
        site: &str,
        (x_m, y_m): (f64, f64),
        like: usize,
        height_m: Option<f64>,
        node: NodeId,
    ) -> Result<(), ScenarioError> {
        let template = self.cells[like].clone();
        let site_index = self.homing.len();
        self.homing.push(node);
        for (i, az) in [0.0, 120.0, 240.0].into_iter().enumerate() {
            let mut c = template.clone();
            c.id = format!("{site}-{}", i + 1);
            c.site_id = site.to_string();
            c.position = radio::vec3(x_m, y_m, height_m.unwrap_or(template.position.z));
            c.antenna = reoriented(&c.antenna, |o| o.azimuth_deg = az)?;
            let (ran, sector) = (self.ran[like], self.cells.len());
            self.push_cell(c, site_index, ran, sector);
        }
        Ok(())
    }
}

fn reoriented(
    a: &radio::Antenna,
    change: impl FnOnce(&mut radio::antenna::Orientation),
) -> Result<radio::Antenna, ScenarioError> {
    let mut o = a.orientation;
    change(&mut o);
    Ok(radio::Antenna::new(a.pattern.clone(), a.polarization, o)
        .map_err(radio::RadioError::from)?)
}

/// The states of a variant: the baseline's network with `timeline` applied. Changes due at the
/// same interval make one state.
pub fn states(plan: &Plan, timeline: &[Scheduled]) -> Result<Vec<State>, ScenarioError> {
    let mut states = vec![State::baseline(plan)];
    for s in timeline {
        let mut next = states.last().cloned().unwrap_or_else(|| State::baseline(plan));
        next.from = s.interval;
        next.apply(&s.change, s.interval)?;
        if states.last().is_some_and(|l| l.from == s.interval) {
            states.pop();
        }
        states.push(next);
    }
    Ok(states)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;

    #[test]
    fn changes_at_one_interval_make_one_state_and_later_ones_a_new_state() {
        let plan = small_plan();
        let tilt = |deg| Change::SetTilt { cells: vec![0, 1], deg };
        let timeline = [
            Scheduled { interval: 0, change: Change::SetPower { cells: vec![2], dbm: 40.0 } },
            Scheduled { interval: 3, change: tilt(6.0) },
            Scheduled { interval: 3, change: Change::RemoveCell { cell: 4 } },
            Scheduled { interval: 5, change: tilt(8.0) },
        ];
        let s = states(&plan, &timeline).unwrap();
        assert_eq!(s.iter().map(|s| s.from).collect::<Vec<_>>(), [0, 3, 5]);
        assert_eq!(s[0].cells[2].tx_power_dbm, 40.0, "a change at 0 replaces the baseline state");
        assert_eq!(s[1].cells[0].antenna.orientation.mech_tilt_deg, 6.0);
        assert!(!s[1].active[4] && s[0].active[4]);
        assert_eq!(s[2].cells[1].antenna.orientation.mech_tilt_deg, 8.0);
        assert!(!s[2].active[4], "a later state keeps the earlier changes");
        assert_eq!(s[2].cells[2].tx_power_dbm, 40.0);
    }

    #[test]
    fn a_new_site_adds_three_sectors_homed_where_it_says() {
        let plan = small_plan();
        let node = plan.homing[1];
        let add = Change::AddSite {
            site: "N".into(),
            x_m: 200.0,
            y_m: 50.0,
            like: 0,
            height_m: Some(30.0),
            node,
        };
        let s = states(&plan, &[Scheduled { interval: 2, change: add }]).unwrap();
        let last = &s[1];
        let n = plan.inventory.cells.len();
        assert_eq!(last.cells.len(), n + 3);
        let ids: Vec<&str> = last.cells[n..].iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["N-1", "N-2", "N-3"]);
        let az: Vec<f64> =
            last.cells[n..].iter().map(|c| c.antenna.orientation.azimuth_deg).collect();
        assert_eq!(az, [0.0, 120.0, 240.0]);
        assert_eq!(last.cells[n].position.z, 30.0);
        let site = plan.inventory.sites.len();
        assert_eq!(last.site_of[n..], [site; 3], "the new site comes after the inventory's");
        assert_eq!(last.homing[site], node);
        assert_eq!(s[0].cells.len(), n, "before the change the site is not there");
        assert_eq!(last.sector_of[n..], [n, n + 1, n + 2], "each new cell is its own sector");
    }

    #[test]
    fn radio_access_changes_reach_their_cells_and_a_carrier_joins_its_sector() {
        let plan = small_plan();
        let n = plan.inventory.cells.len();
        let profile = LinkProfile { mimo_layers: 4, ..LinkProfile::TR36942 };
        let timeline = [
            Change::SetElectricalTilt { cells: vec![0], deg: 9.0 },
            Change::SetBandwidth { cells: vec![1], hz: 40e6 },
            Change::SetProfile { cells: vec![2], profile },
            Change::SetMimoLayers { cells: vec![2], layers: 2 },
            Change::SetPattern { cells: vec![3], pattern: radio::Pattern::default_macro() },
            Change::AddCarrier {
                cells: vec![1],
                freq_hz: 1.8e9,
                bandwidth_hz: 10e6,
                power_dbm: None,
            },
        ]
        .map(|change| Scheduled { interval: 1, change });
        let s = states(&plan, &timeline).unwrap();
        let last = &s[1];
        assert_eq!(last.cells[0].antenna.orientation.elec_tilt_deg, 9.0);
        assert_eq!(
            last.cells[0].antenna.orientation.mech_tilt_deg,
            plan.inventory.cells[0].antenna.orientation.mech_tilt_deg
        );
        assert_eq!(last.cells[1].bandwidth_hz, 40e6);
        assert_eq!(last.ran[2].mimo_layers, 2, "the later change wins");
        assert_eq!(last.cells[3].antenna.pattern, radio::Pattern::default_macro());
        assert_eq!(last.cells.len(), n + 1);
        let carrier = &last.cells[n];
        assert_eq!(carrier.id, format!("{}@1800", plan.inventory.cells[1].id));
        assert_eq!((carrier.freq_hz, carrier.bandwidth_hz), (1.8e9, 10e6));
        assert_eq!(carrier.tx_power_dbm, last.cells[1].tx_power_dbm);
        assert_eq!(carrier.position, last.cells[1].position);
        assert_eq!(last.sector_of[n], 1, "the carrier shares cell 1's sector");
        assert_eq!(last.site_of[n], last.site_of[1]);
        assert_eq!(s[0].ran[2], LinkProfile::TR36942);
    }

    #[test]
    fn network_changes_fail_links_and_scaling_compounds_from_its_interval() {
        let plan = small_plan();
        let links = transport::whatif::resolve_links(&plan.topology, "AGG1-AGG2").unwrap();
        let fail = Change::Network(transport::whatif::Operation::FailLinks(links));
        let scale = Change::ScaleTraffic {
            cells: vec![],
            factor: 2.0,
            growth_per_year: 1.0,
            roaming: false,
        };
        let s = states(
            &plan,
            &[Scheduled { interval: 1, change: fail }, Scheduled { interval: 1, change: scale }],
        )
        .unwrap();
        assert_eq!(s[1].links_down().len(), 2, "a duplex link fails both ways");
        assert!(s[0].links_down().is_empty());
        let year_h = 365 * 24;
        assert_eq!(s[1].traffic_factor(3, 1, 3600.0), 2.0);
        assert!((s[1].traffic_factor(3, 1 + year_h, 3600.0) - 4.0).abs() < 1e-12);
        assert_eq!(s[0].traffic_factor(3, 1, 3600.0), 1.0);
    }
}
