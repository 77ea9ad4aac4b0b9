//! Reading a table file as published: CSV (delimiter sniffed or given, quoted fields, BOM, CRLF),
//! gzip-compressed CSV (`.csv.gz`) and Parquet, into columns of cell text with the place each row
//! came from: the whole file at once, or chunk by chunk in bounded memory ([`TableReader`]). Typing the columns is [`infer`](super::infer)'s job; this module only reads.

use super::limits::{check_cell_length, ExpansionLimit, MAX_LINE_BYTES};
use crate::error::InputError;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::rc::Rc;

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

/// Whether a table's row numbers are CSV lines or Parquet rows, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Places {
    Lines,
    Rows,
}

/// A file read as text columns: the whole file, or one chunk of its rows.
#[derive(Debug, Clone)]
pub struct TextTable {
    pub names: Vec<String>,
    pub columns: Vec<TextColumn>,
    /// Per row: the CSV line it starts on, or its 1-based Parquet row number.
    pub lines: Vec<u64>,
    pub places: Places,
    /// Columns holding nested values (Parquet lists, maps, structs), whose cells are left empty:
    /// a table may have them as long as nothing reads them ([`TextTable::refuse_nested`]).
    pub nested: Vec<usize>,
}

impl TextTable {
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, TextColumn::len)
    }

    /// Refuses reading any of `columns` that holds nested values, naming the first.
    pub fn refuse_nested(&self, path: &Path, columns: &[usize]) -> Result<(), InputError> {
        match columns.iter().find(|c| self.nested.contains(c)) {
            None => Ok(()),
            Some(&c) => Err(InputError::new(format!(
                "{}: column `{}` (column {}) holds nested values (lists, maps or structs); only flat columns \
                 can be read: leave it out with `drop: [{}]` under `data:`",
                path.display(),
                crate::error::shortened(&self.names[c]),
                c + 1,
                crate::error::shortened(&self.names[c])
            ))),
        }
    }

    /// "line 12" or "row 11", for row index `row`.
    pub fn place(&self, row: usize) -> String {
        let number = self.lines.get(row).copied().unwrap_or(0);
        match self.places {
            Places::Lines => format!("line {number}"),
            Places::Rows => format!("row {number}"),
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
    bytes: Vec<u8>,
    delimiter: Option<u8>,
) -> Result<TextTable, InputError> {
    let format = Format::of(path, &bytes);
    let limit = (format == Format::GzipCsv).then(|| ExpansionLimit::for_compressed(bytes.len()));
    let source: Box<dyn Read> = Box::new(std::io::Cursor::new(bytes));
    let mut reader = TableReader::new(path, format, source, delimiter)?;
    reader.limit = limit;
    Ok(reader
        .next_chunk(usize::MAX)?
        .unwrap_or_else(|| reader.empty()))
}

/// Reads a table file chunk by chunk, so a file of any size is read in bounded memory.
pub struct TableReader {
    path: PathBuf,
    pub names: Vec<String>,
    rows: Rows,
    /// For a gzip table read whole: the memory its rows may take (see [`ExpansionLimit`]).
    limit: Option<ExpansionLimit>,
    /// Bytes of the rows read so far, as kept in [`TextColumn`]s.
    kept: u64,
}

enum Rows {
    Csv {
        reader: csv::Reader<Box<dyn Read>>,
        terminators: Rc<RefCell<Terminators>>,
    },
    Parquet {
        rows: parquet::record::reader::RowIter<'static>,
        read: u64,
        /// Columns of nested values.
        nested: Vec<usize>,
    },
}

impl TableReader {
    /// Opens `path`, reading only its header (and, for CSV, enough lines to sniff the delimiter).
    pub fn open(path: &Path, delimiter: Option<u8>) -> Result<TableReader, InputError> {
        let cannot = |e: std::io::Error| {
            InputError::new(format!("{}: cannot read data file: {e}", path.display()))
        };
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if !meta.is_file() {
            return Err(InputError::new(format!(
                "{}: cannot read data file: it is not a regular file (a folder, device or pipe); give the path of a file",
                path.display()
            )));
        }
        let mut file = std::fs::File::open(path).map_err(cannot)?;
        let mut magic = [0u8; 4];
        let got = file.read(&mut magic).map_err(cannot)?;
        file.rewind().map_err(cannot)?;
        let format = Format::of(path, &magic[..got]);
        let source: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(1 << 16, file));
        // Streamed chunk by chunk, so any expansion is read in bounded memory: no limit.
        TableReader::new(path, format, source, delimiter)
    }

    fn new(
        path: &Path,
        format: Format,
        source: Box<dyn Read>,
        delimiter: Option<u8>,
    ) -> Result<TableReader, InputError> {
        match format {
            Format::Csv => csv_reader(path, source, delimiter),
            Format::GzipCsv => csv_reader(
                path,
                Box::new(GzipText {
                    inner: flate2::read::MultiGzDecoder::new(std::io::BufReader::new(source)),
                }),
                delimiter,
            ),
            Format::Parquet => parquet_reader(path),
        }
    }

    /// A table with this file's columns and no rows.
    pub fn empty(&self) -> TextTable {
        TextTable {
            names: self.names.clone(),
            columns: vec![TextColumn::default(); self.names.len()],
            lines: Vec::new(),
            places: match self.rows {
                Rows::Csv { .. } => Places::Lines,
                Rows::Parquet { .. } => Places::Rows,
            },
            nested: match &self.rows {
                Rows::Csv { .. } => Vec::new(),
                Rows::Parquet { nested, .. } => nested.clone(),
            },
        }
    }

    /// The next (up to) `max_rows` rows, or `None` at the end of the file.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<TextTable>, InputError> {
        let mut table = self.empty();
        match &mut self.rows {
            Rows::Csv {
                reader,
                terminators,
            } => {
                let mut record = csv::StringRecord::new();
                while table.lines.len() < max_rows {
                    let start = reader.position().byte();
                    match reader.read_record(&mut record) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => return Err(csv_error(&self.path, e, terminators)),
                    }
                    let line = terminators.borrow_mut().line_at(start);
                    table.lines.push(line);
                    for (field, (column, cell)) in
                        table.columns.iter_mut().zip(record.iter()).enumerate()
                    {
                        check_cell_length(&self.path, Some(line), field, cell)?;
                        column.push(cell);
                    }
                    if let Some(limit) = self.limit {
                        self.kept += 8 + record.as_slice().len() as u64 + 8 * record.len() as u64;
                        limit.check(&self.path, self.kept)?;
                    }
                }
            }
            Rows::Parquet { rows, read, .. } => {
                while table.lines.len() < max_rows {
                    let Some(row) = rows.next() else { break };
                    *read += 1;
                    let row = row.map_err(|e| parquet_error(&self.path, e))?;
                    for (column, (_, field)) in table.columns.iter_mut().zip(row.get_column_iter())
                    {
                        column.push(&parquet_cell(field).unwrap_or_default());
                    }
                    table.lines.push(*read);
                }
            }
        }
        Ok((!table.lines.is_empty()).then_some(table))
    }
}

