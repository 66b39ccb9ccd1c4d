//! Gaps in the traffic history: intervals of the window in which a cell that has rows has
//! none. The replay cannot guess them, so validation refuses them, saying how many a cell has
//! and how long they are; a scenario may fill the short ones (`history.fill_traffic_gaps`)
//! with the same intervals a week before, the usual planner's repair (traffic repeats by hour
//! of the week far better than it repeats by hour of the day), and is told how many rows were
//! filled.

use super::plan::TrafficRow;

/// Seconds in a week: how far back a gap's interval is looked up.
pub(super) const WEEK_S: i64 = 7 * 86_400;

/// The missing intervals of one cell, as runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CellGaps {
    /// The cell's inventory index.
    pub(super) cell: usize,
    /// Each gap as `(first interval, length in intervals)`, in time order.
    pub(super) runs: Vec<(usize, usize)>,
}

impl CellGaps {
    /// Intervals without a row, in all.
    pub(super) fn missing(&self) -> usize {
        self.runs.iter().map(|r| r.1).sum()
    }

    /// The longest gap, intervals.
    pub(super) fn longest(&self) -> usize {
        self.runs.iter().map(|r| r.1).max().unwrap_or(0)
    }
}

/// Which intervals each cell that has rows has a row for, by cell index.
fn coverage(rows: &[TrafficRow], intervals: usize) -> std::collections::BTreeMap<usize, Vec<bool>> {
    let mut per_cell = std::collections::BTreeMap::new();
    for r in rows {
        if r.interval < intervals {
            per_cell.entry(r.cell).or_insert_with(|| vec![false; intervals])[r.interval] = true;
        }
    }
    per_cell
}

/// The runs of `false` in `have`, as `(first, length)`.
fn runs(have: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < have.len() {
        if have[k] {
            k += 1;
            continue;
        }
        let first = k;
        while k < have.len() && !have[k] {
            k += 1;
        }
        out.push((first, k - first));
    }
    out
}

/// The gaps of every cell that has rows and misses some interval of the window, by cell.
pub(super) fn gaps(rows: &[TrafficRow], intervals: usize) -> Vec<CellGaps> {
    coverage(rows, intervals)
        .into_iter()
        .map(|(cell, have)| CellGaps { cell, runs: runs(&have) })
        .filter(|g| !g.runs.is_empty())
        .collect()
}

/// Fills every gap of at most `max_len` intervals whose every interval has a recorded row
/// `week` intervals earlier with copies of those rows (a filled row is never the source of
/// another); returns how many rows were added. Longer gaps, and gaps a week of history does
/// not reach back over, stay, for validation to report.
pub(super) fn fill_short_gaps(
    rows: &mut Vec<TrafficRow>,
    intervals: usize,
    max_len: usize,
    week: usize,
) -> usize {
    if max_len == 0 || week == 0 {
        return 0;
    }
    let recorded: std::collections::BTreeMap<(usize, usize), usize> =
        rows.iter().enumerate().map(|(i, r)| ((r.cell, r.interval), i)).collect();
    let mut added = Vec::new();
    for g in gaps(rows, intervals) {
        for &(first, len) in g.runs.iter().filter(|r| r.1 <= max_len) {
            let sources: Option<Vec<usize>> = (first..first + len)
                .map(|k| k.checked_sub(week).and_then(|w| recorded.get(&(g.cell, w)).copied()))
                .collect();
            for (k, i) in (first..).zip(sources.into_iter().flatten()) {
                added.push(TrafficRow { interval: k, ..rows[i].clone() });
            }
        }
    }
    let n = added.len();
    rows.extend(added);
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(cell: usize, interval: usize) -> TrafficRow {
        TrafficRow {
            interval,
            cell,
            dl_bytes: (100 * interval + cell) as f64,
            ul_bytes: 1.0,
            active_users: 2.0,
        }
    }

    /// Cell 0 has every interval of 0..20 but 10, 11 and 15..19; cell 1 all of them.
    fn history() -> Vec<TrafficRow> {
        let missing = [10, 11, 15, 16, 17, 18];
        let mut rows: Vec<TrafficRow> =
            (0..20).filter(|k| !missing.contains(k)).map(|k| row(0, k)).collect();
        rows.extend((0..20).map(|k| row(1, k)));
        rows
    }

    #[test]
    fn gaps_are_counted_as_runs_and_intervals() {
        let g = gaps(&history(), 20);
        assert_eq!(g, [CellGaps { cell: 0, runs: vec![(10, 2), (15, 4)] }]);
        assert_eq!((g[0].missing(), g[0].longest()), (6, 4));
        assert_eq!(runs(&[false, true, false]), [(0, 1), (2, 1)]);
    }

    #[test]
    fn short_gaps_are_filled_from_a_week_before_and_counted() {
        // A "week" of 7 intervals: 10 and 11 come from 3 and 4; 15..19 is longer than 2.
        let mut rows = history();
        assert_eq!(fill_short_gaps(&mut rows, 20, 2, 7), 2);
        let filled = rows.iter().find(|r| r.cell == 0 && r.interval == 11).unwrap();
        assert_eq!(filled.dl_bytes, row(0, 4).dl_bytes, "the same interval a week before");
        assert_eq!(gaps(&rows, 20)[0].runs, [(15, 4)]);
        // Up to 4: 15..19 would come from 8..12, of which 10 and 11 are gaps themselves; a
        // filled row is never the source of another, so that gap stays.
        let mut rows = history();
        assert_eq!(fill_short_gaps(&mut rows, 20, 4, 7), 2);
        assert_eq!(gaps(&rows, 20)[0].runs, [(15, 4)]);
        // With nothing a week before (the window's first week), a gap stays.
        let mut rows = history();
        assert_eq!(fill_short_gaps(&mut rows, 20, 2, 14), 0);
        assert_eq!(fill_short_gaps(&mut history(), 20, 0, 7), 0, "0 fills nothing");
    }
}
