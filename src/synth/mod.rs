//! A seeded, deterministic synthetic fleet: realistic `Connections` exports with known
//! scenarios, for tests and benchmarks.