/// Offsets of the line-end bytes the CSV parser has been handed but not yet passed, so each record
/// gets the line it starts on (csv's own count drifts on CRLF files and after blank lines).
#[derive(Default)]
struct Terminators {
    ahead: VecDeque<(u64, bool)>,
    newlines_passed: u64,
}

impl Terminators {
    /// The line of the record whose parse started at byte `start` (possibly on line ends before it).
    fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(offset, newline)) = self.ahead.front() {
            if offset >= start {
                break;
            }
            self.newlines_passed += u64::from(newline);
            self.ahead.pop_front();
        }
        let mut skipped = 0;
        for (expected, &(offset, newline)) in (start..).zip(&self.ahead) {
            if offset != expected {
                break;
            }
            skipped += u64::from(newline);
        }
        1 + self.newlines_passed + skipped
    }
}

/// A reader that notes where the line ends are in what it hands on.
struct Tracked {
    inner: Box<dyn Read>,
    offset: u64,
    terminators: Rc<RefCell<Terminators>>,
    /// Bytes since the last line end: a file with none for [`MAX_LINE_BYTES`] is refused before the
    /// CSV parser buffers it whole.
    since_break: u64,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut marks = self.terminators.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                marks.ahead.push_back((self.offset + i as u64, b == b'\n'));
                self.since_break = 0;
            } else {
                self.since_break += 1;
            }
        }
        self.offset += n as u64;
        if self.since_break > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "line {}: more than {} MiB without a line break; is it a CSV file (or a quote left open)?",
                marks.line_at(self.offset),
                MAX_LINE_BYTES >> 20
            )));
        }
        Ok(n)
    }
}

/// Gzip text whose decompression errors say what to do.
struct GzipText {
    inner: flate2::read::MultiGzDecoder<std::io::BufReader<Box<dyn Read>>>,
}

impl Read for GzipText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot decompress (gzip): {e}; give a .csv.gz written by gzip, or the plain CSV"
                ),
            )
        })
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

