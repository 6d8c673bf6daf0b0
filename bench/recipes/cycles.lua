-- bench/recipes/cycles.lua — the wrk script of `bench/recipes.sh cycles`: uncontended lock
-- cycles through zkgate, each connection looping POST /v1/locks/<name> (acquire) then
-- DELETE /v1/locks/<name>?token=<the token that acquire answered> (release).
--
-- Arguments (after wrk's --): SESSIONS PREFIX
--   SESSIONS  comma-separated device session ids, one per wrk thread (the shell script made them)
--   PREFIX    lock name prefix: thread i uses lock PREFIX<i> with session i, so no two
--             connections share a lock (uncontended, as CuratorLoop's threads)
-- Run with -tC -cC: one connection per thread, so each Lua state drives exactly one connection
-- and knows which request its next answer belongs to.
--
-- The state advances in response(), never in request(): wrk calls request() once more than it
-- sends on the first thread (to check the script), so request() only hands out the next request.
-- done() prints one line:
--   result cycles=N seconds=S rate=R p50_ms=A p99_ms=B max_ms=M cpu_us_per_cycle=U errors=E
-- where cpu_us_per_cycle is wrk's own CPU time (getrusage, all its threads) per cycle: the
-- client's share of the two cores, to set beside the gateway's.
-- A cycle's time runs from the previous release's answer (when the next acquire is sent) to its
-- own release's answer; the first cycle of each connection has no start and is not timed.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../?.lua;" .. package.path
local now = require("clock").now -- bench/clock.lua: CLOCK_MONOTONIC, seconds
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } recipes_timeval;
typedef struct { recipes_timeval ru_utime; recipes_timeval ru_stime; long ru_rest[14]; } recipes_rusage;
int getrusage(int who, recipes_rusage *usage);
]]

local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("id", next_id)
    table.insert(threads, thread)
end

local acquire_req, lock_path, pending
local releasing = false
local started = nil
cycles, errors, lat, first_error = 0, 0, {}, ""

function init(args)
    local sessions = {}
    for s in string.gmatch(args[1], "[^,]+") do sessions[#sessions + 1] = s end
    local session = sessions[id]
    if session == nil then error("no session for thread " .. tostring(id)) end
    lock_path = "/v1/locks/" .. args[2] .. id
    acquire_req = wrk.format("POST", lock_path, { ["Content-Type"] = "application/json" },
        '{"session":"' .. session .. '","wait":"10s"}')
    pending = acquire_req
end

function request()
    return pending
end

function response(status, headers, body)
    if not releasing then
        if status == 200 then
            local token = string.match(body, '"token":(%d+)')
            if token then
                pending = wrk.format("DELETE", lock_path .. "?token=" .. token)
                releasing = true
                return
            end
        end
        errors = errors + 1     -- acquire again (a session's retry gets its contender back)
        if first_error == "" then first_error = "acquire " .. status .. " " .. string.sub(body, 1, 200) end
        return
    end
    local t = now()
    if status == 204 then
        cycles = cycles + 1
        if started then lat[#lat + 1] = t - started end
    else
        errors = errors + 1
        if first_error == "" then first_error = "release " .. status .. " " .. string.sub(body, 1, 200) end
    end
    started = t
    pending = acquire_req
    releasing = false
end

function done(summary, latency, requests)
    local total, bad, all, first = 0, 0, {}, ""
    for _, thread in ipairs(threads) do
        total = total + thread:get("cycles")
        bad = bad + thread:get("errors")
        if first == "" then first = thread:get("first_error") end
        for _, v in ipairs(thread:get("lat")) do all[#all + 1] = v end
    end
    table.sort(all)
    local function pct(p)
        if #all == 0 then return 0 end
        local rank = math.max(1, math.ceil(#all * p / 100))
        return all[rank] * 1000
    end
    local seconds = summary.duration / 1e6
    local ru = ffi.new("recipes_rusage")
    ffi.C.getrusage(0, ru)   -- RUSAGE_SELF: the whole process, every thread
    local cpu_us = (tonumber(ru.ru_utime.tv_sec) + tonumber(ru.ru_stime.tv_sec)) * 1e6
        + tonumber(ru.ru_utime.tv_usec) + tonumber(ru.ru_stime.tv_usec)
    io.write(string.format("result cycles=%d seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
        .. "cpu_us_per_cycle=%.1f errors=%d\n", total, seconds, total / seconds, pct(50), pct(99),
        (#all > 0 and all[#all] * 1000 or 0), total > 0 and cpu_us / total or 0, bad))
    if first ~= "" then io.write("first error: " .. string.gsub(first, "\n", " ") .. "\n") end
end
