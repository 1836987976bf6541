//! Denied-party screening: the consignee, shipper and return names and companies of every item against
//! the US Consolidated Screening List (the export-screening lists of the Departments of Commerce, State
//! and the Treasury in one file, published by the International Trade Administration at
//! <https://www.trade.gov/consolidated-screening-list> as `consolidated.csv`).
//!
//! The list is read as published: a CSV whose header names the columns `name` (required), `alt_names`
//! (aliases separated by `;`), `source` (the list an entry comes from), `_id` (or `id`; else
//! `entity_number`) and `addresses`; other columns are ignored. Names are compared after
//! [`normalize::tokens`] (case, accents, punctuation, company suffixes and word order do not matter) with
//! the score of [`index::score`]; a name that scores at least the threshold (default
//! [`DEFAULT_THRESHOLD`]) against an entry's name or alias is a `denied-party` error naming the entry, its
//! list and the score. A hit is a question for a person, not a verdict: the reviewer clears a false
//! positive by adding the name and the entry id to the allow-list (a CSV with columns `name` and
//! `entry_id`), and the hit is not reported again for that name and entry.
//!
//! Where the lists come from: `--screening-list FILE` (and `--screening-allow FILE`) on `check`,
//! `prepare`, `run` and `watch` apply to every MAWB and are read once when the command starts; mawb has no
//! batch-level settings file, so a MAWB's `mawb.toml` may name its own with `screening_list` and
//! `screening_allow` (relative to the MAWB folder), read again whenever the file changes. Both apply when
//! both are given.

pub mod index;
pub mod normalize;
#[cfg(test)]
mod tests;

use crate::ingest::columns::{Field, CONSIGNEE_FIELDS, RETURN_FIELDS, SHIPPER_FIELDS};
use crate::model::{MailItem, Mawb};
use crate::problem::*;
use index::{Index, Scratch};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The score a name must reach against a listed name to be a hit. Tuned so that word order, suffixes,
/// accents and one or two wrong letters still hit, and a shared first name or surname alone does not.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// One entry of a screening list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `_id` (the list's stable id), else `id`, else `entity_number`, else `row N`.
    pub id: String,
    /// The entry's name as the list writes it.
    pub name: String,
    /// The list the entry comes from (`source`), e.g. "Entity List (EL) - Bureau of Industry and Security".
    pub source: String,
    /// The entry's names: the primary name first, then the aliases, as the list writes them.
    pub names: Vec<String>,
}

/// Why a screening list or allow-list cannot be used. Each names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ScreeningError {
    #[error("{}: cannot read the screening file: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a CSV file mawb can read ({message}); use the Consolidated Screening List CSV as published", .path.display())]
    Csv { path: PathBuf, message: String },
    #[error("{}: the header has no {column} column (it has: {header}); use the Consolidated Screening List CSV as published, whose header names the columns", .path.display())]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        header: String,
    },
    #[error("{}: the list holds no name to screen against", .path.display())]
    Empty { path: PathBuf },
}

/// A denied-party list, read and indexed.
pub struct ScreeningList {
    /// The file it was read from, as given.
    pub path: PathBuf,
    pub entries: Vec<Entry>,
    index: Index,
    /// Variant → (entry, position of the name in [`Entry::names`]).
    variant_names: Vec<(u32, u32)>,
}

impl std::fmt::Debug for ScreeningList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreeningList")
            .field("path", &self.path)
            .field("entries", &self.entries.len())
            .field("names", &self.index.len())
            .finish()
    }
}

/// The columns of a CSV header, by lowercase name.
fn columns(header: &csv::StringRecord) -> HashMap<String, usize> {
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect()
}

fn csv_reader(path: &Path) -> Result<csv::Reader<std::fs::File>, ScreeningError> {
    let file = std::fs::File::open(path).map_err(|source| ScreeningError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(file))
}

fn csv_error(path: &Path, e: csv::Error) -> ScreeningError {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ScreeningError::Io {
            path: path.to_path_buf(),
            source,
        },
        _ => ScreeningError::Csv {
            path: path.to_path_buf(),
            message,
        },
    }
}

