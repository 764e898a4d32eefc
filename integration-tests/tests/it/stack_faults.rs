//! The deployed stack under faults at every seam (filled in next).
