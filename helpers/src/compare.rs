//! Is one variant faster than another, and how sure can we be? One rule, said in words.
//!
//! A [`Bench`](crate::bench::Bench) runs its variants round by round: each round runs
//! every variant once, so each round gives one time per variant, taken moments apart on
//! the same machine in the same state. This module turns the times of two variants (a
//! *baseline* and a *candidate*) into a [`Verdict`]: `×2.9 faster (95% interval
//! ×2.7–×3.1, 9 of 9 rounds)`, or `cannot tell apart on this machine (…)`. It is pure
//! arithmetic on the times it is given: the same times always give the same verdict.
//! It also gives the order the variants run in within each round ([`round_order`]).
//!
//! ## The rule
//!
//! Each round gives one ratio: the baseline's time divided by the candidate's (above 1:
//! the candidate was faster in that round). The verdict's figure is the *median* of
//! these ratios, so one disturbed round (a straggler) cannot move it far. Its 95%
//! interval runs from the k-th smallest ratio to the k-th largest, with k as large as
//! it can be while the interval still holds the true median ratio in at least 95% of
//! benches, whatever the noise looks like (the distribution-free interval of a median:
//! k is the largest with P(Binomial(n, ½) < k) ≤ 2.5%, for n rounds). Then:
//!
//! - the whole interval above ×1: the candidate is **faster**;
//! - the whole interval below ×1: the candidate is **slower**;
//! - otherwise the two **cannot be told apart on this machine** (they may differ by less
//!   than the noise, or not at all: more rounds, or a quieter machine, may tell).
//!
//! Fewer than [`MIN_ROUNDS`] (6) rounds cannot give a 95% interval: even 5 rounds of 5
//! going one way happen by chance 6% of the time between two equal variants. The
//! verdict then asks for more rounds.
//!
//! Said as a count, the rule is a sign test: the candidate is called faster when it won
//! all 6 of 6 rounds, 7 of 7, 8 of 8, at least 8 of 9, 9 of 10, 10 of 12, 12 of 15, 15
//! of 20 (a round both took exactly as long counts as a win for neither). Between two
//! equal variants that happens by chance in under 2.5% of benches each way: a false
//! winner in under 5%.
//!
//! ```
//! use std::time::Duration;
//! use lab::compare::{Decision, Verdict};
//!
//! let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
//! // Nine rounds: the candidate took about a third of the baseline's time in each.
//! let serial = ms(&[30, 29, 31, 28, 30, 33, 29, 30, 31]);
//! let rayon = ms(&[10, 10, 11, 10, 10, 11, 11, 9, 10]);
//! let verdict = Verdict::from_rounds(&serial, &rayon).unwrap();
//! assert_eq!(verdict.decision(), Decision::Faster);
//! assert_eq!(verdict.faster_rounds(), 9);
//! // The same nine baseline times against a candidate that is sometimes faster and
//! // sometimes slower:
//! let other = ms(&[31, 28, 30, 29, 33, 30, 28, 31, 29]);
//! let unsure = Verdict::from_rounds(&serial, &other).unwrap();
//! assert_eq!(unsure.decision(), Decision::CannotTell);
//! assert!(unsure.to_string().starts_with("cannot tell apart on this machine"));
//! ```
//!
//! Why ratios per round, and not the ratio of two medians: a machine whose speed drifts
//! (a busy neighbour, a CPU that warms up and slows down) slows both variants of a
//! round alike, and their ratio cancels it. [`round_order`] takes care of the rest: the
//! variant that runs first in a round may find the caches cold or the CPU at full
//! clock, so the order rotates from round to round and no variant keeps the best (or
//! the worst) place.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::show::{Rendering, Show, shown_in_cells};

/// The fewest rounds that can give a 95% interval, and with it a winner.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::compare::{MIN_ROUNDS, Decision, Verdict};
///
/// let slow = vec![Duration::from_millis(3); MIN_ROUNDS - 1];
/// let fast = vec![Duration::from_millis(1); MIN_ROUNDS - 1];
/// let too_few = Verdict::from_rounds(&slow, &fast).unwrap();
/// assert_eq!(too_few.decision(), Decision::CannotTell); // even 5 wins of 5
/// assert!(too_few.to_string().contains("run at least 6"));
/// ```
pub const MIN_ROUNDS: usize = 6;

