#!/usr/bin/env bash
# Makes a Git repository of this example DDF with the history a device team's repository would
# have, so that the rules that read history can be on and the site shows approvals and releases:
#
#   - one SSH signing key per person (PER-001..PER-005), made with ssh-keygen and enrolled in the
#     person's record (`keys`); the private keys stay in .git/demo-keys, outside the working tree;
#   - the DDF imported release by release: the design of 2.0.0, its release record (tagged
#     v2.0.0), the changes of 2.1.0, its release record (tagged v2.1.0); each release record
#     names its design commit;
#   - `change_control_since` set to that import, and the five history rules switched back on;
#   - one signed approval commit per approver (`Approves:`, `Signature-Meaning: approval`,
#     `Signer:`) covering every `approved` record and every closed CR, CAPA and SIG (a closure
#     is signed by its `closed_by`), and two signed commits for the releases
#     (`Signature-Meaning: release`, then `responsibility` for the overall residual risk).
#
# Usage: docs-example/make-demo-repo.sh OUT      (OUT must not exist or be empty)
# Then:  ddf check -C OUT      (0 errors, 0 warnings, with status-signed, ver-fresh,
#                               change-has-cr, cr-before-merge and suspect-link on)
#        ddf build -C OUT      (the site with signed approvals, the change log and release pages)
#
# Needs git (2.34 or later, for SSH signatures) and ssh-keygen. Dates and identities are fixed, so
# two runs give the same commits apart from the signatures (new keys each run).
set -euo pipefail

fail() { echo "make-demo-repo: $*" >&2; exit 1; }
[ $# -eq 1 ] || fail "usage: $0 OUT"
out=$1
src=$(cd "$(dirname "$0")" && pwd)
command -v git >/dev/null || fail "git is not installed"
command -v ssh-keygen >/dev/null || fail "ssh-keygen is not installed (Debian: apt-get install openssh-client)"
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  fail "$out exists and is not empty; nothing was written"
fi
mkdir -p "$out"
cp -R "$src/ddf.yaml" "$src/records" "$src/sboms" "$src/reviews" "$out/"
cd "$out"

# Hermetic Git: no user or system configuration, fixed names and dates.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Priya Raman" GIT_AUTHOR_EMAIL="priya.raman@acme.example"
export GIT_COMMITTER_NAME="Priya Raman" GIT_COMMITTER_EMAIL="priya.raman@acme.example"
at() { export GIT_AUTHOR_DATE="$1 +0000" GIT_COMMITTER_DATE="$1 +0000"; }
git init -q -b main
git config gpg.format ssh
# `ddf build` writes the site into site/ under the DDF root; it is output, not a record.
printf 'site/\n' > .gitignore

# Keys: a fresh ed25519 key per person, enrolled in the person's record in place of the
# example's placeholder keys.
mkdir -p .git/demo-keys
for f in records/people/PER-*.md; do
  per=$(basename "$f" .md)
  ssh-keygen -q -t ed25519 -N "" -C "$per@demo" -f ".git/demo-keys/$per"
  pub=$(cat ".git/demo-keys/$per.pub")
  # Replace the `keys:` list (the line and its `  - ` items) with the new key.
  awk -v pub="$pub" '
    /^keys:/ { print "keys:"; print "  - " pub; skip = 1; next }
    skip && /^  - / { next }
    { skip = 0; print }
  ' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done

# Each release has its own commit and tag. The design as released in 2.0.0 is imported first;
# the release record REL-001, naming that design commit as its baseline (`commit:`), follows and
# is tagged v2.0.0. The changes of 2.1.0 (CR-002 to CR-004) come next, then REL-002, naming that
# commit, tagged v2.1.0. (The example's `commit:` ids are of a repository that does not exist;
# the records the 2.1.0 changes touched are imported as they stand after them.)
changes_210=(records/changes/CR-002.md records/changes/CR-003.md records/changes/CR-004.md)
release_record() { # REL-ID DESIGN-COMMIT TAG DATE SUBJECT
  sed "s/^commit: .*/commit: $2/" "records/releases/$1.md" > "records/releases/$1.md.tmp" &&
    mv "records/releases/$1.md.tmp" "records/releases/$1.md"
  git add "records/releases/$1.md"
  at "$4"
  git commit -q -m "$5"
  git tag "$3"
}
at "2024-04-12T09:00:00"
git add -A -- . ':!records/releases' "${changes_210[@]/#/:!}"
git commit -q -m "Import the AIP-100 design and development file as released in firmware 2.0.0"
release_record REL-001 "$(git rev-parse HEAD)" v2.0.0 "2024-04-12T09:05:00" "Release firmware 2.0.0 (REL-001)"
at "2024-04-12T09:10:00"
git add -- "${changes_210[@]}"
git commit -q -m "Import the changes of firmware 2.1.0 (CR-002, CR-003, CR-004)"
release_record REL-002 "$(git rev-parse HEAD)" v2.1.0 "2024-04-12T09:15:00" "Release firmware 2.1.0 (REL-002)"
at "2024-04-12T09:20:00"
git add -A
git diff --cached --quiet || git commit -q -m "Import the remaining release records"
import=$(git rev-parse HEAD)

# Change control starts at the import; the history rules are on from here.
at "2024-04-12T09:30:00"
awk -v since="$import" '
  /^# This example lives in a folder/ { drop = 1 }
  drop && /^rules:/ { next }
  drop && /^  (status-signed|ver-fresh|change-has-cr|cr-before-merge|suspect-link): off/ { next }
  drop && /^#/ { next }
  { print }
  END { print "# Changes before this commit are the import of the DDF, not changes under control."
        print "change_control_since: " since }
' ddf.yaml > ddf.yaml.tmp && mv ddf.yaml.tmp ddf.yaml
git commit -q -am "Put the DDF under change control from its import"

# Approvals: each approved record is approved by its owner when the owner may approve, else by
# the VP Quality (PER-001); a closed CR, CAPA or SIG by the person who approved its closure
# (`closed_by`). Priya Raman (PER-003), who wrote every commit of the import, does not approve the
# change requests, releases and plans she alone wrote: those types refuse self-approval, so the VP
# Quality signs them. A record that states an event (a meeting, an execution, a closure) after the
# day of the approvals is approved on the day of that event, never before it. Records are listed
# in path order, ten ids to a trailer line.
approved_on="2024-04-15"
author=PER-003
may_approve() { grep -q '^may_sign:.*\bapproval\b' "records/people/$1.md"; }
no_self_approval() {
  grep -qE '^type: (change-request|release)$' "$1" || grep -qE '^doc_type: [a-z-]+-plan$' "$1"
}
# The latest event date a record states (empty if none).
event_date() {
  sed -nE 's/^(executed_on|date|opened|received|discovered|closed|remediated): *["'\'']?([0-9]{4}-[0-9]{2}-[0-9]{2}).*/\2/p' "$1" \
    | LC_ALL=C sort | tail -1
}
declare -A ids_of
for f in $(find records -name '*.md' | LC_ALL=C sort); do
  grep -Eq '^status: (approved|closed)( |$)' "$f" || continue
  id=$(sed -n 's/^id: *//p' "$f" | head -1)
  owner=$(sed -n 's/^owner: *//p' "$f" | head -1)
  closer=$(sed -n 's/^closed_by: *//p' "$f" | head -1)
  signer=PER-001
  if [ -n "$closer" ] && [ -f "records/people/$closer.md" ] && may_approve "$closer" &&
    ! { [ "$closer" = "$author" ] && no_self_approval "$f"; }; then
    signer=$closer
  elif [ -n "$owner" ] && [ -f "records/people/$owner.md" ] && may_approve "$owner" &&
    ! { [ "$owner" = "$author" ] && no_self_approval "$f"; }; then
    signer=$owner
  fi
  day=$(event_date "$f")
  if [ -z "$day" ] || [[ ! "$day" > "$approved_on" ]]; then day=$approved_on; fi
  ids_of["$day $signer"]="${ids_of["$day $signer"]:-} $id"
