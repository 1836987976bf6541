//! mawb: prepares, validates and uploads air-cargo master manifests (MAWBs) to the ACP Shipper API.
//!
//! Data flows one way through the stages, each a module:
//! `ingest` (folders and spreadsheets → items) → `validate` (ACP's rules → problems) → `aggregate`
//! (totals) → `acp` (the wire: payloads, answers, client) → `flow` (the run of one MAWB against ACP,
//! recorded in the `ledger`) → `archive` (labels). `sandbox` is a local ACP server sharing only `acp::wire`.
//! See ARCHITECTURE.md for the map.

#[macro_use]
pub mod out;

pub mod acp;
pub mod aggregate;
pub mod allocator;
pub mod archive;
pub mod check;
pub mod cli;
pub mod contain;
pub mod flow;
pub mod fsutil;
pub mod ingest;
pub mod ledger;
pub mod mawb_lock;
pub use mawb_model as model;
pub mod plan;
pub mod prepare;
pub mod problem;
pub mod report;
pub mod runner;
pub mod samples;
pub use mawb_sandbox as sandbox;
pub mod validate;
pub mod watch;
