//! The decision trees and the debugging chain as flowcharts: a graph drawn server-side as SVG from
//! `kb.trees` / `kb.chain`, each step a link. The walk lives in the URL (`/tree/5xx?walk=1.2.0`,
//! the answer picked at each question), so a walk can be shared, reloaded and walked back with the
//! browser's history; every step is a link, so Tab and Enter walk it, and the page's script adds
//! the keys 1–9 for the answers and Backspace for a step back.

use crate::layout::{
    Fills, cause_link, check, error_page, fields_form, layer_badge, layer_name, owner_badge, shell, status,
};
use crate::page;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use culprit_kb::{Tree, TreeAnswer, TreeNode, kb};
use maud::{Markup, html};
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct WalkQuery {
    #[serde(default)]
    walk: Option<String>,
    #[serde(flatten)]
    fills: Fills,
}

/// Where a walk stands: the questions answered, and either the question now asked or the answer
/// that concluded.
struct Walk<'t> {
    /// (node, index of the answer picked) for each step taken.
    taken: Vec<(&'t TreeNode, usize)>,
    at: &'t TreeNode,
    /// The last answer concluded with causes.
    leaf: Option<&'t TreeAnswer>,
}

fn walk<'t>(tree: &'t Tree, steps: &[usize]) -> Result<Walk<'t>, String> {
    let mut at = tree.node(&tree.start).ok_or("the tree has no start node")?;
    let mut taken = Vec::new();
    for (i, &pick) in steps.iter().enumerate() {
        let answer = at.answers.get(pick).ok_or_else(|| {
            format!("step {}: the question '{}' has {} answers, not {}", i + 1, at.id, at.answers.len(), pick + 1)
        })?;
        taken.push((at, pick));
        match &answer.next {
            Some(next) => at = tree.node(next).ok_or_else(|| format!("node '{next}' is missing"))?,
            None if i + 1 == steps.len() => return Ok(Walk { taken, at, leaf: Some(answer) }),
            None => return Err(format!("step {}: that answer concludes the walk; nothing follows it", i + 1)),
        }
    }
    Ok(Walk { taken, at, leaf: None })
}

fn parse_walk(s: Option<&str>) -> Result<Vec<usize>, String> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Vec::new()),
        Some(s) => s
            .split('.')
            .map(|p| p.parse::<usize>().map_err(|_| format!("'{p}' in the walk is not an answer number")))
            .collect(),
    }
}

fn walk_href(tree: &str, steps: &[usize], fills: &Fills) -> String {
    let w: Vec<String> = steps.iter().map(usize::to_string).collect();
    if w.is_empty() {
        format!("/tree/{tree}?{}", fills.query().trim_start_matches('&'))
    } else {
        format!("/tree/{tree}?walk={}{}", w.join("."), fills.query())
    }
}

/// Each node's shortest walk from the start (answer indices), and its depth.
fn paths(tree: &Tree) -> HashMap<&str, Vec<usize>> {
    let mut out: HashMap<&str, Vec<usize>> = HashMap::new();
    out.insert(tree.start.as_str(), Vec::new());
    let mut queue = std::collections::VecDeque::from([tree.start.as_str()]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = tree.node(id) else { continue };
        let base = out[id].clone();
        for (i, a) in node.answers.iter().enumerate() {
            if let Some(next) = a.next.as_deref() {
                if !out.contains_key(next) {
                    let mut p = base.clone();
                    p.push(i);
                    out.insert(next, p);
                    queue.push_back(next);
                }
            }
        }
    }
    out
}

const ROW_H: i32 = 44;
const BOX_H: i32 = 32;
const INDENT: i32 = 34;
const BOX_W: i32 = 330;

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// Height of a conclusion's row under the current question.
const LEAF_H: i32 = 26;

/// One drawn row: a question, or a conclusion of the question now asked (its answer index).
enum Row<'t> {
    /// A question and its number in reading order.
    Question(&'t TreeNode, usize),
    Leaf(&'t TreeNode, usize, &'t TreeAnswer),
}

