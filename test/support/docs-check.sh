# Runs first in every block of the docs check (test/support/docs-check.ts): strict mode (an unset
# variable or a failed step stops the block), a `curl` that records each response's status in
# $DOCS_LOG, and __docs_expect, which each status comment becomes.
set -euo pipefail
__docs_seen=0
curl() {
  local h b rc=0
  h=$(mktemp "$DOCS_TMP/h.XXXXXX")
  b=$(mktemp "$DOCS_TMP/b.XXXXXX")
  command curl --max-time 30 -D "$h" "$@" | tee "$b" || rc=$?
  local status args="$*"
  status=$(grep -E '^HTTP/' "$h" | tail -n 1 | cut -d' ' -f2)
  printf '%s\t%s\t%s\n' "${status:-000}" "$b" "${args//$'\n'/ }" >> "$DOCS_LOG"
  return $rc
}
__docs_fail() { printf '\nDOCS-CHECK-FAILED at docs line %s: %s\n' "$1" "$2" >&2; exit 3; }
__docs_expect() {
  local want=$1 line=$2 calls
  mapfile -t calls < <(tail -n +$((__docs_seen + 1)) "$DOCS_LOG")
  __docs_seen=$((__docs_seen + ${#calls[@]}))
  if [ "$want" = none ] || [ "$want" = end ]; then
    if [ ${#calls[@]} -gt 0 ]; then
      __docs_fail "$line" "no status documented (a '# NNN …' comment line right after the command) for: ${calls[0]#*$'\t'*$'\t'}"
    fi
    return 0
  fi
  if [ ${#calls[@]} -eq 0 ]; then
    __docs_fail "$line" "status $want documented, but no request was made since the previous one"
  fi
  local call got body args
  for call in "${calls[@]}"; do
    IFS=$'\t' read -r got body args <<<"$call"
    if [ "$got" != "$want" ]; then
      __docs_fail "$line" "expected $want, got $got for: curl $args
answer: $(head -c 2000 "$body")"
    fi
  done
  echo "$line $want" >> "$DOCS_CHECKS"
}
# A step that fails otherwise (jq on a non-JSON answer, an unset variable): say where.
trap 'echo "DOCS-CHECK-FAILED: a command failed (exit $?) at script line $LINENO" >&2' ERR
