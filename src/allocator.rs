//! The binary's memory allocator: the system's, with a per-thread cache of
//! small blocks in front of it on the threads that analyze.
//!
//! # Brief overview
//! A record becomes some thirty small strings and lists (its text, its
//! frames' paths and functions, the finding's site, subject and context
//! lines), and nearly all are freed when its finding has been counted. glibc's
//! own per-thread cache holds seven blocks of a size, so most of these go
//! through its slower paths: on a dense log the allocator was a seventh of
//! all instructions. [`ThreadCache`] keeps up to [`CLASS_BYTES`] of freed
//! blocks of each 16-byte size class up to [`SMALL`] bytes on a list per
//! thread, and hands them out again before asking the system. Measured on
//! the dense 30 MB workload: 8 % fewer instructions (587 M to 539 M), the
//! allocator from a seventh of them to a sixteenth; peak memory 1–1.5 MiB
//! higher (the README's Performance section has the wall times).
//!
//! Every small block is the system's block of its class's size, whether or
//! not it passed through a cache, so that a block freed on another thread,
//! or with no cache on, goes back to the system as it came. A thread uses
//! its cache only inside [`with_cache`] (the main thread's analysis, the
//! parallel parts), which gives the blocks back to the system at its end:
//! the cache needs no thread-local destructor, which the standard library
//! might register by allocating. Elsewhere every call goes to the system.
//!
//! # Example
//! ```
//! use std::alloc::{GlobalAlloc, Layout};
//! use aiolog::allocator::{with_cache, ThreadCache};
//! let layout = Layout::from_size_align(24, 8).unwrap();
//! with_cache(|| unsafe {
//!     let a = ThreadCache.alloc(layout);
//!     ThreadCache.dealloc(a, layout);
//!     // The same class is served from the cache: the same block.
//!     let b = ThreadCache.alloc(layout);
//!     assert_eq!(a, b);
//!     ThreadCache.dealloc(b, layout);
//! });
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// The size classes' step, and the largest alignment a cached block has.
const STEP: usize = 16;
/// The size classes.
const CLASSES: usize = 32;
/// The largest block the cache holds, in bytes.
pub const SMALL: usize = STEP * CLASSES;
/// The most bytes a thread keeps of one class (4,096 blocks of 16 bytes,
/// 128 of 512): at most 2 MiB a thread. Sized when a 1 MiB chunk's
/// findings (some 400 in a dense log) all lived until the chunk's end;
/// they are now handed on and freed every
/// [`crate::pipeline::HAND_ON_EVERY`], and the depth was not measured
/// again since.
pub const CLASS_BYTES: usize = 64 << 10;

/// The most blocks a thread keeps of class `c`.
#[inline]
const fn depth(c: usize) -> u32 {
    (CLASS_BYTES / ((c + 1) * STEP)) as u32
}

/// The allocator: [`System`], with a thread's cache of small blocks.
pub struct ThreadCache;

/// A thread's free lists: the first free block of each class (each block
/// holds the next's address in its first bytes), and their lengths.
struct Cache {
    on: bool,
    heads: [*mut u8; CLASSES],
    counts: [u32; CLASSES],
}

thread_local! {
    // No `Drop`: the standard library registers no destructor for it.
    static CACHE: UnsafeCell<Cache> = const {
        UnsafeCell::new(Cache {
            on: false,
            heads: [ptr::null_mut(); CLASSES],
            counts: [0; CLASSES],
        })
    };
}

/// Runs `f` with this thread's cache on, and gives its blocks back to the
/// system at the end (a panic in `f` included). Nested calls keep it on
/// until the outermost one ends.
pub fn with_cache<R>(f: impl FnOnce() -> R) -> R {
    struct Off(bool);
    impl Drop for Off {
        fn drop(&mut self) {
            if !self.0 {
                // SAFETY: this thread's own cache; nothing else holds it.
                CACHE.with(|c| unsafe { release(&mut *c.get()) });
            }
        }
    }
    // SAFETY: as above.
    let was_on = CACHE.with(|c| unsafe { std::mem::replace(&mut (*c.get()).on, true) });
    let _off = Off(was_on);
    f()
}

