-- bench/zk-gateway.lua — the wrk script of bench/zk-gateway.sh: zk-bench's workload over HTTP.
--
-- Arguments (after wrk's --): PHASE PREFIX FIRST COUNT VALUE_SIZE
--   create   PUT PREFIX<k> with If-None-Match: * (create only) and a raw VALUE_SIZE-byte body
--            of 'x', k = 1, 2, ... (wrk calls request() once before it sends anything, so k = 0
--            is never sent; the shell script lists what exists afterwards)
--   set      PUT PREFIX<i>?version=-1 (ZooKeeper's setData, any version) with the same body,
--            i = FIRST + k mod COUNT: round robin over the nodes created
--   getpass  GET PREFIX<i>, round robin, stopping once COUNT answers have arrived: one pass,
--            so every GET is the first read of its node. wrk's own Requests/sec divides by the
--            whole -d duration even when the thread stops early, so this prints
--            "pass N answers in S s", timed on CLOCK_MONOTONIC (LuaJIT's FFI) from the first
--            request sent to the last answer
--   get      GET PREFIX<i>, round robin, for the whole run
-- Run with -t1: one Lua state, so the counter k is shared by every connection and each
-- connection has one request in flight (wrk -cC holds exactly C outstanding, as zk-bench).
local phase, prefix, first, count, body = "get", "/v1/nodes/n", 1, 1, ""
local k = 0
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local now = require("clock").now -- bench/clock.lua: CLOCK_MONOTONIC, seconds
local started = nil
local create_headers = { ["Content-Type"] = "application/octet-stream", ["If-None-Match"] = "*" }
local set_headers = { ["Content-Type"] = "application/octet-stream" }

function init(args)
    phase, prefix = args[1], args[2]
    first, count = tonumber(args[3]), tonumber(args[4])
    body = string.rep("x", tonumber(args[5]))
    if phase == "getpass" then
        local seen = 0
        -- Defined only for this phase: with a response() function wrk hands every answer to Lua.
        response = function(status, headers, answer)
            seen = seen + 1
            if seen == count then
                io.write(string.format("pass %d answers in %.6f s\n", seen, now() - started))
                wrk.thread:stop()
            end
        end
    end
end

function request()
    local i = k
    k = k + 1
    -- wrk calls request() once (k = 0) to check the script before any connection exists.
    if i == 1 then started = now() end
    if phase == "create" then
        return wrk.format("PUT", prefix .. i, create_headers, body)
    end
    local path = prefix .. (first + i % count)
    if phase == "set" then
        return wrk.format("PUT", path .. "?version=-1", set_headers, body)
    end
    return wrk.format("GET", path)
end
