-- GETs the paths of a file (one a line, given after `--`), one after another, round and
-- round: a long tail of URLs that no cache can serve from what it kept of the last ones.
-- Each thread starts at its own place, so that the threads do not ask for the same page.
-- thread_start is a global that setup() gives each thread (a local would hide it).
-- Every request also carries a header of its own (x-bench-request), so that the registry
-- never gives an answer it kept for an earlier request of the same URL
-- (app/http/kept_answers.py): a round of the file would otherwise be served from what the
-- last round kept, and the mix is the measure of first reads. Datasette keeps none.
local paths = {}
local position = 0
local threads_started = 0
thread_start = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_start", threads_started)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  position = (thread_start * 7919) % #paths
end

local asked = 0

function request()
  position = position % #paths + 1
  asked = asked + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["x-bench-request"] = thread_start .. "-" .. asked
  return wrk.format("GET", paths[position], headers)
end
