//! What changed after each signature: the signed revision (the file up to the end of the
//! signature's byte range) and the file as it is now, each read whole by lopdf and checked
//! against our own reader (`readers`), compared object by object (`graph` says what each
//! object is) and judged by the rules of the DocMDP level in force, default deny (`rules`).
//!
//! The lazy reader stays the one that finds signatures and hashes their ranges: it reads a
//! 50 MB file without loading it. lopdf loads every object of a revision, which is what a
//! full comparison needs and what a second, independent reading is for.

mod graph;
mod readers;
mod rules;
mod stray;

use std::collections::HashSet;

use crate::pdf::{Document, ObjRef, ReadLimits, SyntaxError};

use super::report::Coverage;
use readers::Unreadable;
pub(super) use rules::Level;
use rules::Revision;

/// The file as it is now, read by both readers, and what each of its objects is.
pub(super) struct Revisions {
    latest: Result<(lopdf::Document, graph::Graph), Unreadable>,
    dts_fields: HashSet<u32>,
    /// The signatures' `/Contents` strings (their byte ranges' gaps), which lopdf need not
    /// read: see `readers::load`.
    gaps: Vec<(usize, usize)>,
    /// Bytes no xref accounts for, by offset (`stray`).
    unaccounted: Vec<(usize, String)>,
}

impl Revisions {
    /// `signatures`: each signature's field and whether it is a document timestamp.
    /// `gaps`: where each signature's `/Contents` string lies.
    pub(super) fn new(
        doc: &Document<'_>,
        pdf: &[u8],
        signatures: &[(ObjRef, bool)],
        gaps: &[(usize, usize)],
    ) -> Revisions {
        let dts_fields: HashSet<u32> = signatures
            .iter()
            .filter(|(_, dts)| *dts)
            .map(|(field, _)| field.num)
            .collect();
        let latest = readers::load(doc, pdf, gaps, "the file").map(|loaded| {
            let g = graph::graph(&loaded, &dts_fields);
            (loaded, g)
        });
        Revisions {
            latest,
            dts_fields,
            gaps: gaps.to_vec(),
            unaccounted: stray::unaccounted(pdf),
        }
    }

    /// Compares the revision that ends at `signed_end` with the file as it is now, under
    /// `level`.
    pub(super) fn analyse(
        &self,
        pdf: &[u8],
        signed_end: usize,
        level: Level,
        limits: ReadLimits,
    ) -> Coverage {
        let mut cov = Coverage {
            whole_file: signed_end == pdf.len(),
            signed_bytes: signed_end as u64,
            appended_bytes: pdf.len().saturating_sub(signed_end) as u64,
            ..Coverage::default()
        };
        let (latest, latest_graph) = match &self.latest {
            Ok(pair) => (&pair.0, &pair.1),
            Err(Unreadable::TooCostly(why)) => {
                cov.incomplete = Some(why.clone());
                return cov;
            }
            Err(Unreadable::Disagree(why)) => {
                cov.readers_disagree = Some(why.clone());
                return cov;
            }
        };
        if cov.whole_file {
            return cov;
        }
        cov.content_changes.extend(
            self.unaccounted
                .iter()
                .filter(|(offset, _)| *offset >= signed_end)
                .map(|(_, why)| why.clone()),
        );
        let Some(prefix) = pdf.get(..signed_end) else {
            cov.content_changes
                .push("the signed range runs past the end of the file".into());
            return cov;
        };
        let lazy = match Document::open_within(prefix, &[], limits) {
            Ok(d) => d,
            Err(SyntaxError::Limit(why)) => {
                cov.incomplete = Some(why);
                return cov;
            }
            Err(e) => {
                cov.content_changes.push(format!(
                    "the signed range does not end a complete revision of the PDF ({e})"
                ));
                return cov;
            }
        };
        let signed = match readers::load(&lazy, prefix, &self.gaps, "the signed revision") {
            Ok(d) => d,
            Err(Unreadable::TooCostly(why)) => {
                cov.incomplete = Some(why);
                return cov;
            }
            Err(Unreadable::Disagree(why)) => {
                cov.readers_disagree = Some(why);
                return cov;
            }
        };
        let signed_graph = graph::graph(&signed, &self.dts_fields);
        let judgement = rules::judge(
            &Revision {
                doc: &signed,
                graph: &signed_graph,
            },
            &Revision {
                doc: latest,
                graph: latest_graph,
            },
            level,
        );
        cov.allowed_updates = judgement.allowed.iter().map(|s| (*s).to_owned()).collect();
        cov.content_changes.extend(judgement.changes);
        cov.flagged = judgement.flagged.into_iter().collect();
        cov
    }
}

#[cfg(test)]
mod tests;
