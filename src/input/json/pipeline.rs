//! Work read on this thread, parsed on every core and delivered back here in input
//! order, with a bounded number of jobs in flight: the blocks of both JSON carriers, and
//! small inputs read whole (`input::read_in_order`). Then what parsing a block hands
//! back, and the fold that takes it into the sink, on a thread of its own when several
//! cores parse.

use crate::input::raw::Outcome;
use crate::input::{Shape, Sink};
use crate::model::Position;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, mpsc};

/// Work read on this thread, parsed on others, and delivered back here in input order.
pub(in crate::input) trait Pipeline {
    type Job: Send;
    type Done: Send;

    fn next(&mut self) -> io::Result<Option<Self::Job>>;

    /// Takes a parsed job, in input order; false to read no further (jobs already read
    /// are still delivered).
    fn deliver(&mut self, job: Self::Job, done: Self::Done) -> bool;
}

/// Runs a pipeline: on this thread when it holds a single job or one worker is wanted,
/// else on `workers` threads.
pub(in crate::input) fn run<P: Pipeline>(
    pipeline: &mut P,
    workers: usize,
    parse: &(dyn Fn(&P::Job) -> P::Done + Sync),
) -> io::Result<()> {
    let Some(first) = pipeline.next()? else {
        return Ok(());
    };
    let Some(second) = pipeline.next()? else {
        let done = parse(&first);
        pipeline.deliver(first, done);
        return Ok(());
    };
    if workers > 1 {
        return parallel(pipeline, [first, second], workers, parse);
    }
    let mut reading = true;
    for job in [first, second] {
        let done = parse(&job);
        reading &= pipeline.deliver(job, done);
    }
    while reading {
        let Some(job) = pipeline.next()? else { break };
        let done = parse(&job);
        reading = pipeline.deliver(job, done);
    }
    Ok(())
}

/// Reads jobs on this thread, parses them on `workers` threads, and delivers the results
/// in input order. At most a few jobs per worker are in flight, so memory stays bounded
/// whatever the input's size.
fn parallel<P: Pipeline>(
    pipeline: &mut P,
    started: [P::Job; 2],
    workers: usize,
    parse: &(dyn Fn(&P::Job) -> P::Done + Sync),
) -> io::Result<()> {
    std::thread::scope(|scope| {
        let (work, jobs) = mpsc::channel::<(usize, P::Job)>();
        let jobs = Arc::new(Mutex::new(jobs));
        let (done, results) = mpsc::channel::<(usize, P::Job, P::Done)>();
        for _ in 0..workers {
            let jobs = Arc::clone(&jobs);
            let done = done.clone();
            scope.spawn(move || {
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, job)) = job else { break };
                    let result = parse(&job);
                    if done.send((index, job, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let in_flight = workers * 2;
        let mut queued: Vec<P::Job> = started.into_iter().rev().collect();
        let mut pending: BTreeMap<usize, (P::Job, P::Done)> = BTreeMap::new();
        let (mut sent, mut delivered) = (0, 0);
        let mut outcome = Ok(());
        let mut reading = true;
        loop {
            while reading && sent - delivered < in_flight {
                let job = match queued.pop() {
                    Some(job) => Some(job),
                    None => pipeline.next().unwrap_or_else(|err| {
                        outcome = Err(err);
                        None
                    }),
                };
                let Some(job) = job else {
                    reading = false;
                    break;
                };
                if work.send((sent, job)).is_err() {
                    reading = false;
                    break;
                }
                sent += 1;
            }
            if delivered == sent {
                break;
            }
            let Ok((index, job, result)) = results.recv() else {
                break;
            };
            pending.insert(index, (job, result));
            while let Some((job, result)) = pending.remove(&delivered) {
                reading &= pipeline.deliver(job, result);
                delivered += 1;
            }
        }
        drop(work);
        outcome
    })
}

/// Where parsed blocks go, in input order: straight into the sink, or to a thread of its
/// own that folds them in while the reading thread reads and the workers parse.
pub(super) struct Fold<'a> {
    out: Out<'a>,
    input: usize,
    lists: &'a Lists,
}

enum Out<'a> {
    Sink(&'a mut dyn Sink),
    Thread(mpsc::SyncSender<BlockResult>),
}

/// Parsed blocks waiting for the fold thread, at most.
const FOLD_QUEUE: usize = 4;

impl Fold<'_> {
    /// Hands a parsed block over; false when the fold thread ended early (it panicked:
    /// reading stops, and the panic goes on when the thread is joined).
    pub(super) fn hand(&mut self, result: BlockResult) -> bool {
        match &mut self.out {
            Out::Sink(sink) => {
                hand_over(result, self.input, &mut **sink, self.lists);
                true
            }
            Out::Thread(queue) => queue.send(result).is_ok(),
        }
    }
}

/// Runs `read` with a fold into `sink`: on a thread of its own when `workers` parse on
/// several cores (the analysis is then a stage of the pipeline, not a pause in it).
/// When `read` returns, the fold has taken everything it was handed.
pub(super) fn folding<R>(
    sink: &mut dyn Sink,
    input: usize,
    lists: &Lists,
    workers: usize,
    read: impl FnOnce(Fold<'_>) -> R,
) -> R {
    if workers < 2 {
        return read(Fold {
            out: Out::Sink(sink),
            input,
            lists,
        });
    }
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<BlockResult>(FOLD_QUEUE);
        let folding = scope.spawn(move || {
            for result in receive {
                hand_over(result, input, sink, lists);
            }
        });
        // `read` drops its fold when it returns: the queue closes, and the fold thread
        // ends once it has taken everything.
        let value = read(Fold {
            out: Out::Thread(send),
            input,
            lists,
        });
        if let Err(panic) = folding.join() {
            std::panic::resume_unwind(panic);
        }
        value
    })
}