/// The tree drawn as an indented graph: questions in reading order, each under the question whose
/// answer leads to it; the walked path and the current question highlighted, and under the
/// current question its conclusions (cause and owner), each a link to where that answer ends.
fn tree_svg(tree: &Tree, order: &[String], w: &Walk<'_>, fills: &Fills) -> Markup {
    let kb = kb();
    let paths = paths(tree);
    let walked: Vec<&str> = w.taken.iter().map(|(n, _)| n.id.as_str()).chain([w.at.id.as_str()]).collect();
    let depth = |id: &str| i32::try_from(paths.get(id).map_or(0, Vec::len)).unwrap_or(0);
    // Rows and their tops.
    let mut rows: Vec<(Row<'_>, i32)> = Vec::new();
    let mut y = 6;
    for (n, id) in order.iter().enumerate() {
        let Some(node) = tree.node(id) else { continue };
        rows.push((Row::Question(node, n + 1), y));
        y += ROW_H;
        if node.id == w.at.id {
            for (i, a) in node.answers.iter().enumerate().filter(|(_, a)| a.next.is_none()) {
                rows.push((Row::Leaf(node, i, a), y - 6));
                y += LEAF_H;
            }
            y += 6;
        }
    }
    let height = y + 6;
    let top: HashMap<&str, i32> = rows
        .iter()
        .filter_map(|(r, y)| match r {
            Row::Question(n, _) => Some((n.id.as_str(), *y)),
            Row::Leaf(..) => None,
        })
        .collect();
    let max_depth = order.iter().map(|id| depth(id)).max().unwrap_or(0);
    let width = max_depth * INDENT + BOX_W + 175;
    // Edges: from a question to each question an answer leads to (drawn once per pair), and from
    // the current question to its conclusions.
    let mut edges: Vec<(i32, i32, i32, i32, bool)> = Vec::new();
    for id in order {
        let Some(node) = tree.node(id) else { continue };
        for a in &node.answers {
            let Some(next) = a.next.as_deref() else { continue };
            let (Some(&y1), Some(&y2)) = (top.get(id.as_str()), top.get(next)) else { continue };
            let on_walk = walked.windows(2).any(|p| p[0] == id && p[1] == next);
            edges.push((depth(id) * INDENT + 14, y1 + BOX_H, depth(next) * INDENT, y2 + BOX_H / 2, on_walk));
        }
    }
    for (r, y) in &rows {
        if let Row::Leaf(node, i, _) = r {
            let reached = w.leaf.is_some() && w.taken.last().is_some_and(|(n, p)| n.id == node.id && p == i);
            let y1 = top.get(node.id.as_str()).copied().unwrap_or(0) + BOX_H;
            edges.push((depth(&node.id) * INDENT + 14, y1, (depth(&node.id) + 1) * INDENT, y + LEAF_H / 2, reached));
        }
    }
    html! {
        svg.graph viewBox={ "0 0 " (width) " " (height) } role="img" aria-label={ "Decision tree " (tree.id) ": " (tree.title) } {
            @for (x1, y1, x2, y2, on) in &edges {
                path class={ "edge" @if *on { " walked" } } d={ "M" (x1) " " (y1) " V" (y2) " H" (x2) } {}
            }
            @for (r, y) in &rows {
                @match r {
                    Row::Question(node, number) => {
                        @let x = depth(&node.id) * INDENT;
                        @let leaves = node.answers.iter().filter(|a| a.next.is_none()).count();
                        @let class = if node.id == w.at.id && w.leaf.is_none() { "node current" } else if walked.contains(&node.id.as_str()) { "node walked" } else { "node" };
                        a href=(walk_href(&tree.id, paths.get(node.id.as_str()).map_or(&[][..], Vec::as_slice), fills)) data-keep class=(class) aria-label={ "Step " (number) ": " (node.ask) } {
                            title { (node.ask) }
                            rect x=(x) y=(y) width=(BOX_W) height=(BOX_H) rx="6" {}
                            text x=(x + 8) y=(y + 20) { (number) ". " (short(&node.ask, 44)) }
                        }
                        @if leaves > 0 && node.id != w.at.id {
                            text.leafcount x=(x + BOX_W + 8) y=(y + 20) {
                                title { (node.answers.iter().flat_map(|a| a.causes.iter().map(String::as_str)).collect::<Vec<_>>().join(", ")) }
                                "→ " (leaves) " conclusion" @if leaves > 1 { "s" }
                            }
                        }
                    }
                    Row::Leaf(node, i, a) => {
                        @let x = (depth(&node.id) + 1) * INDENT;
                        @let owner = a.causes.first().and_then(|c| kb.cause(c)).map_or("none", |c| c.owner.id());
                        @let reached = w.leaf.is_some() && w.taken.last().is_some_and(|(n, p)| n.id == node.id && p == i);
                        @let steps: Vec<usize> = paths.get(node.id.as_str()).map_or(&[][..], Vec::as_slice).iter().copied().chain([*i]).collect();
                        a href=(walk_href(&tree.id, &steps, fills)) data-keep class={ "leafnode " (owner) @if reached { " reached" } }
                            aria-label={ "Conclusion: " (a.when) " → " (a.causes.join(", ")) } {
                            title { (a.when) " → " (a.causes.join(", ")) }
                            rect x=(x) y=(y) width=(BOX_W + 60) height=(LEAF_H - 6) rx="10" {}
                            // The cause, then the answer that leads to it (two answers may
                            // conclude the same cause).
                            text x=(x + 10) y=(y + 14) { "✓ " (short(&format!("{} — {}", a.causes.join(", "), a.when), 58)) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn tree_page(Path(id): Path<String>, Query(q): Query<WalkQuery>) -> Response {
    let kb = kb();
    let tree = kb.tree(&id).or_else(|| {
        let code: u16 = id.parse().ok()?;
        kb.trees.iter().find(|t| t.codes.contains(&code))
    });
    let Some(report) = tree.and_then(|t| kb.explain_tree(&t.id)) else {
        let known: Vec<String> = kb.trees.iter().map(|t| t.id.clone()).collect();
        return error_page(
            StatusCode::NOT_FOUND,
            "No such tree",
            &format!("No decision tree '{id}'. The trees: {}.", known.join(", ")),
        );
    };
    let tree = &report.tree;
    let steps = match parse_walk(q.walk.as_deref()) {
        Ok(s) => s,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Not a walk of this tree", &e),
    };
    let w = match walk(tree, &steps) {
        Ok(w) => w,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Not a walk of this tree", &e),
    };
    let fills = &q.fills;
    let step_no = |node: &TreeNode| report.order.iter().position(|o| o == &node.id).map_or(0, |p| p + 1);
    let back = (!steps.is_empty()).then(|| walk_href(&tree.id, &steps[..steps.len() - 1], fills));
    let panel = html! {
        @if !w.taken.is_empty() {
            ol.crumbs aria-label="Your answers so far" {
                @for (i, (node, pick)) in w.taken.iter().enumerate() {
                    li { a href=(walk_href(&tree.id, &steps[..i], fills)) data-keep { (node.ask) } " → " strong { (node.answers[*pick].when) } }
                }
            }
        }
        @if let Some(leaf) = w.leaf {
            div.card.leaf id="conclusion" {
                h2 { "Conclusion" }
                p { "You answered: " strong { (leaf.when) } }
                @for cid in &leaf.causes {
                    @if let Some(c) = kb.cause(cid) {
                        div.card data-cause=(c.id) {
                            h3 { a href={ "/id/" (c.id) } { (c.title) } }
                            p { (cause_link(&c.id)) " " (owner_badge(c.owner)) " " (layer_badge(c.layer)) }
                            p { (c.summary) }
                            h3 { "Fix" }
                            p.fix { (c.fix) }
                            @if let Some(ex) = &c.fix_example { div.cmdbox { pre { code { (ex) } } button.copy type="button" data-copy { "Copy" } } }
                            @if let Some(first) = c.checks.first().and_then(|id| kb.check(id)) { h3 { "Confirm it" } (check(first, fills)) }
                        }
                    }
                }
            }
        } @else {
            div.card id="question" {
                p.muted { "Step " (step_no(w.at)) " of " (report.order.len()) }
                h2 { (w.at.ask) }
                @if let Some(c) = w.at.check.as_deref().and_then(|id| kb.check(id)) { (check(c, fills)) }
                h3 { "Answers" }
                ol.answers {
                    @for (i, a) in w.at.answers.iter().enumerate() {
                        @let next: Vec<usize> = steps.iter().copied().chain([i]).collect();
                        li {
                            a href=(walk_href(&tree.id, &next, fills)) data-keep data-key=(i + 1) { (a.when) }
                            @if let Some(n) = a.next.as_deref().and_then(|n| tree.node(n)) { br; span.small.muted { "next: " (short(&n.ask, 80)) } }
                            @if !a.causes.is_empty() { br; span.small.muted { "concludes: " @for (j, c) in a.causes.iter().enumerate() { @if j > 0 { ", " } (c) } } }
                        }
                    }
                }
                p.small.muted { "Keys: " kbd { "1" } "–" kbd { (w.at.answers.len().min(9)) } " pick an answer, " kbd { "Backspace" } " goes back; Tab and Enter work too." }
            }
        }
        p {
            @if let Some(b) = &back { a.button href=(b) data-back data-keep { "← One step back" } " " }
            a.button href=(walk_href(&tree.id, &[], fills)) data-keep { "Start over" }
        }
    };
    let codes: Vec<Markup> = tree.codes.iter().map(|c| status(*c)).collect();
    let body = html! {
        h1 { (tree.title) }
        p.lead { "Decision tree " code { (tree.id) } " for " @for c in &codes { (c) " " } "— click a step, answer its question, follow where it leads. The address keeps your walk: share it." }
        (fields_form(fills, &[("walk", &steps.iter().map(usize::to_string).collect::<Vec<_>>().join("."))]))
        div.flow {
            div.graphbox { (tree_svg(tree, &report.order, &w, fills)) }
            div { (panel) }
        }
        p.small { "Other trees: " @for t in &kb.trees { @if t.id != tree.id { a href={ "/tree/" (t.id) } { (t.id) } " " } } " · " a href="/chain" { "the debugging chain" } }
    };
    page(shell(&format!("Tree {}", tree.id), &body))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ChainQuery {
    #[serde(default)]
    step: Option<usize>,
    #[serde(default)]
    outcome: Option<usize>,
    #[serde(default)]
    hop: Option<String>,
    #[serde(flatten)]
    fills: Fills,
}

/// Codes as lines of at most `width` characters (at most `lines` of them, the last one ending in
/// "…" when some are left out).
fn code_lines(codes: &[u16], width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in codes {
        let c = c.to_string();
        if !cur.is_empty() && cur.len() + 1 + c.len() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.len() > lines {
        out.truncate(lines);
        if let Some(last) = out.last_mut() {
            last.push_str(" …");
        }
    }
    out
}

/// The request path, drawn left to right, each hop with the codes it can generate.
fn path_svg(selected: Option<&str>, fills: &Fills) -> Markup {
    let chain = &kb().chain;
    let n = i32::try_from(chain.hops.len()).unwrap_or(0);
    let (w, gap) = (140, 22);
    let width = n * (w + gap);
    html! {
        svg.graph viewBox={ "0 0 " (width) " 104" } role="img" aria-label="The request path, from the client inward" {
            @for (i, hop) in chain.hops.iter().enumerate() {
                @let x = i32::try_from(i).unwrap_or(0) * (w + gap) + 4;
                @let class = if selected == Some(hop.layer.id()) { "node current" } else { "node" };
                @if i > 0 { path.edge d={ "M" (x - gap) " 34 H" (x - 4) } {} path.edge d={ "M" (x - 10) " 29 L" (x - 4) " 34 L" (x - 10) " 39" } {} }
                a href={ "/chain?hop=" (hop.layer.id()) (fills.query()) } data-keep class=(class) aria-label={ (layer_name(hop.layer)) ": " (hop.sees) } {
                    title { (hop.sees) }
                    rect x=(x) y="14" width=(w) height="40" rx="6" {}
                    text x=(x + 8) y="38" { (layer_name(hop.layer)) }
                }
                @for (j, l) in code_lines(&hop.generates, 24, 2).iter().enumerate() {
                    text.leafcount x=(x) y=(74 + 14 * i32::try_from(j).unwrap_or(0)) { (l) }
                }
            }
        }
    }
}

pub async fn chain_page(Query(q): Query<ChainQuery>) -> Response {
    let kb = kb();
    let chain = &kb.chain;
    let fills = &q.fills;
    let selected_hop = q.hop.as_deref().and_then(|h| chain.hops.iter().find(|x| x.layer.id() == h));
    let step = q.step.unwrap_or(1).clamp(1, chain.steps.len());
    let s = &chain.steps[step - 1];
    let outcome = q.outcome.and_then(|o| s.outcomes.get(o));
    let steps_svg_h = i32::try_from(chain.steps.len()).unwrap_or(0) * ROW_H + 12;
    let panel = html! {
        @if let Some(hop) = selected_hop {
            div.card id="hop" {
                h2 { (layer_badge(hop.layer)) " sees" }
                p { (hop.sees) }
                @if !hop.generates.is_empty() { p { "Can generate " @for c in &hop.generates { (status(*c)) " " } } }
                p { a href={ "/id/" (hop.layer.id()) } { "Everything about this layer" } }
            }
        } @else {
            div.card id="question" {
                p.muted { "Step " (step) " of " (chain.steps.len()) }
                h2 { (s.title) }
                @if let Some(c) = kb.check(&s.check) { (check(c, fills)) }
                h3 { "What you see" }
                ol.answers {
                    @for (i, o) in s.outcomes.iter().enumerate() {
                        li { a href={ "/chain?step=" (step) "&outcome=" (i) (fills.query()) } data-keep data-key=(i + 1) { (o.when) } }
                    }
                }
                @if let Some(o) = outcome {
                    div.card.leaf id="conclusion" {
                        p { strong { (o.when) } }
                        p { (o.then) }
                        @if !o.causes.is_empty() {
                            ul.plain { @for cid in &o.causes { @if let Some(c) = kb.cause(cid) { li { a href={ "/id/" (c.id) } { (c.title) } " " (owner_badge(c.owner)) br; span.small { "Fix: " (c.fix) } } } } }
                        }
                    }
                }
                p {
                    @if step > 1 { a.button href={ "/chain?step=" (step - 1) (fills.query()) } data-keep data-back { "← Previous step" } " " }
                    @if step < chain.steps.len() { a.button.primary href={ "/chain?step=" (step + 1) (fills.query()) } data-keep { "Next step →" } }
                }
            }
        }
    };
    let body = html! {
        h1 { (chain.title) }
        p.lead { (chain.summary) }
        div.graphbox { (path_svg(selected_hop.map(|h| h.layer.id()), fills)) }
        (fields_form(fills, &[("step", &step.to_string())]))
        div.flow {
            div.graphbox {
                svg.graph viewBox={ "0 0 " (BOX_W + 20) " " (steps_svg_h) } role="img" aria-label="The steps that bisect the path" {
                    @for (i, st) in chain.steps.iter().enumerate() {
                        @let y = i32::try_from(i).unwrap_or(0) * ROW_H + 6;
                        @if i > 0 { path.edge d={ "M20 " (y - ROW_H + 6 + BOX_H) " V" (y) } {} }
                        a href={ "/chain?step=" (i + 1) (fills.query()) } data-keep class=(if i + 1 == step && selected_hop.is_none() { "node current" } else if i + 1 < step { "node walked" } else { "node" }) aria-label={ "Step " (i + 1) ": " (st.title) } {
                            title { (st.title) }
                            rect x="4" y=(y) width=(BOX_W) height=(BOX_H) rx="6" {}
                            text x="12" y=(y + 20) { (i + 1) ". " (short(&st.title, 44)) }
                        }
                    }
                }
            }
            div { (panel) }
        }
    };
    page(shell("Debugging chain", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_to_no_ready_endpoints() {
        let tree = kb().tree("5xx").unwrap();
        let w = walk(tree, &[1, 2, 0, 0]).unwrap();
        assert_eq!(w.leaf.unwrap().causes, ["no_ready_endpoints"]);
        assert!(walk(tree, &[1, 2, 0, 0, 0]).is_err());
        assert!(walk(tree, &[9]).is_err());
        assert_eq!(parse_walk(Some("1.x")).unwrap_err(), "'x' in the walk is not an answer number");
    }
}
