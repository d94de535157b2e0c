//! iothub-triage: turns exported Azure IoT Hub diagnostic logs (category `Connections`)
//! into a per-device diagnosis. Data flows one way: input → model → analysis → report.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod escape;
pub mod gate;
pub mod input;
pub mod kql;
pub mod memory;
pub mod model;
pub mod report;
pub mod rules;
pub mod run;
pub mod synth;
