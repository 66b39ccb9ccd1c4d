//! Reading the data rows of a measurement file: each cell through its column's conversion,
//! sentinels and plausibility ranges, then the position in the scene frame; a row is kept or
//! dropped with a reason for the [`super::ImportReport`].

use std::path::Path;

use chrono::{DateTime, NaiveDateTime};
use sim_core::geo::{GeoPoint, LocalFrame};

use super::{Columns, Convert, Field, ImportOptions, Measurement};
use crate::error::LearnedError;

/// What became of one data row.
#[derive(Debug)]
pub(super) enum RowOutcome {
    Kept(Measurement),
    /// Dropped, for this reason (counted in the report).
    Dropped(String),
}

/// Places lat/lon positions in the scene frame, whose origin is the configured one or else the
/// first position read.
#[derive(Debug)]
struct ScenePlacer {
    origin: Option<(f64, f64)>,
    frame: Option<LocalFrame>,
}

/// A position in the scene frame, metres.
#[derive(Debug, Clone, Copy)]
struct ScenePos {
    x_m: f64,
    y_m: f64,
}

impl ScenePlacer {
    /// The scene position of WGS84 `lat`, `lon`, read at `line` of `path`.
    fn place(
        &mut self,
        lat: f64,
        lon: f64,
        path: &Path,
        line: usize,
    ) -> Result<ScenePos, LearnedError> {
        let f = match self.frame {
            Some(f) => f,
            None => {
                let (olat, olon) = *self.origin.get_or_insert((lat, lon));
                let o = GeoPoint::new(olat, olon, 0.0)
                    .map_err(|e| LearnedError::Config(format!("origin: {e}")))?;
                let f = LocalFrame::new(o);
                self.frame = Some(f);
                f
            }
        };
        let p = GeoPoint::new(lat, lon, 0.0).map_err(|e| LearnedError::Row {
            path: path.to_path_buf(),
            line,
            reason: e.to_string(),
        })?;
        let enu = f.to_enu(&p);
        Ok(ScenePos { x_m: enu.east_m, y_m: enu.north_m })
    }
}

/// The text of a field's cell, with the column's conversion.
#[derive(Debug, Clone, Copy)]
struct Cell<'r> {
    text: &'r str,
    convert: Convert,
}

/// The numeric fields of a row: each `None` where it is missing, not a number or out of range.
#[derive(Debug, Default)]
struct Numbers {
    lat: Option<f64>,
    lon: Option<f64>,
    x: Option<f64>,
    y: Option<f64>,
    rsrp: Option<f64>,
    sinr: Option<f64>,
    rsrq: Option<f64>,
    dl: Option<f64>,
    latency_ms: Option<f64>,
    /// The first value that is not a number, described for the error.
    invalid: Option<String>,
    /// The first field out of its plausible range.
    out_of_range: Option<Field>,
}

/// Reads the rows of one file through its columns.
pub(super) struct RowReader<'a> {
    path: &'a Path,
    headers: &'a csv::StringRecord,
    columns: &'a Columns,
    options: &'a ImportOptions,
    placer: ScenePlacer,
}

