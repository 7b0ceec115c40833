//! One error type for the whole core. Every failure carries a stable code that survives the trip to JS.
use std::fmt;

/// Stable error codes; the strings are part of the public contract (`VgentError.code` in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    DimensionMismatch,
    InvalidVector,
    InvalidId,
    InvalidArgument,
    InvalidFilter,
    Closed,
    StoreCorrupt,
    StoreLocked,
    StoreMismatch,
    Io,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::DimensionMismatch => "DIMENSION_MISMATCH",
            ErrorCode::InvalidVector => "INVALID_VECTOR",
            ErrorCode::InvalidId => "INVALID_ID",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::InvalidFilter => "INVALID_FILTER",
            ErrorCode::Closed => "CLOSED",
            ErrorCode::StoreCorrupt => "STORE_CORRUPT",
            ErrorCode::StoreLocked => "STORE_LOCKED",
            ErrorCode::StoreMismatch => "STORE_MISMATCH",
            ErrorCode::Io => "IO_ERROR",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VgentError {
    pub code: ErrorCode,
    pub message: String,
}

impl VgentError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        VgentError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for VgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for VgentError {}

pub type Result<T> = std::result::Result<T, VgentError>;

/// Shorthand used by validators: `Err(err(ErrorCode::InvalidId, "..."))`.
pub fn err(code: ErrorCode, message: impl Into<String>) -> VgentError {
    VgentError::new(code, message)
}
