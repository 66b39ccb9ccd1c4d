//! The run directory's KPI tables, written as CSV and, with the `parquet` feature (on by
//! default), as Parquet beside it: the same rows, column for column.
//!
//! CSV is what a planner opens in a spreadsheet; Parquet is what a data team loads into pandas,
//! Polars, DuckDB or Spark without parsing text, typed and compressed (Snappy). Numbers keep their
//! full precision in Parquet; CSV rounds each column to the decimals that column needs.
//!
//! A table is written in batches (one per variant), so a run of many variants never holds a whole
//! table in memory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use twin_format::FsError;
use twin_format::csv::field as csv_field;

use crate::error::ScenarioError;

/// One column of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text.
    Str(Vec<String>),
    /// Real numbers, written to CSV with this many decimals.
    F64(Vec<f64>, usize),
    /// Integers.
    I64(Vec<i64>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Str(v) => v.len(),
            Column::F64(v, _) => v.len(),
            Column::I64(v) => v.len(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Column::Str(_) => "text",
            Column::F64(..) => "real",
            Column::I64(_) => "integer",
        }
    }
}

/// Rows of a table, column by column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// (name, values); every column has as many values.
    pub columns: Vec<(&'static str, Column)>,
}

impl Batch {
    /// Rows in the batch.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.1.len())
    }
}

/// A KPI table being written: `<name>.csv` and, with the `parquet` feature, `<name>.parquet`.
pub struct TableWriter {
    csv_path: PathBuf,
    csv: std::io::BufWriter<std::fs::File>,
    header: Vec<(&'static str, &'static str)>,
    #[cfg(feature = "parquet")]
    parquet: parquet_out::Writer,
}

impl TableWriter {
    /// Creates the table `name` in `dir` with these columns (name, kind as in
    /// [`Column`]: `text`, `real` or `integer`).
    pub fn create(
        dir: &Path,
        name: &str,
        header: &[(&'static str, &'static str)],
    ) -> Result<TableWriter, ScenarioError> {
        let csv_path = dir.join(format!("{name}.csv"));
        let f = std::fs::File::create(&csv_path).map_err(|e| FsError::io(&csv_path, e))?;
        let mut csv = std::io::BufWriter::with_capacity(1 << 20, f);
        let names: Vec<&str> = header.iter().map(|h| h.0).collect();
        writeln!(csv, "{}", names.join(",")).map_err(|e| FsError::io(&csv_path, e))?;
        Ok(TableWriter {
            #[cfg(feature = "parquet")]
            parquet: parquet_out::Writer::create(&dir.join(format!("{name}.parquet")), header)?,
            csv_path,
            csv,
            header: header.to_vec(),
        })
    }

    /// Appends `batch`, whose columns must be the header's, in order and of its kinds.
    pub fn write(&mut self, batch: &Batch) -> Result<(), ScenarioError> {
        let shape: Vec<(&str, &str)> = batch.columns.iter().map(|(n, c)| (*n, c.kind())).collect();
        let header: Vec<(&str, &str)> = self.header.iter().map(|(n, k)| (*n, *k)).collect();
        let n = batch.rows();
        if shape != header || batch.columns.iter().any(|c| c.1.len() != n) {
            let lens: Vec<usize> = batch.columns.iter().map(|c| c.1.len()).collect();
            return Err(ScenarioError::TableSchema {
                table: self.csv_path.clone(),
                found: format!("{shape:?} of lengths {lens:?}"),
                expected: format!("{header:?}"),
            });
        }
        let mut line = String::new();
        for r in 0..n {
            line.clear();
            for (i, (_, c)) in batch.columns.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                use std::fmt::Write as _;
                let _ = match c {
                    Column::Str(v) => write!(line, "{}", csv_field(&v[r])),
                    Column::F64(v, d) => write!(line, "{:.*}", *d, v[r]),
                    Column::I64(v) => write!(line, "{}", v[r]),
                };
            }
            line.push('\n');
            self.csv.write_all(line.as_bytes()).map_err(|e| FsError::io(&self.csv_path, e))?;
        }
        #[cfg(feature = "parquet")]
        self.parquet.write(batch)?;
        Ok(())
    }

    /// Flushes and closes both files.
    pub fn finish(mut self) -> Result<(), ScenarioError> {
        self.csv.flush().map_err(|e| FsError::io(&self.csv_path, e))?;
        #[cfg(feature = "parquet")]
        self.parquet.finish()?;
        Ok(())
    }
}