/// Turns the cache off and frees what it holds.
///
/// # Safety
/// `cache` is this thread's, and no other reference to it is alive.
unsafe fn release(cache: &mut Cache) {
    cache.on = false;
    for c in 0..CLASSES {
        let mut p = std::mem::replace(&mut cache.heads[c], ptr::null_mut());
        while !p.is_null() {
            let next = *(p as *mut *mut u8);
            System.dealloc(p, class_layout(c));
            p = next;
        }
        cache.counts[c] = 0;
    }
}

/// The class of a block the cache may hold, `None` for the rest.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    (layout.size() <= SMALL && layout.align() <= STEP).then(|| (layout.size().max(1) - 1) / STEP)
}

/// The system block behind every block of class `c`.
#[inline]
fn class_layout(c: usize) -> Layout {
    // SAFETY: a multiple of 16 bytes, aligned to 16, far below isize::MAX.
    unsafe { Layout::from_size_align_unchecked((c + 1) * STEP, STEP) }
}

/// A cached block of class `c`, or null when there is none or the cache is
/// off (or gone, at the thread's end).
#[inline]
fn pop(c: usize) -> *mut u8 {
    CACHE
        .try_with(|cache| {
            // SAFETY: this thread's own cache, borrowed only here; nothing in
            // this closure allocates.
            let cache = unsafe { &mut *cache.get() };
            let p = cache.heads[c];
            if cache.on && !p.is_null() {
                // SAFETY: a cached block holds the next one's address.
                cache.heads[c] = unsafe { *(p as *mut *mut u8) };
                cache.counts[c] -= 1;
                p
            } else {
                ptr::null_mut()
            }
        })
        .unwrap_or(ptr::null_mut())
}

/// Keeps the free block `p` of class `c`; `false` when the cache is off or
/// full.
#[inline]
fn push(c: usize, p: *mut u8) -> bool {
    CACHE
        .try_with(|cache| {
            // SAFETY: as in `pop`.
            let cache = unsafe { &mut *cache.get() };
            if !cache.on || cache.counts[c] >= depth(c) {
                return false;
            }
            // SAFETY: `p` is a free block of at least 16 bytes, aligned to 16.
            unsafe { *(p as *mut *mut u8) = cache.heads[c] };
            cache.heads[c] = p;
            cache.counts[c] += 1;
            true
        })
        .unwrap_or(false)
}

/// A block for `layout`: a cached one when its class has one, else the
/// system's; `zeroed` clears it, as `alloc_zeroed` promises.
///
/// # Safety
/// As [`GlobalAlloc::alloc`]: `layout` has a size other than zero.
#[inline]
unsafe fn get(layout: Layout, zeroed: bool) -> *mut u8 {
    let system = |l| {
        if zeroed {
            System.alloc_zeroed(l)
        } else {
            System.alloc(l)
        }
    };
    let Some(c) = class_of(layout) else {
        return system(layout);
    };
    let p = pop(c);
    if p.is_null() {
        return system(class_layout(c));
    }
    if zeroed {
        ptr::write_bytes(p, 0, layout.size());
    }
    p
}

