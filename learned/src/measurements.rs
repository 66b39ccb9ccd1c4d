//! Measurement import: drive-test and probe CSV files in any layout, through a column mapping.
//!
//! Tools write the same quantities under different names and units (TEMS `RSRP (dBm)`, Nemo
//! `RSRP`, G-NetTrack `Level`, Tower Collector `rsrp`, operator exports in tenths of a dB or in
//! mW). A [`ColumnMap`] says which column holds which quantity and how to convert it; rows are
//! then parsed with sentinels ("not available" markers such as `2147483647` or an empty cell)
//! and plausibility ranges, and an [`ImportReport`] says how many rows were kept and why the
//! others were dropped. The mapping syntax and the conversions are in `docs/learned.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::LearnedError;

mod rows;

use rows::{RowOutcome, RowReader};

/// A quantity a measurement row can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// When, UTC.
    Time,
    /// WGS84 latitude, degrees.
    Lat,
    /// WGS84 longitude, degrees.
    Lon,
    /// Scene metres east (instead of lat/lon).
    X,
    /// Scene metres north.
    Y,
    /// The serving cell's identifier, as in the inventory.
    CellId,
    /// Reference signal received power of the serving cell, dBm.
    RsrpDbm,
    /// Signal to interference and noise ratio, dB.
    SinrDb,
    /// Reference signal received quality, dB.
    RsrqDb,
    /// Downlink throughput, Mbit/s.
    DlMbps,
    /// Latency, ms.
    LatencyMs,
}

impl Field {
    /// Every field, in canonical order.
    pub const ALL: [Field; 11] = [
        Field::Time,
        Field::Lat,
        Field::Lon,
        Field::X,
        Field::Y,
        Field::CellId,
        Field::RsrpDbm,
        Field::SinrDb,
        Field::RsrqDb,
        Field::DlMbps,
        Field::LatencyMs,
    ];

    /// The canonical name (also the default column name).
    pub fn name(self) -> &'static str {
        match self {
            Field::Time => "time",
            Field::Lat => "lat",
            Field::Lon => "lon",
            Field::X => "x_m",
            Field::Y => "y_m",
            Field::CellId => "cell_id",
            Field::RsrpDbm => "rsrp_dbm",
            Field::SinrDb => "sinr_db",
            Field::RsrqDb => "rsrq_db",
            Field::DlMbps => "dl_mbps",
            Field::LatencyMs => "latency_ms",
        }
    }

    /// The field called `name`.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name.trim())
    }

    /// Plausible values; others are dropped as out of range.
    fn range(self) -> (f64, f64) {
        match self {
            Field::Lat => (-90.0, 90.0),
            Field::Lon => (-180.0, 180.0),
            Field::RsrpDbm => (-156.0, -31.0),
            Field::SinrDb => (-30.0, 50.0),
            Field::RsrqDb => (-43.0, 20.0),
            Field::DlMbps => (0.0, 1e5),
            Field::LatencyMs => (0.0, 1e6),
            Field::X | Field::Y => (-1e7, 1e7),
            Field::Time | Field::CellId => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// How a column's text becomes the field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Convert {
    /// The number as written (or, for time, ISO 8601 or epoch seconds/milliseconds, guessed).
    AsIs,
    /// Multiply by a factor (`x0.1` for tenths of a dB, `x1e-7` for degrees × 10⁷).
    Scale(f64),
    /// Milliwatts to dBm.
    MilliwattToDbm,
    /// Watts to dBm.
    WattToDbm,
    /// Time in ISO 8601 (zone optional; UTC when absent).
    Iso8601,
    /// Time in seconds since 1970-01-01 UTC.
    EpochSeconds,
    /// Time in milliseconds since 1970-01-01 UTC.
    EpochMillis,
}

impl Convert {
    fn parse(text: &str) -> Option<Convert> {
        let t = text.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "" | "dbm" | "db" | "deg" | "as_is" => Convert::AsIs,
            "mw" => Convert::MilliwattToDbm,
            "w" => Convert::WattToDbm,
            "iso8601" | "iso" => Convert::Iso8601,
            "epoch_s" | "s" => Convert::EpochSeconds,
            "epoch_ms" | "ms" => Convert::EpochMillis,
            _ => match t.strip_prefix('x') {
                Some(f) => {
                    Convert::Scale(f.parse().ok().filter(|x: &f64| x.is_finite() && *x != 0.0)?)
                }
                None => return None,
            },
        })
    }
}

