//! ACP on the wire: the typed requests and answers of the ACP Shipper API (`wire`), the XML writer of
//! requests with streamed base64 attachments (`request`), the exact size budget against ACP's limits
//! (`budget`), and the tolerant, bounded reader of answers (`answer`).
//!
//! Shared by the pipeline's client and the local sandbox; depends on the shared vocabulary (`mawb-model`)
//! only, so neither side can reach into the other's code.

pub mod answer;
pub mod budget;
pub mod request;
pub mod wire;
