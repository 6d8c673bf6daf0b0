#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

// Counts the heap allocations made by the calling thread between start and stop.
//
// The target defines malloc, calloc, realloc, free and the aligned allocators, forwarding each
// to glibc's own (__libc_malloc and friends), so it replaces the allocator of the whole process
// it is linked into: link it only into AllocationProbe, never into a library or the test bundle.

/// Resets the calling thread's count and counts its allocations from now on.
void allocation_counter_start(void);

/// Stops counting on the calling thread and returns the allocations made since `start`
/// (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc: one each).
long allocation_counter_stop(void);

/// Called for every counted allocation: under a debugger, `break allocation_counted` with a
/// backtrace at each stop shows where the allocations come from.
void allocation_counted(void);

#endif