/// Which column holds each field, and its conversion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMap {
    entries: BTreeMap<Field, (String, Convert)>,
}

impl ColumnMap {
    /// An empty map: every field is looked for under its canonical name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `field=column[:convert]` entries separated by commas or new lines (`#` starts a
    /// comment), as given on the command line (`--map rsrp_dbm=Level,lat=Latitude`) or in a
    /// mapping file.
    pub fn parse(text: &str) -> Result<ColumnMap, LearnedError> {
        let mut map = ColumnMap::new();
        for raw in text.lines().flat_map(|l| l.split('#').next().unwrap_or("").split(',')) {
            let entry = raw.trim();
            if entry.is_empty() {
                continue;
            }
            let (field, rest) = entry.split_once('=').ok_or_else(|| {
                LearnedError::Mapping(format!("\"{entry}\": expected field=column"))
            })?;
            let field = Field::parse(field).ok_or_else(|| {
                LearnedError::Mapping(format!(
                    "\"{}\" is not a field; fields are {}",
                    field.trim(),
                    Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
                ))
            })?;
            let (column, convert) = match rest.rsplit_once(':') {
                Some((c, conv)) => (
                    c.trim(),
                    Convert::parse(conv).ok_or_else(|| {
                        LearnedError::Mapping(format!(
                            "\"{entry}\": unknown conversion \"{conv}\" (dbm, mw, w, x<factor>, iso8601, epoch_s, epoch_ms)"
                        ))
                    })?,
                ),
                None => (rest.trim(), Convert::AsIs),
            };
            if column.is_empty() {
                return Err(LearnedError::Mapping(format!("\"{entry}\": empty column name")));
            }
            map.entries.insert(field, (column.to_string(), convert));
        }
        Ok(map)
    }

    /// Reads a mapping file (same syntax as [`ColumnMap::parse`]).
    pub fn from_file(path: &Path) -> Result<ColumnMap, LearnedError> {
        let text = std::fs::read_to_string(path).map_err(|e| LearnedError::io(path, e))?;
        ColumnMap::parse(&text)
            .map_err(|e| LearnedError::Mapping(format!("{}: {e}", path.display())))
    }

    /// Adds or replaces one entry.
    pub fn set(&mut self, field: Field, column: &str, convert: Convert) {
        self.entries.insert(field, (column.to_string(), convert));
    }

    /// Merges `other` over `self`.
    pub fn merged(mut self, other: &ColumnMap) -> ColumnMap {
        for (f, v) in &other.entries {
            self.entries.insert(*f, v.clone());
        }
        self
    }
}

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Texts meaning "not available", in addition to an empty cell.
    pub sentinels: Vec<String>,
    /// Drop rows with non-numeric values instead of failing.
    pub drop_invalid: bool,
    /// WGS84 origin of the scene frame for lat/lon positions; `None` takes the first row's.
    pub origin: Option<(f64, f64)>,
}

impl Default for ImportOptions {
    /// Sentinels `NA`, `N/A`, `NaN`, `null`, `-`, and the integer extremes tools write for
    /// missing values: `2147483647`, `-2147483648`, `32767`, `-32768`, `65535`.
    fn default() -> Self {
        ImportOptions {
            sentinels: [
                "NA",
                "N/A",
                "NaN",
                "nan",
                "null",
                "NULL",
                "-",
                "2147483647",
                "-2147483648",
                "32767",
                "-32768",
                "65535",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            drop_invalid: false,
            origin: None,
        }
    }
}

/// One kept measurement, positioned in the scene frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Line in the file (1-based, header = 1).
    pub line: usize,
    /// Seconds since 1970-01-01 UTC, if known.
    pub time_s: Option<f64>,
    /// Scene metres east.
    pub x_m: f64,
    /// Scene metres north.
    pub y_m: f64,
    /// Serving cell, if the file says.
    pub cell_id: Option<String>,
    /// RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// SINR, dB.
    pub sinr_db: Option<f64>,
    /// RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// Downlink throughput, Mbit/s.
    pub dl_mbps: Option<f64>,
    /// Latency, ms.
    pub latency_ms: Option<f64>,
}

