//! Management review snapshot (ISO 13485 5.6).
