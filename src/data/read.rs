//! Reading a table file as published: CSV (delimiter sniffed or given, quoted fields, BOM, CRLF),
//! gzip-compressed CSV (`.csv.gz`) and Parquet, into columns of cell text with the place each row
//! came from. Typing the columns is [`infer`](super::infer)'s job; this module only reads.

use crate::error::InputError;
use std::io::Read;
use std::path::Path;

/// One column's cells as text, stored end to end (a cell is `text[ends[i-1]..ends[i]]`), so a
/// table of millions of cells costs two allocations per column.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
}

impl TextColumn {
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    pub fn get(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.text[start..self.ends[row]]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|r| self.get(r))
    }
}

/// Where a row came from, for messages: a CSV line or a Parquet row number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Places {
    /// Row `i` starts on line `lines[i]`.
    Lines,
    /// Row `i` is row `i + 1` of the file.
    Rows,
}

/// A file read as text columns.
#[derive(Debug, Clone)]
pub struct TextTable {
    pub names: Vec<String>,
    pub columns: Vec<TextColumn>,
    /// The line each row starts on (CSV only).
    pub lines: Vec<u64>,
    pub places: Places,
}

impl TextTable {
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, TextColumn::len)
    }

    /// "line 12" or "row 11", for row index `row`.
    pub fn place(&self, row: usize) -> String {
        match self.places {
            Places::Lines => format!("line {}", self.lines.get(row).copied().unwrap_or(0)),
            Places::Rows => format!("row {}", row + 1),
        }
    }
}

/// The file formats read, told apart by name (and by Parquet's magic bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GzipCsv,
    Parquet,
}

impl Format {
    pub fn of(path: &Path, bytes: &[u8]) -> Format {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".parquet") || name.ends_with(".pq") || bytes.starts_with(b"PAR1") {
            Format::Parquet
        } else if name.ends_with(".gz") || bytes.starts_with(&[0x1f, 0x8b]) {
            Format::GzipCsv
        } else {
            Format::Csv
        }
    }
}

/// Reads `bytes` (the content of `path`) as a table. `delimiter` overrides sniffing for CSV.
pub fn read_table(
    path: &Path,
    bytes: &[u8],
    delimiter: Option<u8>,
) -> Result<TextTable, InputError> {
    match Format::of(path, bytes) {
        Format::Csv => read_csv(path, bytes, delimiter),
        Format::GzipCsv => {
            let mut text = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_end(&mut text)
                .map_err(|e| {
                    InputError::new(format!(
                        "{}: cannot decompress (gzip): {e}; give a .csv.gz written by gzip, or the plain CSV",
                        path.display()
                    ))
                })?;
            read_csv(path, &text, delimiter)
        }
        Format::Parquet => read_parquet(path),
    }
}

/// The delimiter that splits the first lines into the same number (> 0) of fields, most fields
/// first; a comma when none does.
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(20)
        .collect();
    // Delimiters inside double quotes are part of a field, not separators.
    let unquoted = |line: &[u8], candidate: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|&&b| {
                if b == b'"' {
                    quoted = !quoted;
                }
                !quoted && b == candidate
            })
            .count()
    };
    let mut best = (0usize, b',');
    for candidate in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| unquoted(l, candidate)).collect();
        let consistent = counts
            .first()
            .is_some_and(|&c| c > 0 && counts.iter().all(|&n| n == c));
        if consistent && counts[0] > best.0 {
            best = (counts[0], candidate);
        }
    }
    best.1
}

fn read_csv(path: &Path, bytes: &[u8], delimiter: Option<u8>) -> Result<TextTable, InputError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(bytes));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    if names.iter().all(String::is_empty) {
        return Err(InputError::new(format!(
            "{}: the file is empty; expected a header row naming the columns, then one row per sample",
            path.display()
        )));
    }
    let mut columns = vec![TextColumn::default(); names.len()];
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    // Lines are counted from byte offsets: csv's own line count drifts on CRLF files.
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        // A record's position can sit on the line end before it (after a CR): skip to its first byte.
        let mut start = (reader.position().byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e)),
        }
        line += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = start;
        lines.push(line);
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.push(cell);
        }
    }
    Ok(TextTable {
        names,
        columns,
        lines,
        places: Places::Lines,
    })
}

