/**
 * The shared sliding window, as ONE atomic Lua script so every process that uses the same Redis sees one window.
 * The clock is Redis TIME, so hosts with skewed clocks still agree. The adaptive rate lives in a hash beside the
 * window and is computed with the same formula as src/llm/adaptive.ts (rateAt / after429).
 *
 * KEYS[1]  window: sorted set, one member per request sent, score = its wire time in Redis ms
 * KEYS[2]  adaptive state: hash {base, changedAt, decreasedAt, ceiling}
 * KEYS[3]  pacing: hash {next: ideal start (Redis ms) of the next slot, so late polls do not slow the timeline;
 *          coldUntil: end of the first window after an idle one, paced wider; last: member of the latest permit}
 * ARGV[1]  mode: "take" (take a slot if one is free), "wire" (the permit ARGV[4] was written to the socket
 *          ARGV[14] ms ago), "release" (the permit ARGV[4] will never be sent) or "429" (lower the rate)
 * ARGV[2]  window length in ms, safety margin included
 * ARGV[3]  qps: configured cap of requests per window
 * ARGV[4]  member: unique id of this request
 * ARGV[5]  adaptive enabled: "1" or "0"
 * ARGV[6]  minQps: floor of the adaptive rate
 * ARGV[7]  decreaseFactor: rate multiplier on a 429
 * ARGV[8]  recoverStep: requests/s added back per recovery period
 * ARGV[9]  recoverEveryMs: length of a recovery period
 * ARGV[10] probeSteps: recovery periods the ceiling below the last 429's rate is kept
 * ARGV[11] coldExtraMs: added to the window when spacing the first window after an idle one
 * ARGV[12] the epoch this process saw on its last call ('' before its first): KEYS[4] holds the current one
 * ARGV[13] pendingTtlMs: how long a permit may stay pending before it lapses
 * ARGV[14] wire mode: ms between the wire time and the moment the caller sent this call (its own clock, so hosts
 *          with skewed clocks still agree; the call's own transit makes the time a little later, the safe side)
 * ARGV[15] pendingPollMs: the wait to answer when only pending permits fill the window
 * ARGV[16] queued: how many more slots the caller will ask for right after this one (kept with the latest permit)
 * ARGV[17] urgent: "1" when the caller's next request is of the fast lane (learning), else "0"
 * ARGV[18] the caller's process id (the prefix of its members)
 * KEYS[4]  epoch: a marker that exists as long as Redis keeps its data. Missing for a process that saw one means
 *          Redis lost the window (restarted or flushed) while requests of the last window may still be on their
 *          way: no slot is given for one full window.
 * KEYS[5]  pending: sorted set, one member per permit not yet on the wire, score = when it lapses (Redis ms). A
 *          pending permit counts as starting now, so a request late to the wire cannot bunch with later ones; it
 *          lapses after ARGV[13] only so that a process killed between permit and wire does not hold a slot forever
 * KEYS[6]  urgent: the id of a process with a fast-lane request waiting for a slot. Each process puts its own lanes
 *          in priority order, but the window is shared: without this, a learning call in a process that keeps losing
 *          the slot to another's translations waited seconds (0.6-12.3 s, two daemons, translation saturating).
 *          An urgent caller that must wait claims the next slot (the claim lapses shortly after the wait it was told,
 *          so a process that dies waiting blocks no one for long); any other caller is refused while the claim
 *          stands, and the claim goes when its holder takes a slot.
 *
 * Returns { granted (1|0), waitMs (string: time to the next free slot), rate (string: effective rate), count,
 * member of the latest permit (tells a poller whether another process took the slot it waited for), epoch, queued
 * of the latest permit's process (how many of the next slots that process will take: a poller that lost its slot
 * backs off no longer than those slots last) }.
 * A slot is free when fewer than floor(rate) requests were sent in the window or are pending AND the paced slot
 * time has come: permits are spaced evenly at window/rate so the requests also arrive spread out; a request sent
 * late pushes the next slot to at least half a spacing after its wire time.
 */
/** How long an urgent claim outlives the wait its holder was told: its next poll comes within this. */
const URGENT_GRACE_MS = 250;

