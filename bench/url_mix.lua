-- GETs the paths of a file (one a line, given after `--`), one after another, round and
-- round: a long tail of URLs that no cache can serve from what it kept of the last ones.
-- Each thread starts at its own place, so that the threads do not ask for the same page.
-- thread_start is a global that setup() gives each thread (a local would hide it).
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

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end