#[cfg(feature = "parquet")]
mod parquet_out {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema, SchemaRef};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    use super::{Batch, Column};
    use crate::error::ScenarioError;

    fn failed(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> ScenarioError {
        ScenarioError::Parquet { path: path.to_path_buf(), source: Box::new(e) }
    }

    pub(super) struct Writer {
        path: PathBuf,
        schema: SchemaRef,
        inner: ArrowWriter<std::fs::File>,
    }

    impl Writer {
        pub(super) fn create(
            path: &Path,
            header: &[(&'static str, &'static str)],
        ) -> Result<Writer, ScenarioError> {
            let fields: Vec<Field> = header
                .iter()
                .map(|(name, kind)| {
                    let t = match *kind {
                        "text" => DataType::Utf8,
                        "integer" => DataType::Int64,
                        _ => DataType::Float64,
                    };
                    Field::new(*name, t, false)
                })
                .collect();
            let schema = Arc::new(Schema::new(fields));
            let file =
                std::fs::File::create(path).map_err(|e| twin_format::FsError::io(path, e))?;
            let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
            let inner = ArrowWriter::try_new(file, schema.clone(), Some(props))
                .map_err(|e| failed(path, e))?;
            Ok(Writer { path: path.to_path_buf(), schema, inner })
        }

        pub(super) fn write(&mut self, batch: &Batch) -> Result<(), ScenarioError> {
            if batch.rows() == 0 {
                return Ok(());
            }
            let arrays: Vec<ArrayRef> = batch
                .columns
                .iter()
                .map(|(_, c)| -> ArrayRef {
                    match c {
                        Column::Str(v) => Arc::new(StringArray::from_iter_values(v.iter())),
                        Column::F64(v, _) => Arc::new(Float64Array::from(v.clone())),
                        Column::I64(v) => Arc::new(Int64Array::from(v.clone())),
                    }
                })
                .collect();
            let rb = RecordBatch::try_new(self.schema.clone(), arrays)
                .map_err(|e| failed(&self.path, e))?;
            self.inner.write(&rb).map_err(|e| failed(&self.path, e))
        }

        pub(super) fn finish(self) -> Result<(), ScenarioError> {
            self.inner.close().map(|_| ()).map_err(|e| failed(&self.path, e))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn batch(names: &[&str], values: &[f64], ids: &[i64]) -> Batch {
        Batch {
            columns: vec![
                ("name", Column::Str(names.iter().map(|s| s.to_string()).collect())),
                ("value", Column::F64(values.to_vec(), 2)),
                ("id", Column::I64(ids.to_vec())),
            ],
        }
    }

    const HEADER: [(&str, &str); 3] = [("name", "text"), ("value", "real"), ("id", "integer")];

    #[test]
    fn csv_rows_are_rounded_and_quoted() {
        let dir = std::env::temp_dir().join(format!("twin-tables-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = TableWriter::create(&dir, "t", &HEADER).unwrap();
        w.write(&batch(&["a", "b,c"], &[1.234, -0.5], &[7, -8])).unwrap();
        w.write(&batch(&["say \"hi\""], &[2.0], &[0])).unwrap();
        w.finish().unwrap();
        let text = std::fs::read_to_string(dir.join("t.csv")).unwrap();
        assert_eq!(text, "name,value,id\na,1.23,7\n\"b,c\",-0.50,-8\n\"say \"\"hi\"\"\",2.00,0\n");
        #[cfg(feature = "parquet")]
        {
            use parquet::file::reader::{FileReader, SerializedFileReader};
            let f = std::fs::File::open(dir.join("t.parquet")).unwrap();
            let r = SerializedFileReader::new(f).unwrap();
            assert_eq!(r.metadata().file_metadata().num_rows(), 3);
            use parquet::record::RowAccessor;
            let rows: Vec<_> = r.get_row_iter(None).unwrap().map(|row| row.unwrap()).collect();
            // Full precision, not the CSV's two decimals.
            assert_eq!(rows[0].get_string(0).unwrap(), "a");
            assert_eq!(rows[0].get_double(1).unwrap(), 1.234);
            assert_eq!(rows[1].get_string(0).unwrap(), "b,c");
            assert_eq!(rows[1].get_long(2).unwrap(), -8);
            assert_eq!(rows[2].get_string(0).unwrap(), "say \"hi\"");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_batch_of_other_columns_is_refused() {
        let dir = std::env::temp_dir().join(format!("twin-tables-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = TableWriter::create(&dir, "t", &HEADER[..2]).unwrap();
        let e = w.write(&batch(&["a"], &[1.0], &[1])).unwrap_err();
        assert!(matches!(e, ScenarioError::TableSchema { .. }), "a schema bug, not IO: {e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