impl ScreeningList {
    /// Reads a list in the Consolidated Screening List's CSV format (UTF-8; see the module doc).
    pub fn load(path: &Path) -> Result<ScreeningList, ScreeningError> {
        let mut reader = csv_reader(path)?;
        let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
        let cols = columns(&header);
        let header_text = header.iter().collect::<Vec<_>>().join(", ");
        let Some(&name_col) = cols.get("name") else {
            return Err(ScreeningError::MissingColumn {
                path: path.to_path_buf(),
                column: "name",
                header: header_text,
            });
        };
        let id_col = ["_id", "id", "entity_number"]
            .iter()
            .find_map(|c| cols.get(*c).copied());
        let alt_col = cols.get("alt_names").copied();
        let source_col = cols.get("source").copied();
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let record = record.map_err(|e| csv_error(path, e))?;
            let field = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").trim();
            let name = field(Some(name_col));
            if name.is_empty() {
                continue;
            }
            let mut names = vec![name.to_string()];
            names.extend(
                field(alt_col)
                    .split(';')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from),
            );
            let id = match field(id_col) {
                "" => format!("row {}", n + 2),
                id => id.to_string(),
            };
            rows.push(Entry {
                id,
                name: name.to_string(),
                source: field(source_col).to_string(),
                names,
            });
        }
        Self::from_entries(path, rows)
    }

    /// Indexes entries read elsewhere (tests, benches).
    pub fn from_entries(path: &Path, entries: Vec<Entry>) -> Result<ScreeningList, ScreeningError> {
        let mut index = Index::default();
        let mut variant_names = Vec::new();
        for (e, entry) in entries.iter().enumerate() {
            for (k, name) in entry.names.iter().enumerate() {
                let tokens = normalize::tokens(name);
                if tokens.is_empty() {
                    continue;
                }
                index.add(e as u32, &tokens);
                variant_names.push((e as u32, k as u32));
            }
        }
        if index.is_empty() {
            return Err(ScreeningError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(ScreeningList {
            path: path.to_path_buf(),
            entries,
            index,
            variant_names,
        })
    }
}

/// Reviewed false positives: (name key, entry id) pairs a person has cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    pairs: HashSet<(String, String)>,
}

impl AllowList {
    /// Reads an allow-list: a CSV with the columns `name` and `entry_id` (or `id`), one reviewed pair per
    /// row; other columns (who reviewed it, when, why) are kept for people and ignored here. Lines
    /// starting with `#` are comments.
    pub fn load(path: &Path) -> Result<AllowList, ScreeningError> {
        let mut reader = csv_reader(path)?;
        let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
        let cols = columns(&header);
        let header_text = header.iter().collect::<Vec<_>>().join(", ");
        let missing = |column| ScreeningError::MissingColumn {
            path: path.to_path_buf(),
            column,
            header: header_text.clone(),
        };
        let name_col = *cols.get("name").ok_or_else(|| missing("name"))?;
        let id_col = ["entry_id", "id", "_id"]
            .iter()
            .find_map(|c| cols.get(*c).copied())
            .ok_or_else(|| missing("entry_id"))?;
        let mut list = AllowList::default();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            let name = normalize::key(record.get(name_col).unwrap_or(""));
            let id = record.get(id_col).unwrap_or("").trim().to_string();
            if !name.is_empty() && !id.is_empty() {
                list.pairs.insert((name, id));
            }
        }
        Ok(list)
    }

    /// Clears `name` against entry `id`.
    pub fn allow(&mut self, name: &str, id: &str) {
        self.pairs.insert((normalize::key(name), id.to_string()));
    }

    pub fn allows(&self, name_key: &str, id: &str) -> bool {
        self.pairs.contains(&(name_key.to_string(), id.to_string()))
    }

    /// Adds every pair of `other`.
    pub fn extend(&mut self, other: &AllowList) {
        self.pairs.extend(other.pairs.iter().cloned());
    }
}

/// A file read once and kept while it does not change (the lists a `mawb.toml` names).
#[derive(Debug, Clone)]
struct Cached<T> {
    stamp: (Option<std::time::SystemTime>, u64),
    value: Arc<T>,
}