fn csv_error(path: &Path, e: csv::Error) -> InputError {
    let place = e
        .position()
        .map(|p| format!("line {}: ", p.line()))
        .unwrap_or_default();
    InputError::new(format!(
        "{}: {place}malformed CSV: {e} (if the delimiter was guessed wrong, set `delimiter:` under `data:`)",
        path.display()
    ))
}

fn read_parquet(path: &Path) -> Result<TextTable, InputError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let invalid = |e: parquet::errors::ParquetError| {
        InputError::new(format!("{}: cannot read Parquet: {e}", path.display()))
    };
    let file = std::fs::File::open(path)
        .map_err(|e| InputError::new(format!("{}: cannot read data file: {e}", path.display())))?;
    let reader = SerializedFileReader::new(file).map_err(invalid)?;
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let mut columns = vec![TextColumn::default(); names.len()];
    for (row_number, row) in reader.into_iter().enumerate() {
        let row = row.map_err(invalid)?;
        for ((column, (name, field)), position) in
            columns.iter_mut().zip(row.get_column_iter()).zip(0..)
        {
            let cell = parquet_cell(field).ok_or_else(|| {
                InputError::new(format!(
                    "{}: row {}, column `{name}` (column {}): a nested value (list, map or struct); \
                     only flat columns can be features",
                    path.display(),
                    row_number + 1,
                    position + 1
                ))
            })?;
            column.push(&cell);
        }
    }
    Ok(TextTable {
        names,
        columns,
        lines: Vec::new(),
        places: Places::Rows,
    })
}

/// A Parquet value as the text a CSV would hold: numbers in their shortest exact form (so they
/// parse back to the same bits), dates as `YYYY-MM-DD`, timestamps as RFC 3339, null as empty.
fn parquet_cell(field: &parquet::record::Field) -> Option<String> {
    use parquet::record::Field as F;
    let timestamp = |micros: i64| {
        chrono::DateTime::from_timestamp_micros(micros).map_or_else(String::new, |t| {
            t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
        })
    };
    Some(match field {
        F::Null => String::new(),
        F::Bool(b) => b.to_string(),
        F::Byte(v) => v.to_string(),
        F::Short(v) => v.to_string(),
        F::Int(v) => v.to_string(),
        F::Long(v) => v.to_string(),
        F::UByte(v) => v.to_string(),
        F::UShort(v) => v.to_string(),
        F::UInt(v) => v.to_string(),
        F::ULong(v) => v.to_string(),
        F::Float16(v) => f64::from(f32::from(*v)).to_string(),
        F::Float(v) => f64::from(*v).to_string(),
        F::Double(v) => v.to_string(),
        F::Str(s) => s.clone(),
        F::Date(days) => chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(*days))))
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        F::TimestampMillis(ms) => timestamp(ms.saturating_mul(1000)),
        F::TimestampMicros(us) => timestamp(*us),
        F::Decimal(_) | F::Bytes(_) | F::TimeMillis(_) | F::TimeMicros(_) => field.to_string(),
        F::Group(_) | F::ListInternal(_) | F::MapInternal(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> TextTable {
        read_table(Path::new("t.csv"), text.as_bytes(), None).unwrap()
    }

    #[test]
    fn semicolons_tabs_bom_crlf_and_quotes() {
        let t = read("\u{feff}a;b\r\n1;\"x;y\"\r\n2;z\r\n");
        assert_eq!(t.names, ["a", "b"]);
        assert_eq!(t.columns[1].get(0), "x;y");
        assert_eq!(t.lines, [2, 3]);
        let t = read("a\tb\n1\t2\n");
        assert_eq!(t.columns[1].get(0), "2");
    }

    #[test]
    fn gzip_reads_as_the_csv_inside() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a,b\n1,2\n").unwrap();
        let bytes = gz.finish().unwrap();
        let t = read_table(Path::new("t.csv.gz"), &bytes, None).unwrap();
        assert_eq!(t.columns[0].get(0), "1");
    }

    #[test]
    fn a_ragged_row_names_its_line() {
        let err = read_table(Path::new("t.csv"), b"a,b\n1,2\n3\n", None).unwrap_err();
        assert!(err.0.contains("line 3"), "{err}");
    }
}
