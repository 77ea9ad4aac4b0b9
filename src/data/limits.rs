//! Limits on what a table may make the reader hold, so a hostile file (a decompression bomb, a file
//! without line breaks) is refused with what to do instead of filling memory.

use crate::error::InputError;
use std::path::Path;

/// How much memory a gzip table read whole may take (its cells' text plus 8 bytes per cell and per
/// row): [`ExpansionLimit::RATIO`] times its compressed size, or [`ExpansionLimit::FLOOR`], whichever
/// is more. Real tables compress 3-10 times (flights.csv.gz: 3.9) and take about twice their text;
/// a file past this is refused as a likely decompression bomb (a 6 MB file can hold 6 GB of short
/// rows, each costing more to keep than its text) before it fills memory.
#[derive(Debug, Clone, Copy)]
pub struct ExpansionLimit(u64);

impl ExpansionLimit {
    pub const RATIO: u64 = 50;
    pub const FLOOR: u64 = 128 << 20;

    pub fn for_compressed(size: usize) -> ExpansionLimit {
        ExpansionLimit((size as u64).saturating_mul(Self::RATIO).max(Self::FLOOR))
    }

    /// Refuses once `kept` bytes pass the limit.
    pub fn check(self, path: &Path, kept: u64) -> Result<(), InputError> {
        if kept <= self.0 {
            return Ok(());
        }
        Err(InputError::new(format!(
            "{}: the table takes more than {} in memory ({} times its compressed size, or {} MiB if more): \
             refused as a likely decompression bomb; if it is a real table, decompress it (gunzip) and give \
             the CSV",
            path.display(),
            bytesize::ByteSize(self.0).display().iec(),
            Self::RATIO,
            Self::FLOOR >> 20
        )))
    }
}

/// The longest cell or column name read, in bytes: a longer one is a file without line breaks or
/// with an unclosed quote far more often than a value, and would be copied into every message.
pub const MAX_CELL_BYTES: usize = 1 << 20;

/// The longest stretch of a CSV file without a line break, in bytes: far more than any row of cells
/// within [`MAX_CELL_BYTES`] needs in practice, and read before the parser would buffer it whole.
pub const MAX_LINE_BYTES: u64 = 64 << 20;

/// Refuses a cell longer than [`MAX_CELL_BYTES`], naming its place: `line` of the file (`None`: the
/// header) and field. Cheap when the cell fits: it runs on every cell.
pub fn check_cell_length(
    path: &Path,
    line: Option<u64>,
    field: usize,
    cell: &str,
) -> Result<(), InputError> {
    if cell.len() <= MAX_CELL_BYTES {
        return Ok(());
    }
    let place = line.map_or_else(
        || "line 1 (the header)".to_string(),
        |l| format!("line {l}"),
    );
    Err(InputError::new(format!(
        "{}: {place}, field {}: a cell of {} bytes, more than the {} a cell may hold; is a line break \
         missing, or a quote left open?",
        path.display(),
        field + 1,
        cell.len(),
        MAX_CELL_BYTES
    )))
}