/// What a [`Verdict`] says of the candidate, against the baseline.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::compare::{Decision, Verdict};
///
/// let ms = Duration::from_millis;
/// let v = Verdict::from_rounds(&[ms(1); 6], &[ms(2); 6]).unwrap();
/// assert_eq!(v.decision(), Decision::Slower); // the candidate took twice as long
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The candidate is faster: the whole 95% interval of the ratio is above ×1.
    Faster,
    /// The candidate is slower: the whole 95% interval is below ×1.
    Slower,
    /// The interval holds ×1, or there are too few rounds for one (under [`MIN_ROUNDS`]).
    CannotTell,
}

/// How a candidate compares with a baseline over paired rounds, by the rule in the
/// [module docs](self): the median per-round ratio (baseline time / candidate time),
/// its 95% interval, and what that says in words.
///
/// Shown (`Display`, and as a cell's output) as one line, e.g.
/// `rayon vs serial: ×2.9 faster (95% interval ×2.7–×3.1, 9 of 9 rounds)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::compare::{Decision, Verdict};
///
/// let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
/// let baseline = ms(&[29, 27, 31, 28, 30, 33, 26, 29, 28]);
/// let candidate = ms(&[10; 9]);
/// let v = Verdict::from_rounds(&baseline, &candidate).unwrap().named("serial", "rayon");
/// assert_eq!(v.decision(), Decision::Faster);
/// assert_eq!(
///     v.to_string(),
///     "rayon vs serial: ×2.9 faster (95% interval ×2.7–×3.1, 9 of 9 rounds)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// (baseline, candidate), when known.
    names: Option<(String, String)>,
    /// Baseline time / candidate time, one per round, in round order.
    ratios: Vec<f64>,
    /// The median ratio.
    ratio: f64,
    /// The 95% interval of the median ratio; `None` with under `MIN_ROUNDS` rounds.
    interval: Option<(f64, f64)>,
    /// Rounds where the candidate was faster (ratio above 1), and slower (below 1).
    faster: usize,
    slower: usize,
}