/// How many rows were read, kept and dropped, and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Data rows read.
    pub read: usize,
    /// Rows kept.
    pub kept: usize,
    /// Dropped rows by reason.
    pub dropped: BTreeMap<String, usize>,
}

impl ImportReport {
    /// Counts a dropped row.
    pub fn drop(&mut self, reason: impl Into<String>) {
        *self.dropped.entry(reason.into()).or_default() += 1;
    }

    /// Rows dropped for any reason.
    pub fn n_dropped(&self) -> usize {
        self.dropped.values().sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows read, {} kept, {} dropped", self.read, self.kept, self.n_dropped())?;
        for (reason, n) in &self.dropped {
            write!(f, "; {n} {reason}")?;
        }
        Ok(())
    }
}

/// Measurements read from a file.
#[derive(Debug, Clone)]
pub struct Measurements {
    /// The kept rows.
    pub rows: Vec<Measurement>,
    /// What happened to every row.
    pub report: ImportReport,
    /// The WGS84 origin used for lat/lon positions.
    pub origin: Option<(f64, f64)>,
}

/// Which column of the file holds a field, and how its text converts.
#[derive(Debug, Clone, Copy)]
struct Column {
    index: usize,
    convert: Convert,
}

/// The column of every field the file has.
type Columns = BTreeMap<Field, Column>;

/// Reads a measurement file with `map` (fields it does not name are looked for under their
/// canonical names).
///
/// Errors: a column the mapping names but the file lacks; no position or RSRP column at all; a
/// non-numeric value that is not a sentinel (unless `drop_invalid`); every row dropped.
pub fn import(
    path: &Path,
    map: &ColumnMap,
    options: &ImportOptions,
) -> Result<Measurements, LearnedError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| LearnedError::Io { path: path.to_path_buf(), reason: e.to_string() })?;
    let headers = reader
        .headers()
        .map_err(|e| LearnedError::Io {
            path: path.to_path_buf(),
            reason: format!("no header row: {e}"),
        })?
        .clone();
    let columns = find_columns(path, map, &headers)?;
    check_columns(path, &columns, &headers)?;
    let mut row_reader = RowReader::new(path, &headers, &columns, options);
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let record = record.map_err(|e| LearnedError::Row {
            path: path.to_path_buf(),
            line,
            reason: e.to_string(),
        })?;
        report.read += 1;
        match row_reader.read(&record, line)? {
            RowOutcome::Kept(m) => {
                rows.push(m);
                report.kept += 1;
            }
            RowOutcome::Dropped(reason) => report.drop(reason),
        }
    }
    if rows.is_empty() {
        return Err(LearnedError::NoRows { path: path.to_path_buf(), report: report.to_string() });
    }
    Ok(Measurements { rows, report, origin: row_reader.origin() })
}

/// The file's column names, for errors.
fn column_list(headers: &csv::StringRecord) -> String {
    headers.iter().collect::<Vec<_>>().join(", ")
}

/// The column of every field: those `map` names (which must exist), then the canonical names
/// of the others where the file has them.
fn find_columns(
    path: &Path,
    map: &ColumnMap,
    headers: &csv::StringRecord,
) -> Result<Columns, LearnedError> {
    let index: BTreeMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let mut columns = Columns::new();
    for (field, (column, convert)) in &map.entries {
        let i = index.get(column.as_str()).ok_or_else(|| LearnedError::MissingColumn {
            path: path.to_path_buf(),
            field: field.name().to_string(),
            column: column.clone(),
            found: column_list(headers),
        })?;
        columns.insert(*field, Column { index: *i, convert: *convert });
    }
    for field in Field::ALL {
        if !columns.contains_key(&field)
            && let Some(&i) = index.get(field.name())
        {
            columns.insert(field, Column { index: i, convert: Convert::AsIs });
        }
    }
    Ok(columns)
}

