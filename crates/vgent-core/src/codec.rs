//! The float32 codec: vectors as little-endian IEEE-754 singles, 4 bytes per value, on every platform.
use crate::error::{err, ErrorCode, Result};

pub fn encode_f32_le(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 4);
    encode_f32_le_into(v, &mut out);
    out
}

/// Appends `v` to `out` as little-endian float32 bytes.
pub fn encode_f32_le_into(v: &[f32], out: &mut Vec<u8>) {
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

pub fn decode_f32_le(bytes: &[u8]) -> Result<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return Err(err(
            ErrorCode::InvalidVector,
            format!(
                "a float32 vector needs a multiple of 4 bytes, got {}",
                bytes.len()
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Appends the floats of `bytes` (a multiple of 4 long; a partial last value is ignored) to `out`.
pub fn decode_f32_le_into(bytes: &[u8], out: &mut Vec<f32>) {
    let n = bytes.len() / 4;
    out.reserve(n);
    if cfg!(target_endian = "little") {
        let spare = &mut out.spare_capacity_mut()[..n];
        // SAFETY: on a little-endian target the wire bytes are the floats' in-memory bytes, and every
        // bit pattern is a valid f32. `spare` is `n` reserved, unaliased elements (4·n bytes) and the
        // source holds at least 4·n bytes; a byte copy has no alignment requirement. After the copy
        // the first `n` spare elements are initialised, so growing the length by `n` is sound.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), spare.as_mut_ptr().cast::<u8>(), n * 4);
            out.set_len(out.len() + n);
        }
    } else {
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_little_endian() {
        let v = [1.0f32, -2.5, f32::MIN_POSITIVE];
        let bytes = encode_f32_le(&v);
        assert_eq!(&bytes[..4], &[0x00, 0x00, 0x80, 0x3f]);
        assert_eq!(decode_f32_le(&bytes).unwrap(), v.to_vec());
        let mut into = vec![9.0f32];
        decode_f32_le_into(&[&bytes[..], &[7u8][..]].concat(), &mut into);
        assert_eq!(into, [9.0, 1.0, -2.5, f32::MIN_POSITIVE]);
        assert_eq!(
            decode_f32_le(&[0, 1, 2]).unwrap_err().code,
            ErrorCode::InvalidVector
        );
    }
}