impl Verdict {
    /// The verdict on `candidate` against `baseline`, from their times in the same
    /// rounds: `baseline[i]` and `candidate[i]` must come from round `i`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Empty`] without rounds; [`ErrorKind::BadInput`] when the two have
    /// different numbers of rounds or a time is zero (too short for the clock to see).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lab::compare::Verdict;
    ///
    /// let ms = Duration::from_millis;
    /// let v = Verdict::from_rounds(&[ms(3); 9], &[ms(1); 9]).unwrap();
    /// assert_eq!(v.ratio(), 3.0);
    /// assert!(Verdict::from_rounds(&[ms(3); 9], &[ms(1); 8]).is_err());
    /// assert!(Verdict::from_rounds(&[], &[]).is_err());
    /// ```
    pub fn from_rounds(baseline: &[Duration], candidate: &[Duration]) -> Result<Verdict> {
        if baseline.len() != candidate.len() {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "the baseline has {} rounds and the candidate {}: give both the times of \
                     the same rounds",
                    baseline.len(),
                    candidate.len()
                ),
            ));
        }
        if baseline.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                format!(
                    "no rounds to compare: give both at least one time ({MIN_ROUNDS} or more \
                     for a verdict)"
                ),
            ));
        }
        let mut ratios = Vec::with_capacity(baseline.len());
        for (round, (b, c)) in baseline.iter().zip(candidate).enumerate() {
            for (side, d) in [("baseline", b), ("candidate", c)] {
                if d.is_zero() {
                    return Err(Error::of(
                        ErrorKind::BadInput,
                        format!(
                            "the {side} took no measurable time in round {}: give it more \
                             work to time",
                            round + 1
                        ),
                    ));
                }
            }
            ratios.push(b.as_secs_f64() / c.as_secs_f64());
        }
        Ok(Verdict::from_ratios(ratios))
    }

    /// The verdict on per-round ratios (baseline / candidate), all finite and positive.
    fn from_ratios(ratios: Vec<f64>) -> Verdict {
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        // The geometric mean of the middle two for an even count: swapping baseline and
        // candidate then gives exactly the reciprocal.
        let ratio = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] * sorted[n / 2]).sqrt()
        };
        let interval = interval_ranks(n).map(|(lo, hi)| (sorted[lo - 1], sorted[hi - 1]));
        Verdict {
            names: None,
            faster: ratios.iter().filter(|&&r| r > 1.0).count(),
            slower: ratios.iter().filter(|&&r| r < 1.0).count(),
            ratios,
            ratio,
            interval,
        }
    }

    /// The same verdict, shown with the two variants' names:
    /// `"{candidate} vs {baseline}: …"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(2); 6], &[ms(1); 6]).unwrap();
    /// assert!(v.named("one thread", "two").to_string().starts_with("two vs one thread: ×2.0 faster"));
    /// ```
    pub fn named(mut self, baseline: impl Into<String>, candidate: impl Into<String>) -> Verdict {
        self.names = Some((baseline.into(), candidate.into()));
        self
    }

    /// Faster, slower, or cannot tell (see the [rule](self#the-rule)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lab::compare::{Decision, Verdict};
    ///
    /// let ms = Duration::from_millis;
    /// let v = Verdict::from_rounds(&[ms(1), ms(2), ms(1), ms(2), ms(1), ms(2)], &[ms(1); 6]);
    /// assert_eq!(v.unwrap().decision(), Decision::CannotTell); // 3 wins, 3 ties
    /// ```
    pub fn decision(&self) -> Decision {
        match self.interval {
            Some((low, _)) if low > 1.0 => Decision::Faster,
            Some((_, high)) if high < 1.0 => Decision::Slower,
            _ => Decision::CannotTell,
        }
    }

    /// The median of the per-round ratios, baseline time / candidate time: above 1 the
    /// candidate is that many times faster, below 1 slower.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(4), ms(6), ms(5)], &[ms(2); 3]).unwrap();
    /// assert_eq!(v.ratio(), 2.5); // the ratios are 2, 3 and 2.5
    /// ```
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The low end of the ratio's 95% interval; `None` with under [`MIN_ROUNDS`] rounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
    /// let base = ms(&[24, 21, 28, 20, 25, 22, 27, 23, 26]);
    /// let v = lab::compare::Verdict::from_rounds(&base, &ms(&[10; 9])).unwrap();
    /// let mut sorted = v.round_ratios().to_vec();
    /// sorted.sort_by(f64::total_cmp);
    /// assert_eq!(v.low(), Some(sorted[1])); // 9 rounds: the 2nd smallest ratio (×2.1)
    /// assert_eq!(v.high(), Some(sorted[7])); // to the 2nd largest (×2.7)
    /// assert!((v.low().unwrap() - 2.1).abs() < 1e-9);
    /// ```
    pub fn low(&self) -> Option<f64> {
        self.interval.map(|(low, _)| low)
    }

    /// The high end of the ratio's 95% interval; `None` with under [`MIN_ROUNDS`]
    /// rounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(3); 5], &[ms(1); 5]).unwrap();
    /// assert_eq!(v.high(), None); // 5 rounds are too few
    /// ```
    pub fn high(&self) -> Option<f64> {
        self.interval.map(|(_, high)| high)
    }

    /// How many rounds were compared.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(3); 7], &[ms(1); 7]).unwrap();
    /// assert_eq!(v.rounds(), 7);
    /// ```
    pub fn rounds(&self) -> usize {
        self.ratios.len()
    }

    /// In how many rounds the candidate was faster than the baseline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let base = [ms(3), ms(3), ms(1), ms(3), ms(3), ms(3)];
    /// let v = lab::compare::Verdict::from_rounds(&base, &[ms(2); 6]).unwrap();
    /// assert_eq!((v.faster_rounds(), v.slower_rounds()), (5, 1));
    /// ```
    pub fn faster_rounds(&self) -> usize {
        self.faster
    }

    /// In how many rounds the candidate was slower than the baseline (rounds where the
    /// two took exactly as long are neither).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(1), ms(2)], &[ms(2); 2]).unwrap();
    /// assert_eq!((v.faster_rounds(), v.slower_rounds()), (0, 1));
    /// ```
    pub fn slower_rounds(&self) -> usize {
        self.slower
    }

    /// Each round's ratio, baseline time / candidate time, in the order of the rounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let v = lab::compare::Verdict::from_rounds(&[ms(2), ms(3)], &[ms(1), ms(2)]).unwrap();
    /// assert_eq!(v.round_ratios(), [2.0, 1.5]);
    /// ```
    pub fn round_ratios(&self) -> &[f64] {
        &self.ratios
    }

    /// The verdict in words, without the names: `×2.9 faster (95% interval ×2.7–×3.1,
    /// 9 of 9 rounds)`, `×1.40 slower (…)`, `cannot tell apart on this machine (×1.02,
    /// 95% interval ×0.91–×1.06, 5 of 9 rounds faster)`, or, under [`MIN_ROUNDS`]
    /// rounds, `cannot tell: 5 rounds are too few for a 95% interval, run at least 6
    /// (…)`.
    ///
    /// A slower candidate's figures are turned round (×1.40 slower: it took 1.4 times
    /// as long). Figures have two decimals below ×2, one below ×10, none above; an
    /// interval is rounded outwards, so it never looks narrower than it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
    /// let base = ms(&[10; 9]);
    /// let slower = ms(&[14, 13, 15, 14, 14, 13, 15, 14, 14]);
    /// let v = lab::compare::Verdict::from_rounds(&base, &slower).unwrap();
    /// assert_eq!(v.words(), "×1.40 slower (95% interval ×1.30–×1.50, 9 of 9 rounds)");
    /// ```
    pub fn words(&self) -> String {
        let n = self.rounds();
        let Some((low, high)) = self.interval else {
            let rounds = if n == 1 {
                "1 round is".to_string()
            } else {
                format!("{n} rounds are")
            };
            let d = decimals(self.ratio);
            return format!(
                "cannot tell: {rounds} too few for a 95% interval, run at least {MIN_ROUNDS} \
                 (×{}, {} of {n} faster)",
                ratio_text(self.ratio, d, Round::Nearest),
                self.faster
            );
        };
        let (figure, low, high, count, how) = match self.decision() {
            Decision::Faster => (self.ratio, low, high, self.faster, "faster"),
            Decision::Slower => (
                1.0 / self.ratio,
                1.0 / high,
                1.0 / low,
                self.slower,
                "slower",
            ),
            Decision::CannotTell => {
                let d = decimals(low);
                return format!(
                    "cannot tell apart on this machine (×{}, 95% interval ×{}–×{}, {} of {n} \
                     rounds faster)",
                    ratio_text(self.ratio, d, Round::Nearest),
                    ratio_text(low, d, Round::Down),
                    ratio_text(high, d, Round::Up),
                    self.faster
                );
            }
        };
        let d = decimals(low);
        format!(
            "×{} {how} (95% interval ×{}–×{}, {count} of {n} rounds)",
            ratio_text(figure, d, Round::Nearest),
            ratio_text(low, d, Round::Down),
            ratio_text(high, d, Round::Up),
        )
    }
}

