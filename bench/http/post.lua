-- wrk script: POST the example patient record (path given as the first script argument)
-- to the URL wrk was started with; counts non-2xx answers so a run that failed shows it.
local body_path = nil

init = function(args)
    body_path = args[1] or "examples/first-relapse-on-lenalidomide.json"
    local file = assert(io.open(body_path, "rb"))
    wrk.method = "POST"
    wrk.body = file:read("*a")
    wrk.headers["Content-Type"] = "application/json"
    file:close()
end

local failures = 0
response = function(status, headers, body)
    if status ~= 200 then
        failures = failures + 1
    end
end

done = function(summary, latency, requests)
    io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
