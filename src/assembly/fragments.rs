//! Fragment picking (docs/ASSEMBLY.md, Fragments): for every position of the query, the
//! library windows whose sequence profile and local structure best match the query there.
//!
//! A fragment of n positions at query position i sets the query's virtual angles and torsions
//! at i..i+n-1 (chain.rs) to those of a library chain at j..j+n-1. Its score sums, over the n
//! residues, the library column's profile score for the query letter (the profile classes the
//! template search aligns to: templates/profile.rs, half bits) and, where a local-structure
//! prediction is given, the log-probability the prediction gives to the library residue's
//! secondary structure. Every library window is scored (diagonal running sums, so the cost is
//! one step per query residue and library residue), and the best [`PER_POSITION`] are kept
//! per position and size, as Rosetta's fragment picker keeps 200.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::chain::CodeTables;
use crate::geometry::portable;
use crate::templates::library::Library;
use crate::templates::profile::{aa_index, ProfileScores};
use crate::templates::search::is_excluded;

/// Fragments kept per query position and size.
pub const PER_POSITION: usize = 200;
/// The two fragment sizes (positions set by one insertion).
pub const SIZES: [usize; 2] = [9, 3];
/// Library CA-CA distances outside this range (A) mark a chain break or a cis peptide: no
/// fragment spans them.
const STEP_RANGE: (f64, f64) = (3.6, 4.0);
/// Scores are kept as integers of 1/SCALE half-bit so that sums are exact on every platform.
const SCALE: f64 = 8.0;
/// Weight of the secondary-structure term, in half bits per natural-log unit of probability.
/// On the tuning sample (docs/ASSEMBLY.md, Tuning; 20 trajectories): weight 1, 2, 4 gave mean
/// TM-score 0.239, 0.257, 0.247, against 0.234 without the term.
pub const SS_WEIGHT: f64 = 2.0;

/// Secondary structure of a residue from its CA geometry: helix, strand, other (the order of
/// the local-structure predictor's three states).
pub const HELIX: u8 = 0;
pub const STRAND: u8 = 1;
pub const COIL: u8 = 2;

/// The library's residues as the picker reads them: a column code per residue (amino acid,
/// profile class, secondary structure) and how many consecutive positions from each residue
/// have fragment geometry.
pub struct FragmentLibrary {
    /// `(aa * classes + class) * 3 + ss`, or [`NO_COLUMN`] for letters outside the 20.
    column: Vec<u16>,
    /// Positions from this residue on (within its chain) usable in a fragment.
    run: Vec<u16>,
    classes: usize,
    scores: ProfileScores,
}

const NO_COLUMN: u16 = u16::MAX;

/// Three-state secondary structure of position k from its angle and torsion (degrees): the
/// alpha helix has CA angles near 91 and torsions near 50 degrees, strands angles above 105
/// and torsions near +-180.
pub fn ss_of(theta: f64, tau: f64) -> u8 {
    if (78.0..=102.0).contains(&theta) && (25.0..=80.0).contains(&tau) {
        HELIX
    } else if theta >= 105.0 && (tau >= 150.0 || tau <= -120.0) {
        STRAND
    } else {
        COIL
    }
}

impl FragmentLibrary {
    pub fn new(lib: &Library, tables: &CodeTables) -> Self {
        let (d, theta, tau) = lib.internal_codes();
        let (letters, classes_of) = lib.all_residues();
        let steps = lib.code_steps();
        let n = letters.len();
        let classes = lib.profile_classes();
        let mut column = vec![NO_COLUMN; n];
        let mut run = vec![0u16; n];
        let step_ok = |g: usize| {
            let x = steps.d_min + steps.d_step * d[g] as f64;
            (STEP_RANGE.0..=STEP_RANGE.1).contains(&x)
        };
        for chain in 0..lib.len() {
            let start = lib.chain_start(chain);
            let m = lib.sequence(chain).len();
            let mut ok = vec![false; m];
            let mut ss = vec![COIL; m];
            for k in 1..m.saturating_sub(2) {
                // Position k: angle at CA k (code of residue k+1), torsion about k..k+1 (code
                // of residue k+2); it needs the steps k-1..k+2 to be unbroken.
                let g = start + k;
                ok[k] = (0..3).all(|x| step_ok(g + x));
                ss[k] = ss_of(tables.theta_degrees(theta[g + 1]), tables.tau_degrees(tau[g + 2]));
            }
            // Isolated helix or strand positions are not secondary structure.
            let raw = ss.clone();
            for k in 0..m {
                let same = |o: isize| {
                    let x = k as isize + o;
                    x >= 0 && (x as usize) < m && raw[x as usize] == raw[k]
                };
                if raw[k] != COIL && !(same(-1) || same(1)) {
                    ss[k] = COIL;
                }
            }
            let mut next = 0u16;
            for k in (0..m).rev() {
                let g = start + k;
                next = if ok[k] { next.saturating_add(1) } else { 0 };
                run[g] = next;
                if let Some(a) = aa_index(letters[g]) {
                    column[g] = ((a * classes + classes_of[g] as usize) * 3 + ss[k] as usize) as u16;
                }
            }
        }
        FragmentLibrary { column, run, classes, scores: ProfileScores::new(lib) }
    }
}

/// One picked fragment: where it starts in the library (global residue index) and its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub library_residue: u32,
    pub score: i32,
}

/// Picked fragments: `by_size[s][i]` are those of size SIZES[s] starting at query position i
/// (best first; empty where no fragment fits).
pub struct Fragments {
    pub by_size: Vec<Vec<Vec<Fragment>>>,
}