/// Which way a figure is rounded to its decimals.
#[derive(Clone, Copy)]
enum Round {
    Nearest,
    Down,
    Up,
}

/// How many decimals a ratio is shown with: two below ×2, one below ×10, none above,
/// and more for ratios below ×0.1 (two significant digits).
fn decimals(x: f64) -> usize {
    if x >= 10.0 {
        0
    } else if x >= 2.0 {
        1
    } else if x >= 0.1 {
        2
    } else if x > 0.0 {
        (1.0 - x.log10().floor()).clamp(2.0, 9.0) as usize
    } else {
        2
    }
}

fn ratio_text(x: f64, decimals: usize, round: Round) -> String {
    let scale = 10f64.powi(decimals as i32);
    // A hair of slack, so that 2.7 computed as 2.6999999999999997 reads 2.7.
    let scaled = match round {
        Round::Nearest => (x * scale).round(),
        Round::Down => (x * scale + 1e-6).floor(),
        Round::Up => (x * scale - 1e-6).ceil(),
    };
    format!("{:.*}", decimals, scaled / scale)
}

/// The ranks (1 = smallest) of the sorted per-round ratios that bound the 95% interval
/// of the median over `rounds` rounds: (k, rounds + 1 - k) for the largest k with
/// P(Binomial(rounds, ½) < k) ≤ 2.5%. `None` when no k ≥ 1 qualifies (under
/// [`MIN_ROUNDS`] rounds).
///
/// The candidate is called faster when its k-th smallest ratio is above 1, that is when
/// it won at least `rounds + 1 - k` rounds.
///
/// # Examples
///
/// ```
/// use lab::compare::interval_ranks;
///
/// assert_eq!(interval_ranks(5), None);
/// assert_eq!(interval_ranks(6), Some((1, 6))); // smallest to largest: win 6 of 6
/// assert_eq!(interval_ranks(9), Some((2, 8))); // win at least 8 of 9
/// assert_eq!(interval_ranks(20), Some((6, 15))); // win at least 15 of 20
/// ```
pub fn interval_ranks(rounds: usize) -> Option<(usize, usize)> {
    let n = rounds;
    // P(B = i) for B ~ Binomial(n, 1/2), in logarithms: 2^-n underflows past n = 1074.
    let mut ln_p = -(n as f64) * std::f64::consts::LN_2;
    let mut below = 0.0; // P(B < k)
    let mut k = 0;
    while k < n / 2 {
        let next = below + ln_p.exp(); // P(B < k + 1)
        if next > 0.025 {
            break;
        }
        below = next;
        k += 1;
        ln_p += ((n - k + 1) as f64 / k as f64).ln(); // P(B = k) from P(B = k - 1)
    }
    (k >= 1).then_some((k, n + 1 - k))
}

