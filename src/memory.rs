//! Hands memory freed between the phases of a run back to the system, and asks the
//! processor to fetch memory ahead of its use.
//!
//! The binary allocates with mimalloc (`main.rs`), which keeps freed pages for a second
//! before it returns them: longer than most runs. Each phase of an analysis (reading,
//! diagnosing, building the reports, rendering) frees most of what the phase before it
//! built, and often on other threads, whose heaps cannot reuse those pages. Returning
//! them at each boundary keeps the peak near the data that is alive, not near the sum
//! of the phases.

/// Returns to the system the pages the allocator holds that nothing uses: a walk over
/// the allocator's pages, cheap even after the largest inputs (docs/performance.md).
pub fn release_freed() {
    // SAFETY: `mi_collect` has no preconditions: it frees nothing in use, only returns
    // free pages, and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Asks the processor to bring the cache line at `place` closer: a hint, which reads
/// nothing the program sees and cannot fault, whatever the address.
#[inline]
pub fn prefetch(place: *const u8) {
    // SAFETY: the instruction needs SSE, which every x86-64 processor has; a prefetch
    // reads nothing and cannot fault, whatever the address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(place.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = place;
}