impl<'a> RowReader<'a> {
    /// A reader of rows with `columns` of the file at `path`, whose header is `headers`.
    pub(super) fn new(
        path: &'a Path,
        headers: &'a csv::StringRecord,
        columns: &'a Columns,
        options: &'a ImportOptions,
    ) -> RowReader<'a> {
        let placer = ScenePlacer { origin: options.origin, frame: None };
        RowReader { path, headers, columns, options, placer }
    }

    /// The WGS84 origin of the scene frame: the configured one, else the first lat/lon read.
    pub(super) fn origin(&self) -> Option<(f64, f64)> {
        self.placer.origin
    }

    /// Reads the row at `line`; errors are invalid values (unless dropped) and bad positions.
    pub(super) fn read(
        &mut self,
        record: &csv::StringRecord,
        line: usize,
    ) -> Result<RowOutcome, LearnedError> {
        let dropped = |reason: &str| Ok(RowOutcome::Dropped(reason.to_string()));
        let n = self.numbers(record);
        if let Some(why) = n.invalid {
            if self.options.drop_invalid {
                return dropped("rows with a non-numeric value");
            }
            return Err(
                self.row_error(line, format!("{why} (give it as a sentinel, or drop such rows)"))
            );
        }
        let time_s = match self.time(record) {
            Ok(t) => t,
            Err(_) if self.options.drop_invalid => return dropped("rows with an unreadable time"),
            Err(text) => {
                return Err(self.row_error(
                    line,
                    format!(
                        "time \"{text}\" is neither ISO 8601 nor epoch seconds or milliseconds"
                    ),
                ));
            }
        };
        let position = match (n.lat, n.lon, n.x, n.y) {
            (Some(lat), Some(lon), _, _) => Some(self.placer.place(lat, lon, self.path, line)?),
            (_, _, Some(x_m), Some(y_m)) => Some(ScenePos { x_m, y_m }),
            _ => None,
        };
        let Some(ScenePos { x_m, y_m }) = position else {
            return match n.out_of_range {
                Some(f) => dropped(&format!("with {} out of range", f.name())),
                None => dropped("without a position"),
            };
        };
        if n.rsrp.is_none() {
            return match n.out_of_range {
                Some(Field::RsrpDbm) => dropped("with rsrp_dbm out of range"),
                _ => dropped("without RSRP"),
            };
        }
        Ok(RowOutcome::Kept(Measurement {
            line,
            time_s,
            x_m,
            y_m,
            cell_id: self.cell(record, Field::CellId).map(|c| c.text.to_string()),
            rsrp_dbm: n.rsrp,
            sinr_db: n.sinr,
            rsrq_db: n.rsrq,
            dl_mbps: n.dl,
            latency_ms: n.latency_ms,
        }))
    }

    fn row_error(&self, line: usize, reason: String) -> LearnedError {
        LearnedError::Row { path: self.path.to_path_buf(), line, reason }
    }

    /// Field `f`'s cell, or `None` if the file has no such column or the cell is empty or a
    /// sentinel.
    fn cell<'r>(&self, record: &'r csv::StringRecord, f: Field) -> Option<Cell<'r>> {
        let c = self.columns.get(&f)?;
        let v = record.get(c.index).unwrap_or("").trim();
        if v.is_empty() || self.options.sentinels.iter().any(|s| s == v) {
            None
        } else {
            Some(Cell { text: v, convert: c.convert })
        }
    }

    /// The row's numeric fields, read in a fixed order so that the first invalid or
    /// out-of-range field reported is always the same.
    fn numbers(&self, record: &csv::StringRecord) -> Numbers {
        let mut n = Numbers::default();
        let mut num = |f: Field| self.number(record, f, &mut n.invalid, &mut n.out_of_range);
        let (lat, lon, x, y) = (num(Field::Lat), num(Field::Lon), num(Field::X), num(Field::Y));
        let rsrp = num(Field::RsrpDbm);
        let (sinr, rsrq, dl, latency_ms) =
            (num(Field::SinrDb), num(Field::RsrqDb), num(Field::DlMbps), num(Field::LatencyMs));
        Numbers { lat, lon, x, y, rsrp, sinr, rsrq, dl, latency_ms, ..n }
    }

    /// Field `f` as a converted number in its plausible range; records the first invalid value
    /// in `invalid` and the first field out of range in `out_of_range`.
    fn number(
        &self,
        record: &csv::StringRecord,
        f: Field,
        invalid: &mut Option<String>,
        out_of_range: &mut Option<Field>,
    ) -> Option<f64> {
        let Cell { text, convert } = self.cell(record, f)?;
        match text
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(|x| convert_number(x, convert))
        {
            Some(x) => {
                let (lo, hi) = f.range();
                if x < lo || x > hi {
                    out_of_range.get_or_insert(f);
                    None
                } else {
                    Some(x)
                }
            }
            None => {
                invalid.get_or_insert(format!(
                    "column \"{}\" (field {}): \"{text}\" is not a number",
                    self.headers.get(self.columns[&f].index).unwrap_or(""),
                    f.name()
                ));
                None
            }
        }
    }

    /// The row's time: `Ok(None)` when it has none, `Err(text)` when `text` is not a time.
    fn time<'r>(&self, record: &'r csv::StringRecord) -> Result<Option<f64>, &'r str> {
        match self.cell(record, Field::Time) {
            None => Ok(None),
            Some(Cell { text, convert }) => parse_time(text, convert).map(Some).ok_or(text),
        }
    }
}

/// Parses a time value.
fn parse_time(text: &str, convert: Convert) -> Option<f64> {
    let t = text.trim();
    let number = || t.parse::<f64>().ok().filter(|x| x.is_finite());
    match convert {
        Convert::EpochSeconds => number(),
        Convert::EpochMillis => number().map(|ms| ms / 1e3),
        Convert::Scale(f) => number().map(|x| x * f),
        Convert::Iso8601 => parse_iso(t),
        _ => match number() {
            // Epoch milliseconds are beyond 10^11 for any date after 1973.
            Some(x) if x.abs() > 1e11 => Some(x / 1e3),
            Some(x) => Some(x),
            None => parse_iso(t),
        },
    }
}

fn parse_iso(t: &str) -> Option<f64> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis() as f64 / 1e3);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y.%m.%d_%H.%M.%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d.and_utc().timestamp_millis() as f64 / 1e3);
        }
    }
    None
}

/// Converts a numeric value.
fn convert_number(x: f64, convert: Convert) -> Option<f64> {
    match convert {
        Convert::AsIs | Convert::Iso8601 | Convert::EpochSeconds | Convert::EpochMillis => Some(x),
        Convert::Scale(f) => Some(x * f),
        Convert::MilliwattToDbm => (x > 0.0).then(|| 10.0 * x.log10()),
        Convert::WattToDbm => (x > 0.0).then(|| 10.0 * x.log10() + 30.0),
    }
}