/// The order in which `variants` variants run in round `round` (counting from 0): a
/// permutation of `0..variants`. Round 0 runs them in the order given; later rounds
/// rotate them so that, over a full cycle of rounds ([`full_cycle`]), each variant runs
/// in each place equally often and follows each other variant equally often (a
/// balanced Latin square, Williams' design: one square of `variants` rounds for an
/// even count, two of `2 × variants` rounds for an odd count). The cycle then repeats.
///
/// A variant that runs first may find the CPU at full clock, or last may find the
/// caches warmed by the one before: with the order balanced, such effects fall on every
/// variant alike and become noise that the [`Verdict`]'s interval accounts for, instead
/// of a false winner.
///
/// # Examples
///
/// ```
/// use lab::compare::round_order;
///
/// assert_eq!(round_order(2, 0), [0, 1]);
/// assert_eq!(round_order(2, 1), [1, 0]);
/// let rounds: Vec<Vec<usize>> = (0..6).map(|r| round_order(3, r)).collect();
/// assert_eq!(rounds[0], [0, 1, 2]);
/// // Over the 6 rounds of a cycle, variant 0 is first twice, second twice, last twice.
/// for place in 0..3 {
///     assert_eq!(rounds.iter().filter(|o| o[place] == 0).count(), 2);
/// }
/// ```
pub fn round_order(variants: usize, round: usize) -> Vec<usize> {
    let n = variants;
    if n == 0 {
        return Vec::new();
    }
    // The first row of a Williams square: 0, 1, n-1, 2, n-2, 3, ...; row i adds i to
    // each (mod n). Relabelled through the first row's inverse so that round 0 is the
    // order given (relabelling keeps both balances).
    let first: Vec<usize> = (0..n)
        .map(|j| {
            if j % 2 == 1 {
                j.div_ceil(2)
            } else {
                (n - j / 2) % n
            }
        })
        .collect();
    let mut relabel = vec![0; n];
    for (j, &f) in first.iter().enumerate() {
        relabel[f] = j;
    }
    let r = round % full_cycle(n);
    let shift = r % n;
    let mut order: Vec<usize> = first.iter().map(|&f| relabel[(f + shift) % n]).collect();
    if r >= n {
        // An odd count: the second square is the first one's rows reversed.
        order.reverse();
    }
    order
}

/// How many rounds make one full, balanced cycle of [`round_order`]: `variants` for an
/// even count (and 1), `2 × variants` for an odd count. A bench whose number of rounds
/// is a multiple of it gives every variant the same share of every place.
///
/// # Examples
///
/// ```
/// use lab::compare::full_cycle;
/// assert_eq!(full_cycle(2), 2);
/// assert_eq!(full_cycle(3), 6);
/// assert_eq!(full_cycle(4), 4);
/// ```
pub fn full_cycle(variants: usize) -> usize {
    match variants {
        0 | 1 => 1,
        n if n % 2 == 0 => n,
        n => 2 * n,
    }
}