/// The screening settings of a command: the lists and allow-list of the flags, the threshold, and the
/// files `mawb.toml`s name, read once per change.
#[derive(Debug, Default)]
pub struct Screening {
    /// `--screening-list`: every MAWB is screened against these.
    pub lists: Vec<Arc<ScreeningList>>,
    /// `--screening-allow`.
    pub allow: AllowList,
    /// `--screening-threshold`; [`DEFAULT_THRESHOLD`] when `None`.
    pub threshold: Option<f64>,
    lists_by_path: Mutex<HashMap<PathBuf, Cached<ScreeningList>>>,
    allows_by_path: Mutex<HashMap<PathBuf, Cached<AllowList>>>,
}

fn stamp(path: &Path) -> Result<(Option<std::time::SystemTime>, u64), ScreeningError> {
    let meta = std::fs::metadata(path).map_err(|source| ScreeningError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((meta.modified().ok(), meta.len()))
}

fn cached<T>(
    cache: &Mutex<HashMap<PathBuf, Cached<T>>>,
    path: &Path,
    load: impl FnOnce(&Path) -> Result<T, ScreeningError>,
) -> Result<Arc<T>, ScreeningError> {
    let now = stamp(path)?;
    if let Ok(map) = cache.lock() {
        if let Some(c) = map.get(path).filter(|c| c.stamp == now) {
            return Ok(c.value.clone());
        }
    }
    let value = Arc::new(load(path)?);
    if let Ok(mut map) = cache.lock() {
        map.insert(
            path.to_path_buf(),
            Cached {
                stamp: now,
                value: value.clone(),
            },
        );
    }
    Ok(value)
}

impl Screening {
    /// The score a name must reach to be a hit.
    pub fn threshold(&self) -> f64 {
        self.threshold.unwrap_or(DEFAULT_THRESHOLD)
    }

    /// Screens every name of `mawb`'s items against the flags' lists and the lists its `mawb.toml`
    /// names. `file_names` are the names of `mawb.files` as problems show them.
    pub fn screen_mawb(&self, mawb: &Mawb, file_names: &[&str]) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut lists = self.lists.clone();
        let mut allow = self.allow.clone();
        if let Some(config) = &mawb.config {
            let resolve = |p: &str| -> PathBuf {
                let p = Path::new(p);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    mawb.dir.join(p)
                }
            };
            let toml_problem = |key: &str, e: ScreeningError| {
                Problem::new(
                    &SCREENING_LIST,
                    crate::ingest::config::MAWB_TOML,
                    format!("{key}: {e}; nothing is sent unscreened"),
                )
                .column(key)
            };
            if let Some(p) = &config.screening_list {
                match cached(&self.lists_by_path, &resolve(p), ScreeningList::load) {
                    Ok(list) => lists.push(list),
                    Err(e) => problems.push(toml_problem("screening_list", e)),
                }
            }
            if let Some(p) = &config.screening_allow {
                match cached(&self.allows_by_path, &resolve(p), AllowList::load) {
                    Ok(a) => allow.extend(&a),
                    Err(e) => problems.push(toml_problem("screening_allow", e)),
                }
            }
        }
        if lists.is_empty() || !problems.is_empty() {
            return problems;
        }
        let names = names_of(&mawb.items);
        let threshold = self.threshold();
        for list in &lists {
            let hits = screen_names(list, names.keys().map(String::as_str), threshold);
            for (key, found) in hits {
                let Some(uses) = names.get(key) else { continue };
                let found: Vec<&Hit> = found
                    .iter()
                    .filter(|h| !allow.allows(key, &list.entries[h.entry as usize].id))
                    .collect();
                if found.is_empty() {
                    continue;
                }
                for &(item, field) in uses {
                    let item = &mawb.items[item];
                    let Some(text) = field_text(item, field) else {
                        continue;
                    };
                    let file = file_names.get(item.origin.file).copied().unwrap_or("?");
                    problems.push(
                        Problem::new(&DENIED_PARTY, file, hit_message(list, field, text, &found))
                            .sheet(&*item.origin.sheet)
                            .at(item.row_of(field))
                            .column(field.name()),
                    );
                }
            }
        }
        problems
    }
}

