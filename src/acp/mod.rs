//! The ACP Shipper API on the client side: wire types, request writers, answer parser, size budget and
//! HTTP body encodings.

pub mod answer;
pub mod budget;
pub mod client;
pub mod convert;
pub mod encode;
pub mod manifest_file;
pub mod request;
pub mod wire;