impl Show for Verdict {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        Rendering::TextOnly
    }
}
shown_in_cells!(
    Verdict,
    "lab::compare::Verdict::from_rounds(&[std::time::Duration::from_millis(3); 9], \
     &[std::time::Duration::from_millis(1); 9]).unwrap()"
);

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((baseline, candidate)) = &self.names {
            write!(f, "{candidate} vs {baseline}: ")?;
        }
        f.write_str(&self.words())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[f64]) -> Vec<Duration> {
        v.iter()
            .map(|&m| Duration::from_secs_f64(m / 1e3))
            .collect()
    }

    #[test]
    fn the_words_say_the_outcome_its_interval_and_its_rounds() {
        let base = ms(&[29.0, 27.0, 31.0, 28.0, 30.0, 33.0, 26.0, 29.0, 28.0]);
        let fast = Verdict::from_rounds(&base, &ms(&[10.0; 9])).unwrap();
        assert_eq!(
            fast.words(),
            "×2.9 faster (95% interval ×2.7–×3.1, 9 of 9 rounds)"
        );
        let slow = Verdict::from_rounds(&ms(&[10.0; 9]), &base).unwrap();
        assert_eq!(slow.decision(), Decision::Slower);
        assert_eq!(
            slow.words(),
            "×2.9 slower (95% interval ×2.7–×3.1, 9 of 9 rounds)"
        );
        let near = ms(&[9.1, 9.6, 10.6, 10.2, 10.3, 9.8, 10.1, 10.4, 10.2]);
        let unsure = Verdict::from_rounds(&near, &ms(&[10.0; 9])).unwrap();
        assert_eq!(
            unsure.words(),
            "cannot tell apart on this machine (×1.02, 95% interval ×0.96–×1.04, 6 of 9 \
             rounds faster)"
        );
        let few = Verdict::from_rounds(&ms(&[3.0; 5]), &ms(&[1.0; 5])).unwrap();
        assert_eq!(
            few.words(),
            "cannot tell: 5 rounds are too few for a 95% interval, run at least 6 (×3.0, 5 \
             of 5 faster)"
        );
        let one = Verdict::from_rounds(&ms(&[3.0]), &ms(&[1.0])).unwrap();
        assert!(one.words().starts_with("cannot tell: 1 round is too few"));
        let named = fast.named("serial", "rayon").to_string();
        assert!(named.starts_with("rayon vs serial: ×2.9 faster"), "{named}");
    }

    #[test]
    fn big_and_small_ratios_read_well() {
        let big = Verdict::from_rounds(&ms(&[150.0; 6]), &ms(&[1.0; 6])).unwrap();
        assert_eq!(
            big.words(),
            "×150 faster (95% interval ×150–×150, 6 of 6 rounds)"
        );
        assert_eq!(
            ratio_text(0.0523, decimals(0.0523), Round::Nearest),
            "0.052"
        );
        assert_eq!(ratio_text(1.004, 2, Round::Down), "1.00");
        assert_eq!(ratio_text(1.004, 2, Round::Up), "1.01");
    }

    #[test]
    fn bad_rounds_are_one_line_errors() {
        let err = Verdict::from_rounds(&ms(&[1.0; 3]), &ms(&[1.0; 2])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInput);
        assert!(
            err.to_string().contains("3 rounds and the candidate 2"),
            "{err}"
        );
        let zero = [Duration::from_millis(1), Duration::ZERO];
        let err = Verdict::from_rounds(&ms(&[1.0; 2]), &zero).unwrap_err();
        assert!(
            err.to_string()
                .contains("candidate took no measurable time in round 2"),
            "{err}"
        );
        assert_eq!(
            Verdict::from_rounds(&[], &[]).unwrap_err().kind(),
            ErrorKind::Empty
        );
    }

    #[test]
    fn swapping_the_two_turns_the_verdict_round() {
        for n in [6, 9, 10] {
            let a: Vec<f64> = (0..n).map(|i| 10.0 + (i * 7 % 5) as f64).collect();
            let b: Vec<f64> = (0..n).map(|i| 5.0 + (i * 3 % 4) as f64).collect();
            let ab = Verdict::from_rounds(&ms(&a), &ms(&b)).unwrap();
            let ba = Verdict::from_rounds(&ms(&b), &ms(&a)).unwrap();
            assert!((ab.ratio() * ba.ratio() - 1.0).abs() < 1e-9);
            assert!((ab.low().unwrap() * ba.high().unwrap() - 1.0).abs() < 1e-9);
            assert_eq!(ab.decision(), Decision::Faster);
            assert_eq!(ba.decision(), Decision::Slower);
            assert_eq!(ab.words().replace("faster", "slower"), ba.words());
        }
    }

    /// P(Binomial(n, 1/2) < k), exactly, for small n.
    fn exact_below(n: u32, k: u32) -> f64 {
        let mut c = 1u128; // C(n, i)
        let mut sum = 0u128;
        for i in 0..k {
            sum += c;
            c = c * u128::from(n - i) / u128::from(i + 1);
        }
        sum as f64 / 2f64.powi(n as i32)
    }

    #[test]
    fn the_interval_ranks_are_the_binomial_ones() {
        for n in 1..=100u32 {
            let expected = (1..=n / 2)
                .rev()
                .find(|&k| exact_below(n, k) <= 0.025)
                .map(|k| (k as usize, (n + 1 - k) as usize));
            assert_eq!(interval_ranks(n as usize), expected, "n = {n}");
        }
        assert_eq!(interval_ranks(0), None);
        assert_eq!(interval_ranks(5), None);
        // The wins needed that the module docs list.
        let wins = |n| n + 1 - interval_ranks(n).unwrap().0;
        let listed = [
            (6, 6),
            (7, 7),
            (8, 8),
            (9, 8),
            (10, 9),
            (12, 10),
            (15, 12),
            (20, 15),
        ];
        for (n, w) in listed {
            assert_eq!(wins(n), w, "n = {n}");
        }
        // Large counts stay finite and near the normal approximation n/2 - 1.96 √n / 2.
        let (k, _) = interval_ranks(10_000).unwrap();
        assert!((4_900..=4_903).contains(&k), "{k}");
    }

    /// For every pair (a, b), how often b runs right after a, and for every variant how
    /// often it runs in each place, over `rounds` rounds.
    fn balance(n: usize, rounds: usize) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let mut follows = vec![vec![0; n]; n];
        let mut places = vec![vec![0; n]; n];
        for r in 0..rounds {
            let order = round_order(n, r);
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
            for (place, &v) in order.iter().enumerate() {
                places[v][place] += 1;
            }
            for pair in order.windows(2) {
                follows[pair[0]][pair[1]] += 1;
            }
        }
        (follows, places)
    }

    #[test]
    fn the_round_order_is_balanced_over_a_cycle() {
        assert!(round_order(0, 3).is_empty());
        for n in 1..=9 {
            let cycle = full_cycle(n);
            assert_eq!(round_order(n, 0), (0..n).collect::<Vec<_>>(), "n = {n}");
            let (follows, places) = balance(n, cycle);
            for (v, (after_v, places_of_v)) in follows.iter().zip(&places).enumerate() {
                for (place, &count) in places_of_v.iter().enumerate() {
                    assert_eq!(count, cycle / n, "n = {n}: {v} in place {place}");
                }
                for (w, &count) in after_v.iter().enumerate() {
                    let want = if v == w { 0 } else { cycle / n };
                    assert_eq!(count, want, "n = {n}: {w} after {v}");
                }
            }
            // The cycle repeats.
            for r in 0..cycle {
                assert_eq!(round_order(n, r), round_order(n, r + cycle));
            }
        }
    }

    /// splitmix64: a small deterministic generator for the noise of simulated benches.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in (0, 1).
        fn uniform(&mut self) -> f64 {
            ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        /// Standard normal (Box-Muller).
        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }

        /// A factor around 1 whose logarithm has standard deviation `sigma`.
        fn factor(&mut self, sigma: f64) -> f64 {
            (sigma * self.normal()).exp()
        }
    }

    /// What fraction of simulated benches came out faster, slower, and cannot tell.
    #[derive(Debug)]
    struct Rates {
        faster: f64,
        slower: f64,
        cannot_tell: f64,
    }

    const BENCHES: usize = 1000;

    /// Simulates `BENCHES` benches of `rounds` rounds: `round(noise, r)` gives round r's
    /// (baseline, candidate) times in ms. Every round also has a machine speed shared by
    /// both variants (the drift the pairing cancels).
    fn simulate(
        seed: u64,
        rounds: usize,
        mut round: impl FnMut(&mut Noise, usize) -> (f64, f64),
    ) -> Rates {
        let mut noise = Noise(seed);
        let (mut faster, mut slower, mut cannot_tell) = (0, 0, 0);
        for _ in 0..BENCHES {
            let (mut base, mut cand) = (Vec::new(), Vec::new());
            for r in 0..rounds {
                let machine = noise.factor(0.3);
                let (b, c) = round(&mut noise, r);
                base.push(b * machine);
                cand.push(c * machine);
            }
            match Verdict::from_rounds(&ms(&base), &ms(&cand))
                .unwrap()
                .decision()
            {
                Decision::Faster => faster += 1,
                Decision::Slower => slower += 1,
                Decision::CannotTell => cannot_tell += 1,
            }
        }
        let rate = |k: usize| k as f64 / BENCHES as f64;
        Rates {
            faster: rate(faster),
            slower: rate(slower),
            cannot_tell: rate(cannot_tell),
        }
    }

    #[test]
    fn equal_variants_rarely_make_a_false_winner() {
        // Same job, 10% noise on each run: a winner is a false one. The rule allows
        // 2 × 10/512 = 3.9% for 9 rounds.
        let r = simulate(1, 9, |n, _| (n.factor(0.1), n.factor(0.1)));
        let false_winners = r.faster + r.slower;
        assert!(false_winners <= 0.08, "{r:?}");
        assert!(false_winners >= 0.01, "too careful to be the rule: {r:?}");
        assert!(r.faster <= 0.05 && r.slower <= 0.05, "{r:?}");
        // The same with 15 rounds (allowed: 2 × 1.76%).
        let r = simulate(2, 15, |n, _| (n.factor(0.1), n.factor(0.1)));
        assert!(r.faster + r.slower <= 0.08, "{r:?}");
    }

    #[test]
    fn three_times_faster_is_always_found() {
        let r = simulate(3, 9, |n, _| (3.0 * n.factor(0.1), n.factor(0.1)));
        assert!(r.faster >= 0.99, "{r:?}");
        assert_eq!(r.slower, 0.0, "{r:?}");
        // Turned round, it is slower.
        let r = simulate(3, 9, |n, _| (n.factor(0.1), 3.0 * n.factor(0.1)));
        assert!(r.slower >= 0.99, "{r:?}");
    }

    #[test]
    fn ten_percent_faster_is_found_when_the_noise_is_small() {
        let r = simulate(4, 9, |n, _| (1.1 * n.factor(0.02), n.factor(0.02)));
        assert!(r.faster >= 0.95, "{r:?}");
        assert_eq!(r.slower, 0.0, "{r:?}");
    }

    #[test]
    fn ten_percent_faster_in_30_percent_noise_mostly_cannot_tell() {
        // Per round the candidate wins with p ≈ 0.59; 8 or 9 wins of 9 come with ≈ 6%.
        let r = simulate(5, 9, |n, _| (1.1 * n.factor(0.3), n.factor(0.3)));
        assert!(r.cannot_tell >= 0.85, "{r:?}");
        assert!(r.faster <= 0.12, "{r:?}");
        assert!(r.slower <= 0.01, "a wrong winner: {r:?}");
    }

    #[test]
    fn one_huge_straggler_does_not_change_the_verdict() {
        let mut noise = Noise(6);
        let mut faster = 0;
        for _ in 0..BENCHES {
            let straggler = (noise.next() % 9) as usize;
            let base: Vec<f64> = (0..9).map(|_| 3.0 * noise.factor(0.1)).collect();
            let cand: Vec<f64> = (0..9)
                .map(|r| noise.factor(0.1) * if r == straggler { 50.0 } else { 1.0 })
                .collect();
            let v = Verdict::from_rounds(&ms(&base), &ms(&cand)).unwrap();
            if v.decision() == Decision::Faster {
                faster += 1;
            }
            assert!((2.2..=4.0).contains(&v.ratio()), "{v}");
            // The means would say the candidate is slower: 8 fast rounds and one 50×.
            let mean = base.iter().sum::<f64>() / cand.iter().sum::<f64>();
            assert!(mean < 1.0, "{mean}");
        }
        assert!(faster as f64 / BENCHES as f64 >= 0.99, "{faster}");
    }

    #[test]
    fn bimodal_noise_rarely_makes_a_false_winner() {
        // Each run is at random 1× or 2× (e.g. a job that sometimes misses a cache or
        // lands on a slow core), the same for both variants.
        let r = simulate(7, 9, |n, _| {
            let mut run = || n.factor(0.02) * if n.next() % 2 == 0 { 1.0 } else { 2.0 };
            (run(), run())
        });
        assert!(r.faster + r.slower <= 0.08, "{r:?}");
        assert!(r.cannot_tell >= 0.92, "{r:?}");
    }

    #[test]
    fn the_rotating_order_keeps_a_place_effect_from_making_a_winner() {
        // Equal variants, but whichever runs second in a round is 10% slower (say the
        // first one left the CPU hot and it clocks down).
        let place_effect = |order: Vec<usize>| {
            move |n: &mut Noise| {
                let mut t = [n.factor(0.02), n.factor(0.02)];
                t[order[1]] *= 1.1;
                (t[0], t[1])
            }
        };
        let fixed = simulate(8, 9, |n, _| place_effect(vec![0, 1])(n));
        assert!(fixed.slower >= 0.99, "same order every round: {fixed:?}");
        let rotating = simulate(8, 9, |n, r| place_effect(round_order(2, r))(n));
        assert!(rotating.cannot_tell >= 0.99, "rotating: {rotating:?}");
    }
}
