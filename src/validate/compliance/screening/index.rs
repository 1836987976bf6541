//! The token index behind screening: every name of the list (primary names and aliases) as words, an
//! inverted index from each word to the names holding it, and the score of a name against a listed one.
//!
//! Matching is written here because no crate screens names: rapidfuzz gives the Jaro-Winkler similarity
//! of two words (bit-parallel, one word against many with a cached pattern, faster than strsim's); this
//! module decides which listed names to compare (never all of them) and how word
//! similarities make a name's score.
//!
//! Two words are similar when they begin with the same letter, differ in length by at most a third
//! (two letters for short words) and their Jaro-Winkler similarity reaches [`WORD_CUTOFF`]; their
//! similarity is then that Jaro-Winkler value, else 0. The score of a name `q` against a listed name `e`
//! is symmetric and ignores word order: every word of each side counts its length times its best
//! similarity to a word of the other side, and the sum is divided by the letters of both names. `Lee Ann`
//! against `ANN LEE` scores 1.0; `Ann Lee` against `ANN LEE TRADING` 0.63 (a listed word is missing); one
//! wrong letter in a long name about 0.97.
//!
//! No all-pairs loop: each distinct word of a batch is first compared with the list's words that begin
//! with the same letter ([`Index::similar_words`]); a listed name is a candidate only when it holds one of
//! the similar words, and the score is then summed from those word similarities, without comparing
//! strings again.

use rapidfuzz::distance::jaro_winkler;
use std::collections::HashMap;

/// The least Jaro-Winkler similarity of two similar words.
pub const WORD_CUTOFF: f64 = 0.8;

/// The similarity of two words as screening counts it (see the module doc): their Jaro-Winkler
/// similarity when they are similar, else 0.
pub fn word_similarity(a: &str, b: &str) -> f64 {
    let (Some(x), Some(y)) = (a.as_bytes().first(), b.as_bytes().first()) else {
        return 0.0;
    };
    let slack = (a.len().max(b.len()) / 3).max(2);
    if x != y || a.len().abs_diff(b.len()) > slack {
        return 0.0;
    }
    jaro_winkler::normalized_similarity_with_args(
        a.bytes(),
        b.bytes(),
        &jaro_winkler::Args::default().score_cutoff(WORD_CUTOFF),
    )
    .unwrap_or(0.0)
}

/// One listed name (a primary name or an alias) as words.
#[derive(Debug, Clone)]
struct Variant {
    /// Index of the list entry it names.
    entry: u32,
    /// Vocabulary ids of its words.
    words: Vec<u32>,
    /// Letters in its words.
    letters: u32,
}

/// The list's names as words, with an inverted index from word to names.
#[derive(Debug, Default)]
pub struct Index {
    vocabulary: HashMap<Box<str>, u32>,
    words: Vec<Box<str>>,
    /// Vocabulary ids by the word's first byte.
    by_first: HashMap<u8, Vec<u32>>,
    /// Vocabulary id → variants holding that word.
    postings: Vec<Vec<u32>>,
    variants: Vec<Variant>,
}

/// A listed name that scored over the threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub entry: u32,
    /// Index of the variant (primary name or alias) that scored best.
    pub variant: u32,
    pub score: f64,
}

/// Scratch space of one searching thread (sized to the list, reused across names).
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per variant: the name's letters matched so far, weighted by similarity.
    name_side: Vec<f32>,
    /// Per variant: the best similarity of the current word of the name to a word of the variant.
    best: Vec<f32>,
    touched: Vec<u32>,
    touched_word: Vec<u32>,
}