/// A file must have a position (lat and lon, or x and y) and RSRP.
fn check_columns(
    path: &Path,
    columns: &Columns,
    headers: &csv::StringRecord,
) -> Result<(), LearnedError> {
    let geo = columns.contains_key(&Field::Lat) && columns.contains_key(&Field::Lon);
    let local = columns.contains_key(&Field::X) && columns.contains_key(&Field::Y);
    if !geo && !local {
        return Err(LearnedError::Mapping(format!(
            "{}: no position: map lat and lon (or x_m and y_m) to columns of the file (columns: {})",
            path.display(),
            column_list(headers)
        )));
    }
    if !columns.contains_key(&Field::RsrpDbm) {
        return Err(LearnedError::Mapping(format!(
            "{}: no RSRP: map rsrp_dbm to a column of the file (columns: {})",
            path.display(),
            column_list(headers)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-meas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn gnettrack_like_layout_with_units_and_sentinels() {
        let p = write(
            "g.csv",
            "Timestamp,Longitude,Latitude,CellID,Level,SNR,Speed\n\
             2024.03.05_14.22.10,2.2950,48.8738,C1,-85,120,3\n\
             1709648531000,2.2951,48.8739,C1,-86,2147483647,3\n\
             2024-03-05T14:22:12Z,2.2952,48.8740,C2,2147483647,80,3\n\
             2024-03-05 14:22:13,,48.8740,C2,-90,80,3\n\
             2024-03-05T15:22:14+01:00,2.2953,48.8741,C2,-20,80,3\n",
        );
        let map = ColumnMap::parse("time=Timestamp, lat=Latitude,lon=Longitude, cell_id=CellID,rsrp_dbm=Level,sinr_db=SNR:x0.1").unwrap();
        let m = import(&p, &map, &ImportOptions::default()).unwrap();
        assert_eq!(m.report.read, 5);
        assert_eq!(m.report.kept, 2);
        assert_eq!(m.report.dropped.get("without RSRP"), Some(&1));
        assert_eq!(m.report.dropped.get("without a position"), Some(&1));
        assert_eq!(m.report.dropped.get("with rsrp_dbm out of range"), Some(&1));
        let (a, b) = (&m.rows[0], &m.rows[1]);
        assert_eq!(a.time_s, Some(1709648530.0));
        assert_eq!(b.time_s, Some(1709648531.0));
        assert_eq!(a.sinr_db, Some(12.0));
        assert_eq!(b.sinr_db, None, "sentinel");
        assert!(a.x_m.abs() < 1e-9 && a.y_m.abs() < 1e-9, "first row is the origin");
        assert!((b.y_m - 11.1).abs() < 0.1 && (b.x_m - 7.3).abs() < 0.1, "{b:?}");
        assert!(m.report.to_string().starts_with("5 rows read, 2 kept, 3 dropped"));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let p = write("bad.csv", "lat,lon,rsrp\n48.87,2.29,-80\n48.87,2.29,strong\n");
        let map = ColumnMap::parse("rsrp_dbm=rsrp").unwrap();
        let e = import(&p, &map, &ImportOptions::default()).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv")
                && e.contains("line 3")
                && e.contains("\"strong\"")
                && e.contains("rsrp"),
            "{e}"
        );
        let lenient = ImportOptions { drop_invalid: true, ..ImportOptions::default() };
        assert_eq!(import(&p, &map, &lenient).unwrap().report.kept, 1);
        let e = import(
            &p,
            &ColumnMap::parse("rsrp_dbm=RSRP (dBm)").unwrap(),
            &ImportOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("RSRP (dBm)") && e.contains("rsrp_dbm") && e.contains("lat, lon, rsrp"),
            "{e}"
        );
        let none = write("none.csv", "lat,lon,rsrp\n48.87,2.29,NA\n");
        let e = import(&none, &map, &ImportOptions::default()).unwrap_err().to_string();
        assert!(e.contains("none.csv") && e.contains("1 without RSRP"), "{e}");
        assert!(ColumnMap::parse("power=x").is_err());
        assert!(ColumnMap::parse("rsrp_dbm=x:furlongs").is_err());
        assert!(ColumnMap::parse("rsrp_dbm").is_err());
        let mw = write("mw.csv", "x_m,y_m,p\n1,2,1e-9\n");
        let m = import(&mw, &ColumnMap::parse("rsrp_dbm=p:mw").unwrap(), &ImportOptions::default())
            .unwrap();
        assert!((m.rows[0].rsrp_dbm.unwrap() + 90.0).abs() < 1e-9);
    }
}
