//! Encoding of the log: header, framed records and the ops inside them. See `FORMAT.md`.
use crate::error::{err, ErrorCode, Result};

pub const MAGIC: &[u8; 8] = b"VGNTLOG\0";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 16;
/// Frame bytes before the payload: length and checksum.
pub const FRAME_LEN: usize = 8;
/// One record may not exceed 1 GiB: a bigger length is a corrupt frame, not a huge allocation.
pub const MAX_RECORD: usize = 1 << 30;

const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
const OP_INFO: u8 = 3;
const OP_ROWS: u8 = 4;
/// A rows op puts its first row at a file offset that is a multiple of this: rows can then be read
/// in place, as float32, from a mapping of the file (one cache line, so no row straddles more lines
/// than it must).
pub const ROWS_ALIGN: u64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Datum = 1,
    Vector = 2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put {
        key: String,
        value: Vec<u8>,
    },
    Delete {
        key: String,
    },
    Info {
        value: Vec<u8>,
    },
    /// Many vector puts with their rows side by side: `rows` holds `entries.len()` rows of `dim`
    /// float32 (little-endian bytes); each entry is an id and its metadata JSON (possibly empty).
    Rows {
        dim: u32,
        rows: Vec<u8>,
        entries: Vec<(String, Vec<u8>)>,
    },
}

pub fn header(kind: StoreKind) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(kind as u32).to_le_bytes());
    h
}

pub fn parse_header(bytes: &[u8], file: &str) -> Result<StoreKind> {
    let corrupt = |why: &str| err(ErrorCode::StoreCorrupt, format!("{file}: {why}"));
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(corrupt("not a vgent log (bad magic)"));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VERSION {
        return Err(corrupt(&format!(
            "log format version {version} is not supported (this build reads {VERSION})"
        )));
    }
    match u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) {
        1 => Ok(StoreKind::Datum),
        2 => Ok(StoreKind::Vector),
        k => Err(corrupt(&format!("unknown store kind {k}"))),
    }
}