impl Index {
    /// Adds a listed name of entry `entry` (already split into words).
    pub fn add(&mut self, entry: u32, tokens: &[String]) -> u32 {
        let mut ids = Vec::with_capacity(tokens.len());
        let variant = self.variants.len() as u32;
        for t in tokens {
            let id = match self.vocabulary.get(t.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.words.len() as u32;
                    self.vocabulary.insert(t.as_str().into(), id);
                    self.words.push(t.as_str().into());
                    self.postings.push(Vec::new());
                    if let Some(&b) = t.as_bytes().first() {
                        self.by_first.entry(b).or_default().push(id);
                    }
                    id
                }
            };
            if !ids.contains(&id) {
                self.postings[id as usize].push(variant);
            }
            ids.push(id);
        }
        let letters = tokens.iter().map(|t| t.len() as u32).sum();
        self.variants.push(Variant {
            entry,
            words: ids,
            letters,
        });
        variant
    }

    /// Listed names.
    pub fn len(&self) -> usize {
        self.variants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }

    /// The words of the list similar to `word`, with their similarity (see [`word_similarity`]).
    pub fn similar_words(&self, word: &str) -> Vec<(u32, f32)> {
        let Some(bucket) = word.as_bytes().first().and_then(|b| self.by_first.get(b)) else {
            return Vec::new();
        };
        let comparator = jaro_winkler::BatchComparator::new(word.bytes());
        let args = jaro_winkler::Args::default().score_cutoff(WORD_CUTOFF);
        bucket
            .iter()
            .filter_map(|&id| {
                let w = &self.words[id as usize];
                let slack = (word.len().max(w.len()) / 3).max(2);
                if word.len().abs_diff(w.len()) > slack {
                    return None;
                }
                let s = comparator.normalized_similarity_with_args(w.bytes(), &args)?;
                Some((id, s as f32))
            })
            .collect()
    }

    /// The listed names that a name scores at least `threshold` against, best first, one per entry.
    /// `tokens` are the name's words and `similar[i]` the list's words similar to `tokens[i]`.
    pub fn search(
        &self,
        tokens: &[String],
        similar: &[&[(u32, f32)]],
        threshold: f64,
        scratch: &mut Scratch,
    ) -> Vec<Candidate> {
        if scratch.name_side.len() < self.variants.len() {
            scratch.name_side.resize(self.variants.len(), 0.0);
            scratch.best.resize(self.variants.len(), 0.0);
        }
        let letters: usize = tokens.iter().map(String::len).sum();
        if letters == 0 {
            return Vec::new();
        }
        // The name's side of every candidate, word by word: each word counts its best similarity once.
        for (token, words) in tokens.iter().zip(similar) {
            for &(id, sim) in words.iter() {
                for &v in &self.postings[id as usize] {
                    let best = &mut scratch.best[v as usize];
                    if *best == 0.0 {
                        scratch.touched_word.push(v);
                    }
                    if sim > *best {
                        *best = sim;
                    }
                }
            }
            for v in scratch.touched_word.drain(..) {
                let vi = v as usize;
                if scratch.name_side[vi] == 0.0 {
                    scratch.touched.push(v);
                }
                scratch.name_side[vi] += token.len() as f32 * scratch.best[vi];
                scratch.best[vi] = 0.0;
            }
        }
        // The list's side, for the candidates whose name side leaves the threshold within reach.
        let mut pairs: Vec<(u32, f32)> = similar
            .iter()
            .flat_map(|words| words.iter().copied())
            .collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let best_of = |id: u32| -> f32 {
            match pairs.binary_search_by(|p| p.0.cmp(&id)) {
                Ok(mut i) => {
                    while i > 0 && pairs[i - 1].0 == id {
                        i -= 1;
                    }
                    pairs[i].1
                }
                Err(_) => 0.0,
            }
        };
        let mut out: Vec<Candidate> = Vec::new();
        for v in scratch.touched.drain(..) {
            let vi = v as usize;
            let name_side = f64::from(scratch.name_side[vi]);
            scratch.name_side[vi] = 0.0;
            let variant = &self.variants[vi];
            let total = (letters + variant.letters as usize) as f64;
            if (name_side + f64::from(variant.letters)) / total < threshold {
                continue;
            }
            let list_side: f64 = variant
                .words
                .iter()
                .map(|&id| self.words[id as usize].len() as f64 * f64::from(best_of(id)))
                .sum();
            let score = ((name_side + list_side) / total).min(1.0);
            if score < threshold {
                continue;
            }
            let c = Candidate {
                entry: variant.entry,
                variant: v,
                score,
            };
            match out.iter_mut().find(|o| o.entry == c.entry) {
                Some(o) if o.score < score => *o = c,
                Some(_) => {}
                None => out.push(c),
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        out
    }

    /// The words of a listed name, joined by spaces (as compared).
    pub fn variant_text(&self, variant: u32) -> String {
        self.variants
            .get(variant as usize)
            .map(|v| {
                v.words
                    .iter()
                    .map(|&id| &*self.words[id as usize])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }
}

/// The similarity of two names given as words, from 0 to 1 (see the module doc).
pub fn score<A: AsRef<str>, B: AsRef<str>>(name: &[A], listed: &[B]) -> f64 {
    fn side<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> f64 {
        a.iter()
            .map(|t| {
                let t = t.as_ref();
                let best = b
                    .iter()
                    .map(|u| word_similarity(t, u.as_ref()))
                    .fold(0.0, f64::max);
                t.len() as f64 * best
            })
            .sum()
    }
    let letters = |x: &[A]| x.iter().map(|t| t.as_ref().len()).sum::<usize>();
    let total = letters(name) + listed.iter().map(|t| t.as_ref().len()).sum::<usize>();
    if total == 0 {
        return 0.0;
    }
    (side(name, listed) + side(listed, name)) / total as f64
}
