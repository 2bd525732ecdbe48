//! Redirect loops: a client that is sent a 301/302/307/308 for the same path again and again within
//! seconds (or around a cycle of paths) is caught in a loop, not making N independent requests.
//! Browsers give up after ~20 hops with "too many redirects"; in the log it is a burst of 3xx from
//! one client. Only redirects are tracked (a hash lookup per 3xx line), in a bounded, mergeable
//! table, so the common case costs nothing.

use crate::observation::Observation;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// Distinct (client, path) pairs tracked; later ones are not (loops show early and often).
const MAX_TRACKED: usize = 100_000;
/// Redirects of one client for one path before it counts as a loop.
pub const MIN_REPEATS: u64 = 5;
/// …at most this far apart on average (a browser follows a redirect in milliseconds; a person
/// reloading a page does not do it five times in a few seconds).
const MAX_MEAN_GAP_MS: i64 = 3_000;

/// One client's redirects for one path.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub client: Box<[u8]>,
    pub host: Box<[u8]>,
    pub path: Box<[u8]>,
    pub service: Box<[u8]>,
    /// Where it was sent, when the format logs `Location`.
    pub location: Box<[u8]>,
    pub status: u16,
    /// The proxy answered (no upstream contacted) rather than the application; `None` when the
    /// format cannot tell.
    pub by_proxy: Option<bool>,
    pub count: u64,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// Redirect tracks, keyed by (client, host, path).
#[derive(Debug, Clone, Default)]
pub struct Redirects {
    tracks: FxHashMap<u64, Track>,
}

fn key(client: &[u8], host: &[u8], path: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    client.hash(&mut h);
    host.hash(&mut h);
    path.hash(&mut h);
    h.finish()
}

impl Redirects {
    /// Count one redirect answer.
    pub fn record(&mut self, obs: &Observation<'_>, status: u16, by_proxy: Option<bool>) {
        let Some(t) = obs.time_ms else { return };
        let path = crate::scan::path_of(obs.target);
        let k = key(obs.client, obs.host, path);
        if let Some(track) = self.tracks.get_mut(&k) {
            track.count += 1;
            track.first_ms = track.first_ms.min(t);
            track.last_ms = track.last_ms.max(t);
            return;
        }
        if self.tracks.len() >= MAX_TRACKED {
            return;
        }
        self.tracks.insert(
            k,
            Track {
                client: obs.client.into(),
                host: obs.host.into(),
                path: path.into(),
                service: obs.service.into(),
                location: obs.location.into(),
                status,
                by_proxy,
                count: 1,
                first_ms: t,
                last_ms: t,
            },
        );
    }

    pub fn merge(&mut self, other: Redirects) {
        for (k, t) in other.tracks {
            let room = self.tracks.len() < MAX_TRACKED;
            match self.tracks.entry(k) {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let mine = e.get_mut();
                    mine.count += t.count;
                    mine.first_ms = mine.first_ms.min(t.first_ms);
                    mine.last_ms = mine.last_ms.max(t.last_ms);
                }
                std::collections::hash_map::Entry::Vacant(e) if room => {
                    e.insert(t);
                }
                std::collections::hash_map::Entry::Vacant(_) => {}
            }
        }
    }

    /// The loops found: per client, the paths it kept being redirected on within overlapping
    /// windows, as one loop (a cycle when there are several paths). Most redirects first.
    pub fn loops(&self) -> Vec<Loop> {
        let mut looping: Vec<&Track> = self
            .tracks
            .values()
            .filter(|t| {
                t.count >= MIN_REPEATS
                    && (t.last_ms - t.first_ms) <= MAX_MEAN_GAP_MS * i64::try_from(t.count - 1).unwrap_or(i64::MAX)
            })
            .collect();
        looping.sort_by(|a, b| (&a.client, &a.host, a.first_ms).cmp(&(&b.client, &b.host, b.first_ms)));
        let mut out: Vec<Loop> = Vec::new();
        for t in looping {
            match out.last_mut() {
                Some(l) if *l.client == *t.client && *l.host == *t.host && t.first_ms <= l.last_ms + 2_000 => {
                    l.paths.push(t.clone());
                    l.redirects += t.count;
                    l.last_ms = l.last_ms.max(t.last_ms);
                }
                _ => out.push(Loop {
                    client: t.client.clone(),
                    host: t.host.clone(),
                    redirects: t.count,
                    first_ms: t.first_ms,
                    last_ms: t.last_ms,
                    paths: vec![t.clone()],
                }),
            }
        }
        out.sort_by(|a, b| b.redirects.cmp(&a.redirects).then(a.first_ms.cmp(&b.first_ms)));
        out
    }
}

/// One client caught in a loop: the paths it was redirected on (several: a cycle).
#[derive(Debug, Clone, PartialEq)]
pub struct Loop {
    pub client: Box<[u8]>,
    pub host: Box<[u8]>,
    pub redirects: u64,
    pub first_ms: i64,
    pub last_ms: i64,
    pub paths: Vec<Track>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs<'a>(client: &'a [u8], target: &'a [u8], t: i64) -> Observation<'a> {
        Observation { client, target, host: b"shop", time_ms: Some(t), ..Observation::default() }
    }

    #[test]
    fn repeated_redirects_of_one_client_are_a_loop_and_a_cycle_is_one_loop() {
        let mut r = Redirects::default();
        for i in 0..10 {
            r.record(&obs(b"10.0.0.1", b"/login?next=/", 1000 + i * 150), 302, Some(false));
            r.record(&obs(b"10.0.0.1", b"/auth/callback", 1050 + i * 150), 302, Some(false));
        }
        // Another client redirected once per path, as every visitor is: not a loop.
        r.record(&obs(b"10.0.0.2", b"/login", 1000), 302, Some(false));
        r.record(&obs(b"10.0.0.2", b"/", 1300), 301, Some(true));
        let loops = r.loops();
        assert_eq!(loops.len(), 1, "{loops:?}");
        assert_eq!(loops[0].redirects, 20);
        assert_eq!(loops[0].paths.len(), 2, "login ↔ callback is one cycle");
    }

    #[test]
    fn slow_repeats_are_not_a_loop_and_halves_merge() {
        let mut a = Redirects::default();
        let mut b = Redirects::default();
        for i in 0..6 {
            // One redirect a minute: a person or a monitor, not a loop.
            a.record(&obs(b"10.0.0.3", b"/old", i * 60_000), 301, Some(true));
            let half = if i % 2 == 0 { &mut a } else { &mut b };
            half.record(&obs(b"10.0.0.4", b"/x", 5000 + i * 100), 308, Some(true));
        }
        a.merge(b);
        let loops = a.loops();
        assert_eq!(loops.len(), 1);
        assert_eq!(&*loops[0].client, b"10.0.0.4");
        assert_eq!(loops[0].redirects, 6);
    }
}
