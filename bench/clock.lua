-- bench/clock.lua — CLOCK_MONOTONIC for the wrk scripts, through LuaJIT's FFI: wrk gives Lua no
-- clock, and os.clock() is CPU time. A script puts this file's folder on package.path relative to
-- its own path (debug.getinfo's source: the path wrk was given), so any working directory does.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_clock_timespec;
int clock_gettime(int clock, bench_clock_timespec *tp);
]]
local ts = ffi.new("bench_clock_timespec")

return {
    -- now(): seconds since an arbitrary start, never going back.
    now = function()
        ffi.C.clock_gettime(1, ts)
        return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
    end,
}
