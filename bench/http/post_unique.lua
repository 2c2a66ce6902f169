-- wrk script: like post.lua, but every request carries a different record id, so every
-- request is a new input (a new input digest: no cached comparison, new audit payloads).
local template = nil
local counter = 0
local tid = 0
local threads = 0

setup = function(thread)
    thread:set("tid", threads)
    threads = threads + 1
end

init = function(args)
    local path = args[1] or "examples/first-relapse-on-lenalidomide.json"
    local file = assert(io.open(path, "rb"))
    template = file:read("*a")
    file:close()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

request = function()
    counter = counter + 1
    local body = template:gsub('"id": "[^"]*"', string.format('"id": "bench-%d-%d"', tid, counter), 1)
    return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
    io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
