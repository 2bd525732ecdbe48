//! `culprit explain ImagePullBackOff`: a reason Kubernetes writes in a container's state or an
//! event, as `culprit cluster` reads it — what it means, then the card of the cause it leads to.

use super::cards::brief_cause_card;
use crate::output::doc::{Block, Doc, Tone, plain, styled};
use culprit_kb::explain::KubernetesReasonReport;

pub fn doc(r: &KubernetesReasonReport) -> Doc {
    let mut doc = Doc::default();
    let Some(first) = r.reasons.first() else { return doc };
    let k = &first.reason;
    let mut title = vec![styled(k.reason.clone(), Tone::Code), plain(format!(" — {}", k.source.label()))];
    if r.reasons.len() > 1 {
        title.push(plain(format!(": {} meanings, told apart by the message", r.reasons.len())));
    }
    doc.push(Block::Title(title));
    for a in &r.reasons {
        let k = &a.reason;
        if let Some(message) = k.message.as_ref().filter(|_| r.reasons.len() > 1) {
            doc.push(Block::Heading(format!("With the message “{message}…”")));
        }
        doc.push(Block::Para(vec![plain(k.meaning.clone())]));
        doc.push(Block::Para(vec![
            styled("Leads to: ", Tone::Dim),
            styled(a.card.cause.id.clone(), Tone::Code),
            styled(format!(" (codes {})", codes(&a.card.codes)), Tone::Dim),
        ]));
        brief_cause_card(&mut doc, &a.card, None);
    }
    doc.push(Block::Note(vec![plain("culprit cluster check (or --from a kubectl dump) finds the pods in this state")]));
    doc
}

fn codes(codes: &[u16]) -> String {
    codes.iter().map(u16::to_string).collect::<Vec<_>>().join(" ")
}