/// A CSV reader past the header: a BOM is dropped and the delimiter sniffed from the first lines.
fn csv_reader(
    path: &Path,
    mut source: Box<dyn Read>,
    delimiter: Option<u8>,
) -> Result<TableReader, InputError> {
    let mut head = Vec::new();
    (&mut source)
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| InputError::new(format!("{}: cannot read data file: {e}", path.display())))?;
    let skip = if head.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&head[skip..]));
    head.drain(..skip);
    let terminators = Rc::new(RefCell::new(Terminators::default()));
    let text: Box<dyn Read> = Box::new(Tracked {
        inner: Box::new(std::io::Cursor::new(head).chain(source)),
        offset: 0,
        terminators: Rc::clone(&terminators),
        since_break: 0,
    });
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text);
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e, &terminators))?
        .iter()
        .map(str::to_string)
        .collect();
    for (field, name) in names.iter().enumerate() {
        check_cell_length(path, None, field, name)?;
    }
    if names.iter().all(String::is_empty) {
        return Err(InputError::new(format!(
            "{}: the file is empty; expected a header row naming the columns, then one row per sample",
            path.display()
        )));
    }
    Ok(TableReader {
        path: path.to_path_buf(),
        names,
        rows: Rows::Csv {
            reader,
            terminators,
        },
        limit: None,
        kept: 0,
    })
}

/// A CSV error in words, at the line this module counts (csv's own count drifts on CRLF files,
/// and its record numbers count the header as record 0).
fn csv_error(path: &Path, e: csv::Error, terminators: &RefCell<Terminators>) -> InputError {
    let line = |p: &csv::Position| terminators.borrow_mut().line_at(p.byte());
    let what = match e.kind() {
        csv::ErrorKind::Io(io) => {
            return InputError::new(format!("{}: cannot read data file: {io}", path.display()))
        }
        csv::ErrorKind::UnequalLengths {
            pos: Some(p),
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields where the header has {expected_len}",
            line(p)
        ),
        csv::ErrorKind::Utf8 { pos: Some(p), err } => format!(
            "line {}, field {}: not UTF-8 text; save the file as UTF-8",
            line(p),
            err.field() + 1
        ),
        _ => e.to_string(),
    };
    InputError::new(format!(
        "{}: {what}: malformed CSV (if the delimiter was guessed wrong, set `delimiter:` under `data:`)",
        path.display()
    ))
}

fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> InputError {
    InputError::new(format!("{}: cannot read Parquet: {e}", path.display()))
}

fn parquet_reader(path: &Path) -> Result<TableReader, InputError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path)
        .map_err(|e| InputError::new(format!("{}: cannot read data file: {e}", path.display())))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_error(path, e))?;
    let fields = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .to_vec();
    let names: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
    let nested = (0..fields.len())
        .filter(|&c| fields[c].is_group())
        .collect();
    Ok(TableReader {
        path: path.to_path_buf(),
        names,
        rows: Rows::Parquet {
            rows: reader.into_iter(),
            read: 0,
            nested,
        },
        limit: None,
        kept: 0,
    })
}

/// A Parquet value as the text a CSV would hold: numbers in their shortest exact form (so they
/// parse back to the same bits), dates as `YYYY-MM-DD`, timestamps as RFC 3339, null as empty;
/// `None` for a nested value.
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
        read_table(Path::new("t.csv"), text.as_bytes().to_vec(), None).unwrap()
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
        let t = read_table(Path::new("t.csv.gz"), bytes, None).unwrap();
        assert_eq!(t.columns[0].get(0), "1");
    }

    #[test]
    fn a_ragged_row_names_its_line() {
        let err = read_table(Path::new("t.csv"), b"a,b\n1,2\n3\n".to_vec(), None).unwrap_err();
        assert!(
            err.0.contains("line 3: 1 fields where the header has 2"),
            "{err}"
        );
        let crlf = b"a,b\r\n1,2\r\n\r\n4,5\r\n6\r\n".to_vec();
        let err = read_table(Path::new("t.csv"), crlf, None).unwrap_err();
        assert!(err.0.contains("line 5:"), "{err}");
        assert!(!err.0.contains("record"), "{err}");
    }

    #[test]
    fn rows_name_the_line_they_start_on_across_chunks() {
        for text in [
            "a,b\r\n1,2\r\n3,4\r\n\r\n5,\"x\ny\"\r\n6,7\r\n",
            "a,b\n1,2\n3,4\n\n5,\"x\ny\"\n6,7\n",
        ] {
            let source: Box<dyn Read> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
            let mut reader =
                TableReader::new(Path::new("t.csv"), Format::Csv, source, None).unwrap();
            let mut lines = Vec::new();
            while let Some(chunk) = reader.next_chunk(3).unwrap() {
                assert!(chunk.n_rows() <= 3);
                lines.extend(chunk.lines);
            }
            assert_eq!(lines, [2, 3, 5, 7], "{text:?}");
        }
    }
}