/// The per-residue score table: `table[i * columns + col]` for query residue i.
fn score_table(fl: &FragmentLibrary, query: &[u8], ss3: Option<&[[f32; 3]]>) -> Vec<i32> {
    let columns = 20 * fl.classes * 3;
    let mut table = vec![0i32; query.len() * columns];
    let ln_p: Vec<[f64; 3]> = match ss3 {
        Some(p) => p.iter().map(|q| [0, 1, 2].map(|s| portable::ln((q[s] as f64).max(0.01)))).collect(),
        None => vec![[0.0; 3]; query.len()],
    };
    for (i, &letter) in query.iter().enumerate() {
        let qa = aa_index(letter);
        for aa in 0..20 {
            for class in 0..fl.classes {
                let profile = match qa {
                    Some(q) => fl.scores.row(aa, class)[q] as f64,
                    None => -1.0,
                };
                for (s, ln) in ln_p[i].iter().enumerate() {
                    let col = (aa * fl.classes + class) * 3 + s;
                    table[i * columns + col] = (SCALE * (profile + SS_WEIGHT * ln)).round() as i32;
                }
            }
        }
    }
    table
}

/// Keeps the best [`PER_POSITION`] of what it is offered (ties: the earlier library residue).
struct Best {
    heap: BinaryHeap<Reverse<(i32, Reverse<u32>)>>,
}

impl Best {
    fn offer(&mut self, score: i32, g: u32) {
        let key = (score, Reverse(g));
        if self.heap.len() < PER_POSITION {
            self.heap.push(Reverse(key));
        } else if let Some(Reverse(min)) = self.heap.peek() {
            if key > *min {
                self.heap.pop();
                self.heap.push(Reverse(key));
            }
        }
    }

    /// The lowest score that would still be kept (i32::MIN while not full).
    fn floor(&self) -> i32 {
        if self.heap.len() < PER_POSITION {
            i32::MIN
        } else {
            self.heap.peek().map_or(i32::MIN, |Reverse((s, _))| *s)
        }
    }

    fn into_sorted(self) -> Vec<Fragment> {
        let mut v: Vec<Fragment> = self.heap.into_iter().map(|Reverse((score, Reverse(g)))| Fragment { library_residue: g, score }).collect();
        v.sort_by(|a, b| b.score.cmp(&a.score).then(a.library_residue.cmp(&b.library_residue)));
        v
    }
}

/// Picks fragments of both sizes for every query position. `query` is upper case; `exclude`
/// (entries or chains, as the template search's) keeps those chains out: a protein predicted
/// as if unknown must not get its own fragments.
pub fn pick(lib: &Library, fl: &FragmentLibrary, query: &[u8], ss3: Option<&[[f32; 3]]>, exclude: &[String]) -> Fragments {
    let l = query.len();
    let columns = 20 * fl.classes * 3;
    let table = score_table(fl, query, ss3);
    // Positions 1..l-2 carry an angle (chain.rs); a fragment of n fits at i when i + n <= l - 1.
    let starts = |n: usize| if l >= n + 2 { l - 1 - n } else { 0 };
    // One entry per query residue; positions where a size does not fit stay empty.
    let mut best: Vec<Vec<Best>> = SIZES.iter().map(|_| (0..l).map(|_| Best { heap: BinaryHeap::new() }).collect()).collect();
    // The score a window must beat to be kept, per size and position (i32::MIN while a
    // position has fewer than PER_POSITION): the inner loop compares against it only.
    let mut floor: Vec<Vec<i32>> = best.iter().map(|v| vec![i32::MIN; v.len()]).collect();
    for (s, &n) in SIZES.iter().enumerate() {
        for i in 0..floor[s].len() {
            if i < 1 || i > starts(n) {
                floor[s][i] = i32::MAX;
            }
        }
    }
    const RING: usize = 16;
    debug_assert!(SIZES.iter().all(|&n| n < RING));
    for chain in 0..lib.len() {
        if !exclude.is_empty() && is_excluded(lib.name(chain), exclude) {
            continue;
        }
        let start = lib.chain_start(chain);
        let m = lib.sequence(chain).len();
        if m < 6 {
            continue;
        }
        let columns_of = &fl.column[start..start + m];
        let run = &fl.run[start..start + m];
        // Diagonal delta = j - i; walk x over query residues with library residue x + delta.
        for delta in -(l as isize - 1)..(m as isize) {
            let x0 = (-delta).max(0) as usize;
            let x1 = l.min((m as isize - delta) as usize);
            let mut window = [0i32; RING];
            let mut sums = [0i32; 2];
            for (steps, x) in (x0..x1).enumerate() {
                let j = (x as isize + delta) as usize;
                let col = columns_of[j];
                let v = if col == NO_COLUMN { -8 * SCALE as i32 } else { table[x * columns + col as usize] };
                window[steps % RING] = v;
                for (s, &n) in SIZES.iter().enumerate() {
                    sums[s] += v;
                    if steps >= n {
                        sums[s] -= window[(steps - n) % RING];
                    }
                    if steps + 1 >= n {
                        // The window ends at x: it starts at query i, library residue js.
                        let i = x + 1 - n;
                        if sums[s] > floor[s][i] && run[j + 1 - n] as usize >= n {
                            let b = &mut best[s][i];
                            b.offer(sums[s], (start + j + 1 - n) as u32);
                            floor[s][i] = b.floor();
                        }
                    }
                }
            }
        }
    }
    Fragments { by_size: best.into_iter().map(|v| v.into_iter().map(Best::into_sorted).collect()).collect() }
}