/// Appends one framed record holding `ops` to `out`, whose first byte will sit at file offset
/// `out_offset` (rows ops pad themselves to `ROWS_ALIGN` by it). Returns the file offset of each
/// rows op's first row, in order.
pub fn encode_record(ops: &[Op], out: &mut Vec<u8>, out_offset: u64) -> Vec<u64> {
    let start = out.len();
    let mut rows_at = Vec::new();
    out.extend_from_slice(&[0u8; FRAME_LEN]);
    for op in ops {
        match op {
            Op::Put { key, value } => {
                out.push(OP_PUT);
                put_bytes(out, key.as_bytes());
                put_bytes(out, value);
            }
            Op::Delete { key } => {
                out.push(OP_DELETE);
                put_bytes(out, key.as_bytes());
            }
            Op::Info { value } => {
                out.push(OP_INFO);
                put_bytes(out, value);
            }
            Op::Rows { dim, rows, entries } => {
                out.push(OP_ROWS);
                out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
                out.extend_from_slice(&dim.to_le_bytes());
                // The pad length byte, then zeros up to the next aligned file offset.
                let after = out_offset + out.len() as u64 + 1;
                let pad = (ROWS_ALIGN - after % ROWS_ALIGN) % ROWS_ALIGN;
                out.push(pad as u8);
                out.resize(out.len() + pad as usize, 0);
                rows_at.push(out_offset + out.len() as u64);
                out.extend_from_slice(rows);
                for (key, value) in entries {
                    put_bytes(out, key.as_bytes());
                    put_bytes(out, value);
                }
            }
        }
    }
    let len = (out.len() - start - FRAME_LEN) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    let crc = checksum(&out[start..start + 4], &out[start + FRAME_LEN..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    rows_at
}

pub fn checksum(len_bytes: &[u8], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(len_bytes), payload)
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// What the frame at the start of `bytes` is.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A verified record: its payload and its total length including the frame.
    Ok { payload: &'a [u8], total: usize },
    /// The record runs past the end of the data: a write cut short.
    Truncated,
    /// A complete record whose checksum does not match (or whose length is absurd).
    Bad,
}

pub fn read_frame(bytes: &[u8]) -> Frame<'_> {
    if bytes.len() < FRAME_LEN {
        return Frame::Truncated;
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if len > MAX_RECORD {
        return Frame::Bad;
    }
    if bytes.len() < FRAME_LEN + len {
        return Frame::Truncated;
    }
    let crc = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let payload = &bytes[FRAME_LEN..FRAME_LEN + len];
    if checksum(&bytes[..4], payload) != crc {
        return Frame::Bad;
    }
    Frame::Ok {
        payload,
        total: FRAME_LEN + len,
    }
}

/// Decodes the ops of a verified payload, borrowing keys and values from it.
pub fn decode_ops(payload: &[u8]) -> Result<Vec<OpRef<'_>>> {
    let mut ops = Vec::new();
    let mut r = Reader {
        b: payload,
        at: 0,
        base: 0,
    };
    decode_some(&mut r, &mut ops, usize::MAX)?;
    Ok(ops)
}

/// Decodes up to `max` ops from `r` onto `ops` (fewer at the end of the payload).
pub fn decode_some<'a>(r: &mut Reader<'a>, ops: &mut Vec<OpRef<'a>>, max: usize) -> Result<()> {
    let mut n = 0;
    while !r.done() && n < max {
        let tag = r.byte()?;
        ops.push(match tag {
            OP_PUT => OpRef::Put {
                key: r.str()?,
                value: r.bytes()?,
            },
            OP_DELETE => OpRef::Delete { key: r.str()? },
            OP_INFO => OpRef::Info { value: r.bytes()? },
            OP_ROWS => {
                let count = r.u32()? as usize;
                let dim = r.u32()?;
                let pad = r.byte()? as usize;
                r.take(pad)?;
                let rows_offset = r.base + r.at as u64;
                let row_bytes = (dim as usize).checked_mul(4 * count);
                let rows = r.take(
                    row_bytes
                        .ok_or_else(|| err(ErrorCode::StoreCorrupt, "a rows op is too big"))?,
                )?;
                let mut entries = Vec::with_capacity(count.min(r.b.len()));
                for _ in 0..count {
                    entries.push((r.str()?, r.bytes()?));
                }
                OpRef::Rows {
                    dim,
                    rows,
                    rows_offset,
                    entries,
                }
            }
            t => return Err(err(ErrorCode::StoreCorrupt, format!("unknown op tag {t}"))),
        });
        n += 1;
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum OpRef<'a> {
    Put {
        key: &'a str,
        value: &'a [u8],
    },
    Delete {
        key: &'a str,
    },
    Info {
        value: &'a [u8],
    },
    /// `rows` starts at file offset `rows_offset` (a multiple of `ROWS_ALIGN` when the writer knew
    /// where the record would land); `entries` are (id, metadata JSON) in row order.
    Rows {
        dim: u32,
        rows: &'a [u8],
        rows_offset: u64,
        entries: Vec<(&'a str, &'a [u8])>,
    },
}

/// A bounds-checked cursor: a malformed payload is an error, never a panic.
pub struct Reader<'a> {
    pub b: &'a [u8],
    pub at: usize,
    /// The file offset of `b[0]`, so that rows ops can say where their rows are in the file.
    pub base: u64,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.b.len());
        let end = end.ok_or_else(|| err(ErrorCode::StoreCorrupt, "record payload ends early"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    pub fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn f64(&mut self) -> Result<f64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(f64::from_le_bytes(a))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?)
            .map_err(|_| err(ErrorCode::StoreCorrupt, "a key is not UTF-8"))
    }
    pub fn done(&self) -> bool {
        self.at == self.b.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_detect_damage() {
        let ops = vec![
            Op::Info {
                value: b"{}".to_vec(),
            },
            Op::Put {
                key: "é".into(),
                value: vec![1, 2, 3],
            },
            Op::Delete { key: "x".into() },
        ];
        let mut buf = Vec::new();
        encode_record(&ops, &mut buf, 0);
        let Frame::Ok { payload, total } = read_frame(&buf) else {
            panic!("frame should verify")
        };
        assert_eq!(total, buf.len());
        let decoded = decode_ops(payload).unwrap();
        assert_eq!(
            decoded[1],
            OpRef::Put {
                key: "é",
                value: &[1, 2, 3]
            }
        );
        assert_eq!(decoded[2], OpRef::Delete { key: "x" });
        assert_eq!(read_frame(&buf[..buf.len() - 1]), Frame::Truncated);
        let mut flipped = buf.clone();
        flipped[FRAME_LEN + 3] ^= 0x40;
        assert_eq!(read_frame(&flipped), Frame::Bad);
    }

    #[test]
    fn header_checks_magic_version_and_kind() {
        assert_eq!(
            parse_header(&header(StoreKind::Vector), "f").unwrap(),
            StoreKind::Vector
        );
        let mut h = header(StoreKind::Datum);
        h[8] = 9;
        assert_eq!(
            parse_header(&h, "f").unwrap_err().code,
            ErrorCode::StoreCorrupt
        );
        assert_eq!(
            parse_header(b"nope", "f").unwrap_err().code,
            ErrorCode::StoreCorrupt
        );
    }
}
