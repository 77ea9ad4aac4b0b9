//! Durations and byte sizes as users write them (`30s`, `5m`, `2GiB`), bounded to what is meaningful.

use std::time::Duration;

/// The longest time limit accepted: far beyond any trial, small enough that deadlines never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// `30s`, `5m`, `1h 30m`, `250ms`; a bare number is seconds. At most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= MAX_DURATION.as_secs_f64() => {
            Some(Duration::from_secs_f64(seconds))
        }
        Ok(_) => None,
        Err(_) => humantime::parse_duration(text).ok(),
    };
    match parsed {
        Some(d) if !d.is_zero() && d <= MAX_DURATION => Ok(d),
        _ => Err(format!(
            "invalid duration `{text}`: expected e.g. `30s`, `5m`, `1h`, more than 0 and at most 7 days"
        )),
    }
}

/// `2GiB`, `512MiB`, `1G`; a bare number is bytes. At least `min` bytes.
pub fn parse_bytes(text: &str, min: u64) -> Result<u64, String> {
    match text.trim().parse::<bytesize::ByteSize>() {
        Ok(b) if b.as_u64() >= min => Ok(b.as_u64()),
        Ok(b) => Err(format!(
            "memory size `{text}` ({b}) is below the minimum of {}",
            bytesize::ByteSize(min)
        )),
        Err(_) => Err(format!(
            "invalid memory size `{text}`: expected e.g. `512MiB`, `2GiB`"
        )),
    }
}

/// A duration in the form [`parse_duration`] reads back exactly.
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_parsed_and_bounded() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        for huge in [
            "1e30",
            "1e19",
            "18446744073709551615s",
            "8d",
            "0",
            "-1",
            "NaN",
            "inf",
        ] {
            assert!(parse_duration(huge).is_err(), "{huge}");
        }
        let d = Duration::from_millis(90_250);
        assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }

    #[test]
    fn sizes_have_a_floor() {
        assert_eq!(parse_bytes("2GiB", 1), Ok(2 << 30));
        assert_eq!(parse_bytes("512MiB", 1), Ok(512 << 20));
        assert!(parse_bytes("lots", 1).is_err());
        let err = parse_bytes("1B", 64 << 20).unwrap_err();
        assert!(err.contains("below the minimum of 64.0 MiB"), "{err}");
    }
}
