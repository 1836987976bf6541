//! The ACP Shipper API on the client side: wire types, request writers, answer parser, size budget and
//! HTTP body encodings.

pub mod client;
pub mod convert;
pub mod encode;
pub mod manifest_file;

pub use mawb_wire::{answer, budget, request, wire};
