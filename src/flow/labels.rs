//! Labels in a run: a label is decoded, checked and staged in the archive before the object it belongs to
//! is recorded in the ledger, and both are recorded in one transaction. An object created with a label
//! request whose label could not be kept (none in the answer, not decodable, not an image, the archive
//! not writable, the process killed) is recorded as still wanting it; the run fails and says which, and
//! the next run finds it here and gets the label again by cancelling and creating the object once more,
//! as ACP advises for a lost label (only objects this ledger sent, never one taken over with `--adopt`).

use super::{Run, Stop};
use crate::acp::answer::{decode_label, AnswerError};
use crate::acp::wire;
use crate::archive::{ArchiveError, Entity};
use crate::ledger::LabelRow;
use std::collections::HashSet;

/// Why a label could not be kept.
pub(super) enum LabelTrouble {
    /// The label itself: missing from the answer, not base64, empty, not an image, too big.
    Bad(String),
    /// The archive could not be written (read-only, disk full): getting the label again would not help.
    Archive(String),
}

/// What [`Run::keep_label`] made of one label.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// The staged label's rows (a zip of PNGs gives several).
    pub rows: Vec<LabelRow>,
    /// Why a wanted label could not be kept.
    pub lacking: Option<String>,
    /// The archive could not be written.
    pub archive_trouble: Option<String>,
}

/// What earlier runs of a MAWB left without its label in the archive.
#[derive(Debug, Default)]
pub(super) struct Lacking {
    /// Keys of items.
    pub items: HashSet<String>,
    /// shipperBagIds of bags.
    pub bags: HashSet<String>,
    /// The day.
    pub day: bool,
    /// One line per object, for messages.
    pub described: Vec<String>,
}

impl Lacking {
    pub fn is_empty(&self) -> bool {
        self.described.is_empty()
    }
}

impl Run<'_, '_> {
    /// Decodes, checks and stages the label of `entity` `id` (the answer's, `None` when it had none).
    /// Nothing is recorded in the ledger here: the caller records the object and these rows together.
    pub(super) fn stage_label(
        &self,
        entity: Entity,
        id: &str,
        label: Option<&wire::Label>,
    ) -> Result<Vec<LabelRow>, LabelTrouble> {
        let label =
            label.ok_or_else(|| LabelTrouble::Bad("ACP's answer carried no label".into()))?;
        let bytes = crate::contain::contain(|| decode_label(label))
            .unwrap_or_else(|msg| Err(AnswerError::ReaderFailed(msg)))
            .map_err(|e| LabelTrouble::Bad(format!("its label could not be decoded: {e}")))?;
        self.ctx
            .services
            .archive
            .stage(&self.mawb, entity, id, &bytes)
            .map_err(|e| match e {
                ArchiveError::BadLabel { why, .. } => LabelTrouble::Bad(format!("its label {why}")),
                io @ ArchiveError::Io { .. } => LabelTrouble::Archive(io.to_string()),
            })
    }

    /// Stages the label of `entity` `id` when one was asked for (`wanted`) or came all the same: the rows
    /// to record with the object, why a wanted label could not be kept (an unasked broken label is only
    /// logged), and an archive error when the archive could not be written.
    pub(super) fn keep_label(
        &self,
        entity: Entity,
        id: &str,
        wanted: bool,
        label: Option<&wire::Label>,
    ) -> Kept {
        let mut kept = Kept::default();
        if !wanted && label.is_none() {
            return kept;
        }
        match self.stage_label(entity, id, label) {
            Ok(rows) => kept.rows = rows,
            Err(LabelTrouble::Bad(why)) if wanted => kept.lacking = Some(why),
            Err(LabelTrouble::Bad(why)) => {
                tracing::warn!(mawb = %self.mawb, "{} {id}: a label came unasked and was not kept: {why}", entity.as_str());
            }
            Err(LabelTrouble::Archive(e)) => kept.archive_trouble = Some(e),
        }
        kept
    }

    /// Counts labels recorded in the ledger, and the void labels they replace.
    pub(super) fn note_labels(&mut self, rows: usize, replaced: Vec<(String, Vec<String>)>) {
        self.out.labels_archived += rows;
        for (tracking_number, olds) in replaced {
            for old in olds {
                self.out.relabelled.push(super::Relabel {
                    tracking_number: tracking_number.clone(),
                    replaces: old,
                });
            }
        }
    }

    /// Notes an object left without its label in this run.
    pub(super) fn lacks_label(&mut self, what: String) {
        tracing::warn!(mawb = %self.mawb, "{what}");
        self.out.labels_missing.push(what);
    }

    /// The objects this ledger created with a label request whose label is not in the archive: never
    /// recorded, or recorded but its file is gone from the archive.
    pub(super) fn lacking_labels(&self) -> Result<Lacking, Stop> {
        let wanting = self.ctx.services.ledger.wanting_labels(&self.mawb)?;
        if wanting.is_empty() {
            return Ok(Lacking::default());
        }
        let present = self.ctx.services.archive.present_files(&self.mawb);
        let mut lacking = Lacking::default();
        for w in wanting {
            let why = if w.files.is_empty() {
                "its label never reached the archive"
            } else if w.files.iter().any(|f| !present.contains(f)) {
                "its label is missing from the archive"
            } else {
                continue;
            };
            let id = w.id.as_deref().unwrap_or("?");
            match w.entity.as_str() {
                "item" => {
                    lacking
                        .described
                        .push(format!("item {} (tracking {id}): {why}", w.key));
                    lacking.items.insert(w.key);
                }
                "bag" => {
                    lacking
                        .described
                        .push(format!("bag {} (bagId {id}): {why}", w.key));
                    lacking.bags.insert(w.key);
                }
                _ => {
                    lacking.described.push(format!("day {id}: {why}"));
                    lacking.day = true;
                }
            }
        }
        Ok(lacking)
    }
}

/// The message of a run that stops because objects lack their labels.
pub(super) fn stop_for_missing(missing: &[String], held_back: &str) -> Stop {
    let n = missing.len();
    let mut shown: Vec<&str> = missing.iter().map(String::as_str).take(10).collect();
    if n > shown.len() {
        shown.push("…");
    }
    Stop::Refused(format!(
        "{n} label(s) are not in the archive: {}. So {held_back} were held back (not sent); run again: the next run \
         cancels these objects at ACP and creates them again to get their labels",
        shown.join("; ")
    ))
}