/// A listed name a screened name scored over the threshold against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index into [`ScreeningList::entries`].
    pub entry: u32,
    /// Which of the entry's names matched (0 the primary name, then the aliases).
    pub name: u32,
    pub score: f64,
}

/// Every name and company of the items, by key: the (item, field) pairs that carry it.
fn names_of(items: &[MailItem]) -> HashMap<String, Vec<(usize, Field)>> {
    let mut names: HashMap<String, Vec<(usize, Field)>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        for fields in [CONSIGNEE_FIELDS, SHIPPER_FIELDS, RETURN_FIELDS] {
            for field in [fields[0], fields[1]] {
                if let Some(text) = field_text(item, field) {
                    let key = normalize::key(text);
                    if !key.is_empty() {
                        names.entry(key).or_default().push((i, field));
                    }
                }
            }
        }
    }
    names
}

/// The text of a name or company field of an item.
fn field_text(item: &MailItem, field: Field) -> Option<&str> {
    fn group(a: Option<&crate::model::Address>, fields: [Field; 10], field: Field) -> Option<&str> {
        let a = a?;
        if field == fields[0] {
            a.name.as_deref()
        } else if field == fields[1] {
            a.company.as_deref()
        } else {
            None
        }
    }
    group(Some(&item.consignee), CONSIGNEE_FIELDS, field)
        .or_else(|| group(item.shipper.as_deref(), SHIPPER_FIELDS, field))
        .or_else(|| group(item.return_address.as_deref(), RETURN_FIELDS, field))
}

/// Screens distinct name keys (words sorted and joined by spaces, see [`normalize::key`]) against one
/// list, in parallel; returns the names with hits.
pub fn screen_names<'n>(
    list: &ScreeningList,
    keys: impl Iterator<Item = &'n str>,
    threshold: f64,
) -> Vec<(&'n str, Vec<Hit>)> {
    let keys: Vec<&str> = keys.collect();
    let mut words: Vec<&str> = keys.iter().flat_map(|k| k.split(' ')).collect();
    words.sort_unstable();
    words.dedup();
    let similar: HashMap<&str, Vec<(u32, f32)>> = words
        .par_iter()
        .map(|w| (*w, list.index.similar_words(w)))
        .collect();
    keys.par_iter()
        .map_init(Scratch::default, |scratch, key| {
            let tokens: Vec<String> = key.split(' ').map(String::from).collect();
            let sims: Vec<&[(u32, f32)]> = tokens
                .iter()
                .map(|t| similar.get(t.as_str()).map_or(&[][..], Vec::as_slice))
                .collect();
            let hits: Vec<Hit> = list
                .index
                .search(&tokens, &sims, threshold, scratch)
                .into_iter()
                .map(|c| Hit {
                    entry: c.entry,
                    name: list
                        .variant_names
                        .get(c.variant as usize)
                        .map_or(0, |&(_, k)| k),
                    score: c.score,
                })
                .collect();
            (*key, hits)
        })
        .filter(|(_, hits)| !hits.is_empty())
        .collect()
}

/// The error text of a hit: the name, the listed entry (and the alias that matched), its list, the
/// score, and what to do.
fn hit_message(list: &ScreeningList, field: Field, text: &str, hits: &[&Hit]) -> String {
    let shown: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| {
            let e = &list.entries[h.entry as usize];
            let alias = match e.names.get(h.name as usize) {
                Some(n) if h.name > 0 => format!(" (alias \"{n}\")"),
                _ => String::new(),
            };
            let source = if e.source.is_empty() {
                "no list named".to_string()
            } else {
                e.source.clone()
            };
            format!(
                "\"{}\"{alias}, entry id {}, on {source}, score {:.2}",
                e.name, e.id, h.score
            )
        })
        .collect();
    let more = match hits.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    format!(
        "{} \"{text}\" matches the denied-party list {}: {}{more}. A person must review it before anything is sent; if it is not the listed party, add {} with the entry id to the allow-list (--screening-allow or screening_allow)",
        field.name(),
        list.path.display(),
        shown.join("; "),
        if text.contains(',') || text.contains('"') {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    )
}