export const SLIDING_WINDOW_LUA = `
local URGENT_GRACE_MS = ${URGENT_GRACE_MS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local mode = ARGV[1]
local win = tonumber(ARGV[2])
local qps = tonumber(ARGV[3])
local enabled = ARGV[5] == '1'
local minQps = math.min(tonumber(ARGV[6]), qps)
local factor = tonumber(ARGV[7])
local step = tonumber(ARGV[8])
local every = tonumber(ARGV[9])
local probe = tonumber(ARGV[10])
local cold = tonumber(ARGV[11])

local function rateAt(h)
  if not enabled or not h[1] then return qps end
  local base, changedAt, decreasedAt, ceiling = tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
  local steps = math.floor(math.max(0, now - changedAt) / every)
  local rate = math.min(qps, base + steps * step)
  if now - decreasedAt < probe * every then rate = math.min(rate, ceiling) end
  return math.max(minQps, rate)
end

local h = redis.call('HMGET', KEYS[2], 'base', 'changedAt', 'decreasedAt', 'ceiling')
local rate = rateAt(h)
local ttl = math.ceil(math.max(win * 2, probe * every * 2))

if mode == '429' then
  if enabled and (not h[3] or now - tonumber(h[3]) >= win) then
    local lowered = math.max(minQps, rate * factor)
    -- a lone 429 only dips the rate; a second one while recovering marks a lower provider limit
    local ceiling = qps
    if h[3] and now - tonumber(h[3]) < probe * every then ceiling = math.max(minQps, rate - step) end
    redis.call('HSET', KEYS[2], 'base', tostring(lowered), 'changedAt', tostring(now), 'decreasedAt', tostring(now),
      'ceiling', tostring(ceiling))
    redis.call('PEXPIRE', KEYS[2], ttl)
    return {1, '0', tostring(lowered), 0, ''}
  end
  return {0, '0', tostring(rate), 0, ''}
end

if mode == 'release' then
  redis.call('ZREM', KEYS[5], ARGV[4])
  return {1, '0', tostring(rate), 0, ''}
end

if mode == 'wire' then
  redis.call('ZREM', KEYS[5], ARGV[4])
  local at = now - math.max(0, tonumber(ARGV[14]))
  redis.call('ZADD', KEYS[1], at, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(win * 2))
  local next = tonumber(redis.call('HGET', KEYS[3], 'next') or '0')
  local half = win / rate / 2
  if next < at + half then
    redis.call('HSET', KEYS[3], 'next', tostring(at + half))
    redis.call('PEXPIRE', KEYS[3], math.ceil(win * 2))
  end
  return {1, '0', tostring(rate), 0, ''}
end

local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[4], epoch, 'PX', 86400000)
  if ARGV[12] ~= '' then
    redis.call('HSET', KEYS[3], 'next', tostring(now + win))
    redis.call('PEXPIRE', KEYS[3], math.ceil(win * 2))
  end
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local allowed = math.max(1, math.floor(rate))
local sent = redis.call('ZCARD', KEYS[1])
local count = sent + redis.call('ZCARD', KEYS[5])
local wait = 0
if count >= allowed then
  -- the (count - allowed)th oldest wire time must leave; a pending permit leaves only after it is sent
  local i = count - allowed
  if i < sent then
    local e = redis.call('ZRANGE', KEYS[1], i, i, 'WITHSCORES')
    wait = tonumber(e[2]) + win - now
  else
    wait = tonumber(ARGV[15])
  end
end
local pacing = redis.call('HMGET', KEYS[3], 'next', 'coldUntil', 'last', 'queued')
local slot = tonumber(pacing[1] or '0')
local coldUntil = tonumber(pacing[2] or '0')
wait = math.max(wait, slot - now)
local urgent = ARGV[17] == '1'
if urgent then
  if wait > 0 then redis.call('SET', KEYS[6], ARGV[18], 'PX', math.ceil(wait + URGENT_GRACE_MS)) end
else
  local holder = redis.call('GET', KEYS[6])
  if holder and holder ~= ARGV[18] then wait = math.max(wait, win / rate) end
end
if wait > 0 then
  return {0, tostring(wait), tostring(rate), count, pacing[3] or '', epoch, pacing[4] or '0'}
end
if urgent and redis.call('GET', KEYS[6]) == ARGV[18] then redis.call('DEL', KEYS[6]) end
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[13]), ARGV[4])
redis.call('PEXPIRE', KEYS[5], math.ceil(win * 2 + tonumber(ARGV[13])))
-- the first requests after an idle window pay cold paths (new sockets) after their permit: space them wider
if count == 0 then coldUntil = now + win end
local spacing = win / rate
if now < coldUntil then spacing = (win + cold) / rate end
-- stay on the ideal timeline while less than one spacing late; after an idle gap start afresh
if now - slot < spacing then slot = slot + spacing else slot = now + spacing end
redis.call('HSET', KEYS[3], 'next', tostring(slot), 'coldUntil', tostring(coldUntil), 'last', ARGV[4], 'queued', ARGV[16])
redis.call('PEXPIRE', KEYS[3], math.ceil(win * 2))
return {1, '0', tostring(rate), count + 1, ARGV[4], epoch, ARGV[16]}
`;
