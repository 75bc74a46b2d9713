#!/usr/bin/env bash
# The status screen in a real terminal: runs `voc status` in a detached tmux session at 80x24 against a
# running daemon, captures the pane and checks that every panel title is there, that no line is wider than
# 80 columns (CJK counts 2), that p+4 pauses and resumes the translation lane, and that q quits.
#
#   bash bench/status-tmux.sh            # starts a throw-away daemon (simulated LLM) in a temp VOC_HOME
#   VOC_HOME=~/.voc bash bench/status-tmux.sh   # against the daemon already running there
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VOC=(node "$ROOT/bin/voc")
COLS=80 ROWS=24
SOCK="voc-status-check-$$"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 2; }
[ -f "$ROOT/dist/main.js" ] || (cd "$ROOT" && npm run build >/dev/null)

OWN_DAEMON=0
if [ -z "${VOC_HOME:-}" ]; then
  export VOC_HOME="$(mktemp -d /tmp/voc-tmux-XXXXXX)"
  OWN_DAEMON=1
  unset VOC_DATABASE_URL VOC_REDIS_URL VOC_LLM_API_KEY DASHSCOPE_API_KEY OPENAI_API_KEY
  "${VOC[@]}" daemon start >/dev/null
fi
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  if [ "$OWN_DAEMON" = 1 ]; then "${VOC[@]}" daemon stop >/dev/null 2>&1 || true; rm -rf "$VOC_HOME"; fi
}
trap cleanup EXIT

tmux -L "$SOCK" -f /dev/null new-session -d -s status -x "$COLS" -y "$ROWS" \
  "env VOC_HOME='$VOC_HOME' TERM=xterm-256color node '$ROOT/bin/voc' status; sleep 30"
capture() { tmux -L "$SOCK" capture-pane -p -t status; }
# poll the pane until it shows what we wait for (deadline, no fixed sleeps)
wait_for() {
  local pattern="$1" deadline=$((SECONDS + 15))
  while [ $SECONDS -lt $deadline ]; do
    if capture | grep -Eq "$pattern"; then return 0; fi
    sleep 0.2
  done
  echo "FAIL: the pane never showed /$pattern/"; capture; return 1
}

fail=0
wait_for '^Backlog' || exit 1
PANE="$(capture)"
echo "$PANE"
echo "----"
for title in Lanes Pools Gateway Classifier Backlog Events; do
  if grep -q "$title" <<<"$PANE"; then echo "ok: panel $title"; else echo "FAIL: panel $title missing"; fail=1; fi
done
if node -e '
  import(process.argv[1]).then(({ displayWidth }) => {
    const lines = require("fs").readFileSync(0, "utf8").split("\n");
    const wide = lines.filter((l) => displayWidth(l) > Number(process.argv[2]));
    for (const l of wide) console.log("too wide (" + displayWidth(l) + "): " + l);
    process.exit(wide.length ? 1 : 0);
  });' "$ROOT/dist/tui/format.js" "$COLS" <<<"$PANE"; then
  echo "ok: no line wider than $COLS columns"
else fail=1; fi
LINES_USED=$(grep -c . <<<"$PANE" || true)
if [ "$LINES_USED" -lt "$ROWS" ]; then echo "ok: $LINES_USED lines used of $ROWS"; else echo "FAIL: the frame fills all $ROWS rows"; fail=1; fi

tmux -L "$SOCK" send-keys -t status p 4
if wait_for '^4 translation +PAUSED'; then echo "ok: p 4 paused translation"; else fail=1; fi
tmux -L "$SOCK" send-keys -t status p 4
if wait_for '^4 translation +running'; then echo "ok: p 4 resumed translation"; else fail=1; fi

tmux -L "$SOCK" send-keys -t status q
deadline=$((SECONDS + 10)); quit=0
while [ $SECONDS -lt $deadline ]; do
  # the pane runs "voc status; sleep 30": once node is gone from the foreground, the screen has quit
  if [ "$(tmux -L "$SOCK" list-panes -t status -F '#{pane_current_command}')" != node ]; then quit=1; break; fi
  sleep 0.2
done
if [ "$quit" = 1 ]; then echo "ok: q quits"; else echo "FAIL: q did not quit"; fail=1; fi

[ "$fail" = 0 ] && echo "status-tmux: all checks passed" || echo "status-tmux: FAILED"
exit "$fail"
