-- POSTs a new stage with 10 seizure reports; every request gets its own stage number.
-- thread_base is a global that setup() gives each thread (a local would hide it).
local counter = 0
local threads_started = 0
thread_base = 0

function setup(thread)
  threads_started = threads_started + 1
  -- A thousand numbers a second from the clock: a later run against the same database
  -- starts past an earlier one's numbers (at under a thousand posts a second per thread).
  thread:set("thread_base", threads_started * 500000000 + (os.time() % 100000) * 1000)
end

function request()
  counter = counter + 1
  local seizures = {}
  local substances = {"heroin", "opium", "hashish", "marijuana", "cocaine",
                      "synthetic-drugs", "precursors", "potent-substances", "heroin", "opium"}
  for i, substance in ipairs(substances) do
    seizures[i] = string.format(
      '{"substance": "%s", "quantity": "%d kg", "country": "KAZ"}', substance, i)
  end
  local body = string.format(
    '{"number": %d, "start_on": "2024-05-10", "end_on": "2024-05-21", "lead_country": "KAZ",' ..
    ' "source": "mvd-ksopn-15-years-2020", "locator": "¶8", "participants": ["KAZ", "KGZ"],' ..
    ' "seizures": [%s]}', thread_base + counter, table.concat(seizures, ","))
  return wrk.format("POST", nil, nil, body)
end
