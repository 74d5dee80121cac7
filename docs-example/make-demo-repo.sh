#!/usr/bin/env bash
# Makes a Git repository of this example DDF with the history a device team's repository would
# have, so that the rules that read history can be on and the site shows approvals and releases:
#
#   - one SSH signing key per person (PER-001..PER-005), made with ssh-keygen and enrolled in the
#     person's record (`keys`); the private keys stay in .git/demo-keys, outside the working tree;
#   - the DDF imported in two commits: the released design, tagged v2.0.0 and v2.1.0 (the
#     releases' baselines), then the release records naming that commit;
#   - `change_control_since` set to that import, and the history rules switched back on;
#   - one signed approval commit per approver (`Approves:`, `Signature-Meaning: approval`,
#     `Signer:`) covering every `approved` record and every closed CR, CAPA and SIG (a closure
#     is signed by its `closed_by`).
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

# The design as released is committed first and tagged; the release records, which name that
# commit, follow in a second commit of the import (the example's `commit:` ids are of a
# repository that does not exist).
at "2024-04-12T09:00:00"
git add -A -- . ':!records/releases'
git commit -q -m "Import the AIP-100 design and development file as released in firmware 2.0.0 and 2.1.0"
released=$(git rev-parse HEAD)
git tag v2.0.0
git tag v2.1.0
for f in records/releases/REL-*.md; do
  sed "s/^commit: .*/commit: $released/" "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done
at "2024-04-12T09:10:00"
git add -A
git commit -q -m "Import the release records of firmware 2.0.0 and 2.1.0"
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
# (`closed_by`). Records are listed in path order, ten ids to a trailer line.
may_approve() { grep -q '^may_sign:.*\bapproval\b' "records/people/$1.md"; }
declare -A ids_of
for f in $(find records -name '*.md' | LC_ALL=C sort); do
  grep -Eq '^status: (approved|closed)( |$)' "$f" || continue
  id=$(sed -n 's/^id: *//p' "$f" | head -1)
  owner=$(sed -n 's/^owner: *//p' "$f" | head -1)
  closer=$(sed -n 's/^closed_by: *//p' "$f" | head -1)
  signer=PER-001
  if [ -n "$closer" ] && [ -f "records/people/$closer.md" ] && may_approve "$closer"; then
    signer=$closer
  elif [ -n "$owner" ] && [ -f "records/people/$owner.md" ] && may_approve "$owner"; then
    signer=$owner
  fi
  ids_of[$signer]="${ids_of[$signer]:-} $id"
done
n=0
for signer in $(printf '%s\n' "${!ids_of[@]}" | LC_ALL=C sort); do
  n=$((n + 1))
  at "2024-04-15T1$n:00:00"
  name=$(sed -n 's/^printed_name: *//p' "records/people/$signer.md" | head -1)
  trailers=$(echo ${ids_of[$signer]} | xargs -n 10 | sed 's/ /, /g; s/^/Approves: /')
  git -c user.signingkey=".git/demo-keys/$signer" commit -q -S --allow-empty \
    -m "Approve the records owned by $name" \
    -m "$trailers
Signature-Meaning: approval
Signer: $signer"
done

echo "make-demo-repo: wrote $out: $(git rev-list --count HEAD) commits, tags v2.0.0 and v2.1.0;" \
  "run: ddf check -C $out; ddf build -C $out" >&2
