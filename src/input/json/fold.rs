//! What parsing a block of either JSON carrier hands back, and the fold that takes it
//! into the sink in input order: on a thread of its own when several cores parse.

use crate::input::raw::Outcome;
use crate::input::{Shape, Sink};
use crate::model::Position;
use std::sync::{Mutex, mpsc};

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

/// Parsed blocks waiting for the fold thread, at most: as many as are being parsed, so
/// a stalled fold does not stop the workers at once.
const FOLD_QUEUE: usize = 8;

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
    sink.outcomes(&mut result.outcomes);
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
const LISTS_KEPT: usize = 24;

impl Lists {
    /// An empty list with room for `capacity` outcomes, reused when one is at hand.
    ///
    /// A list too small for this block is replaced, not grown: growing an empty list
    /// copies its whole old room, and doubles it. A new one gets an eighth more than
    /// asked, so that the blocks after it, of about the same size, fit.
    pub(super) fn take(&self, capacity: usize) -> Vec<(Position, Outcome)> {
        let list = self.0.lock().ok().and_then(|mut lists| lists.pop());
        match list {
            Some(list) if list.capacity() >= capacity => list,
            _ => Vec::with_capacity(capacity + capacity / 8),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_given_back_is_reused_when_it_has_room_and_replaced_when_it_has_not() {
        let lists = Lists::default();
        let first = lists.take(100);
        // Room for the blocks after it, of about the same size.
        assert!(first.capacity() >= 112, "{}", first.capacity());
        let room = first.capacity();
        let place = first.as_ptr();
        lists.give(first);
        let again = lists.take(room);
        assert_eq!(
            again.as_ptr(),
            place,
            "a list with room is the one given back"
        );
        assert!(again.is_empty());
        lists.give(again);
        // Too small: a new list with an eighth more than asked, not the old one doubled.
        let larger = lists.take(room + 1);
        assert!(larger.capacity() >= room + 1 + (room + 1) / 8);
        assert!(larger.capacity() < 2 * room, "{}", larger.capacity());
    }
}