done
# sign SIGNER MEANING SUBJECT TRAILER-LINES: one signed, empty approval commit.
sign() {
  git -c user.signingkey=".git/demo-keys/$1" commit -q -S --allow-empty -m "$3" -m "$4
Signature-Meaning: $2
Signer: $1"
}
# The releases: the release decision (ISO 13485 7.3.8) and the acceptance of the overall residual
# risk (ISO 14971 8) are signed by the VP Quality, each with its own meaning.
rels=$(grep -l '^status: approved' records/releases/REL-*.md | xargs -n1 basename | sed 's/\.md$//' | paste -sd, - | sed 's/,/, /g')
sign_releases() {
  [ -n "$rels" ] || return 0
  at "${approved_on}T18:00:00"
  sign PER-001 release "Release $rels" "Approves: $rels"
  at "${approved_on}T18:10:00"
  sign PER-001 responsibility "Accept the overall residual risk of $rels" "Approves: $rels"
  rels=
}

n=0
for key in $(printf '%s\n' "${!ids_of[@]}" | tr ' ' '_' | LC_ALL=C sort); do
  day=${key%_*} signer=${key#*_}
  # The releases are signed once the records of their day are approved, before later events.
  if [[ "$day" > "$approved_on" ]]; then sign_releases; fi
  n=$((n + 1))
  at "${day}T1$((n % 10)):00:00"
  name=$(sed -n 's/^printed_name: *//p' "records/people/$signer.md" | head -1)
  trailers=$(echo ${ids_of["$day $signer"]} | xargs -n 10 | sed 's/ /, /g; s/^/Approves: /')
  sign "$signer" approval "Approve the records owned by $name" "$trailers"
done
sign_releases

echo "make-demo-repo: wrote $out: $(git rev-list --count HEAD) commits, tags v2.0.0 and v2.1.0;" \
  "run: ddf check -C $out; ddf build -C $out" >&2
