//! Work read on this thread, parsed on every core and delivered back here in input
//! order, with a bounded number of jobs in flight: the blocks of both JSON carriers, and
//! small inputs read whole (`read_in_order`).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, mpsc};

/// Work read on this thread, parsed on others, and delivered back here in input order.
pub(super) trait Pipeline {
    type Job: Send;
    type Done: Send;

    fn next(&mut self) -> io::Result<Option<Self::Job>>;

    /// Takes a parsed job, in input order; false to read no further (jobs already read
    /// are still delivered).
    fn deliver(&mut self, job: Self::Job, done: Self::Done) -> bool;
}

/// Runs a pipeline: on this thread when it holds a single job or one worker is wanted,
/// else on `workers` threads.
pub(super) fn run<P: Pipeline>(
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
        // Four a worker: on a shared machine a thread can stall for a while, and the
        // others go on with what is queued (docs/performance.md has the figures).
        let in_flight = workers * 4;
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