/// Hands a parsed block's outcomes and warnings to the sink, in order, and its list back
/// to be filled again.
fn hand_over(mut result: BlockResult, input: usize, sink: &mut dyn Sink, lists: &Lists) {
    for (position, outcome) in result.outcomes.drain(..) {
        sink.outcome(position, outcome);
    }
    lists.give(result.outcomes);
    for message in result.warnings {
        sink.warning(input, message);
    }
}

/// The outcome lists of blocks already handed to the sink, to be filled again. A block's
/// list is large (a few thousand records), and a large allocation freed on the thread
/// that folds goes back to the system: a fresh list for every block cost fresh, zeroed
/// pages for every block.
#[derive(Default)]
pub(super) struct Lists(Mutex<Vec<Vec<(Position, Outcome)>>>);

/// Lists kept for reuse, at most: more than the blocks in flight at once.
const LISTS_KEPT: usize = 16;

impl Lists {
    /// An empty list with room for `capacity` outcomes, reused when one is at hand.
    pub(super) fn take(&self, capacity: usize) -> Vec<(Position, Outcome)> {
        let mut list = self
            .0
            .lock()
            .ok()
            .and_then(|mut lists| lists.pop())
            .unwrap_or_default();
        list.reserve(capacity);
        list
    }

    /// Gives back a list whose outcomes were handed over.
    pub(super) fn give(&self, mut list: Vec<(Position, Outcome)>) {
        list.clear();
        if let Ok(mut lists) = self.0.lock()
            && lists.len() < LISTS_KEPT
        {
            lists.push(list);
        }
    }
}

/// What parsing one block produced, to hand to the sink in order.
#[derive(Default)]
pub(super) struct BlockResult {
    pub(super) outcomes: Vec<(Position, Outcome)>,
    pub(super) warnings: Vec<String>,
    pub(super) shape: Option<Shape>,
    pub(super) seen_content: bool,
}

impl Sink for BlockResult {
    fn outcome(&mut self, position: Position, outcome: Outcome) {
        self.outcomes.push((position, outcome));
    }

    fn warning(&mut self, _: usize, message: String) {
        self.warnings.push(message);
    }
}
