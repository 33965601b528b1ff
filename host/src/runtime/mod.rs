//! (placeholder, see issues)