// SAFETY: every block handed out is a live system block at least as large
// and as aligned as asked (a small one is its class's system block, which
// `dealloc` and `realloc` give back with the class's layout); a cached
// block is on one thread's list only, and nobody else's.
unsafe impl GlobalAlloc for ThreadCache {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        get(layout, false)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        get(layout, true)
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class_of(layout) {
            None => System.dealloc(p, layout),
            Some(c) => {
                if !push(c, p) {
                    System.dealloc(p, class_layout(c));
                }
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's promise: `new_size`, rounded up to the
        // alignment, does not overflow isize.
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class_of(layout), class_of(new)) {
            (None, None) => System.realloc(p, layout, new_size),
            // The block is already as large as its class.
            (Some(a), Some(b)) if a == b => p,
            // Both the system's blocks of their class: it may grow in place.
            (Some(a), Some(b)) => System.realloc(p, class_layout(a), class_layout(b).size()),
            // Between a class and an exact layout: a new block.
            _ => {
                let q = self.alloc(new);
                if !q.is_null() {
                    ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                    self.dealloc(p, layout);
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `n` bytes at `p` with a pattern of `seed`.
    unsafe fn fill(p: *mut u8, n: usize, seed: u8) {
        for i in 0..n {
            *p.add(i) = seed.wrapping_add(i as u8);
        }
    }

    /// Whether `n` bytes at `p` hold `seed`'s pattern.
    unsafe fn holds(p: *const u8, n: usize, seed: u8) -> bool {
        (0..n).all(|i| *p.add(i) == seed.wrapping_add(i as u8))
    }

    #[test]
    fn blocks_are_reused_within_a_class_and_keep_their_contents_apart() {
        with_cache(|| unsafe {
            let mut live = Vec::new();
            for (k, size) in (1..=SMALL + 40).step_by(7).enumerate() {
                for align in [1, 8, 16, 64] {
                    let layout = Layout::from_size_align(size, align).unwrap();
                    let p = ThreadCache.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0);
                    fill(p, size, k as u8);
                    live.push((p, layout, k as u8));
                }
            }
            // Free every other block, allocate again, and check that no
            // live block was handed out twice or overwritten.
            let mut kept = Vec::new();
            for (i, (p, layout, seed)) in live.into_iter().enumerate() {
                if i % 2 == 0 {
                    ThreadCache.dealloc(p, layout);
                } else {
                    kept.push((p, layout, seed));
                }
            }
            let mut again = Vec::new();
            for &(_, layout, _) in &kept {
                let q = ThreadCache.alloc(layout);
                assert!(kept.iter().all(|&(p, _, _)| p != q));
                fill(q, layout.size(), 0xa5);
                again.push((q, layout));
            }
            for &(p, layout, seed) in &kept {
                assert!(holds(p, layout.size(), seed));
                ThreadCache.dealloc(p, layout);
            }
            for (q, layout) in again {
                assert!(holds(q, layout.size(), 0xa5));
                ThreadCache.dealloc(q, layout);
            }
        });
    }

    #[test]
    fn a_freed_block_comes_back_from_the_cache_only_while_it_is_on() {
        let layout = Layout::from_size_align(40, 8).unwrap();
        unsafe {
            let p = with_cache(|| {
                let a = ThreadCache.alloc(layout);
                ThreadCache.dealloc(a, layout);
                let b = ThreadCache.alloc(layout);
                assert_eq!(a, b, "served from the cache");
                b
            });
            // Off: the cache was emptied and nothing is kept.
            ThreadCache.dealloc(p, layout);
            CACHE.with(|c| {
                let c = &*c.get();
                assert!(!c.on && c.counts.iter().all(|&n| n == 0));
            });
        }
    }

    #[test]
    fn a_class_keeps_at_most_its_depth() {
        let layout = Layout::from_size_align(100, 4).unwrap();
        let c = class_of(layout).unwrap();
        assert_eq!(depth(c), 585);
        with_cache(|| unsafe {
            let blocks: Vec<_> = (0..depth(c) + 50)
                .map(|_| ThreadCache.alloc(layout))
                .collect();
            for p in blocks {
                ThreadCache.dealloc(p, layout);
            }
            CACHE.with(|cache| assert_eq!((*cache.get()).counts[c], depth(c)));
        });
    }

    #[test]
    fn zeroed_and_reallocated_blocks_are_right_across_classes() {
        with_cache(|| unsafe {
            let small = Layout::from_size_align(48, 8).unwrap();
            let p = ThreadCache.alloc(small);
            fill(p, 48, 3);
            ThreadCache.dealloc(p, small);
            let z = ThreadCache.alloc_zeroed(small);
            assert!((0..48).all(|i| *z.add(i) == 0), "a reused block is zeroed");
            // Grow through the classes, out of them and back.
            let mut p = z;
            let mut layout = small;
            fill(p, 48, 9);
            for new_size in [50, 64, 65, 200, 512, 513, 4000, 100_000, 700, 300, 20] {
                let kept = layout.size().min(new_size);
                p = ThreadCache.realloc(p, layout, new_size);
                assert!(!p.is_null());
                assert!(holds(p, kept.min(48), 9), "{new_size}");
                layout = Layout::from_size_align(new_size, 8).unwrap();
            }
            ThreadCache.dealloc(p, layout);
        });
    }

    #[test]
    fn a_block_freed_on_another_thread_goes_back_as_it_came() {
        let layout = Layout::from_size_align(72, 8).unwrap();
        let p = with_cache(|| unsafe { ThreadCache.alloc(layout) }) as usize;
        std::thread::spawn(move || {
            with_cache(|| unsafe {
                ThreadCache.dealloc(p as *mut u8, layout);
                let q = ThreadCache.alloc(layout);
                assert_eq!(q as usize, p, "reused on the thread that freed it");
                ThreadCache.dealloc(q, layout);
            })
        })
        .join()
        .unwrap();
    }
}
