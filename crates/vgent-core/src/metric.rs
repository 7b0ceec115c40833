//! The four metrics and the one similarity/distance convention shared by every tier.
//!
//! similarity is "higher is better": cosine → cos θ; dot_product → a·b; euclidean → 1/(1+‖a−b‖₂);
//! manhattan → 1/(1+‖a−b‖₁). distance is the metric's own: 1 − cos θ; −a·b; ‖a−b‖₂; ‖a−b‖₁.
//!
//! Scans rank by a cheap *key* that is monotone in similarity (cos, a·b, −‖a−b‖², −‖a−b‖₁), so no
//! square root or division is paid per row; only the top-k keys are converted.
use crate::error::{err, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Cosine,
    Euclidean,
    DotProduct,
    Manhattan,
}

impl Metric {
    pub fn parse(name: &str) -> Result<Metric> {
        match name {
            "cosine" => Ok(Metric::Cosine),
            "euclidean" => Ok(Metric::Euclidean),
            "dot_product" => Ok(Metric::DotProduct),
            "manhattan" => Ok(Metric::Manhattan),
            other => Err(err(
                ErrorCode::InvalidArgument,
                format!("unknown metric {other:?}: expected cosine, euclidean, dot_product or manhattan"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Euclidean => "euclidean",
            Metric::DotProduct => "dot_product",
            Metric::Manhattan => "manhattan",
        }
    }

    /// Converts a ranking key (see module doc) to `(similarity, distance)`.
    pub fn key_to_scores(self, key: f32) -> (f64, f64) {
        let key = key as f64;
        match self {
            Metric::Cosine => {
                let cos = key.clamp(-1.0, 1.0);
                (cos, 1.0 - cos)
            }
            Metric::DotProduct => (key, -key),
            Metric::Euclidean => {
                let d = (-key).max(0.0).sqrt();
                (1.0 / (1.0 + d), d)
            }
            Metric::Manhattan => {
                let d = (-key).max(0.0);
                (1.0 / (1.0 + d), d)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for m in [
            Metric::Cosine,
            Metric::Euclidean,
            Metric::DotProduct,
            Metric::Manhattan,
        ] {
            assert_eq!(Metric::parse(m.as_str()).unwrap(), m);
        }
        assert_eq!(
            Metric::parse("l2").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn keys_convert_to_the_documented_scores() {
        assert_eq!(Metric::Euclidean.key_to_scores(-25.0), (1.0 / 6.0, 5.0));
        assert_eq!(Metric::Manhattan.key_to_scores(-3.0), (0.25, 3.0));
        assert_eq!(Metric::DotProduct.key_to_scores(2.5), (2.5, -2.5));
        assert_eq!(Metric::Cosine.key_to_scores(0.5), (0.5, 0.5));
    }
}
