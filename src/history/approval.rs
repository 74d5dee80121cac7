//! Approvals: signed commits whose trailers approve a change request (`Approve:`) or records
//! (`Approves:`), with the Part 11 manifestation (printed name, date and time, meaning) and
//! Git's verdict on the signature.
//!
//! Who may sign, and with which key, is read **as of history**, never from the current records
//! alone (21 CFR 11.100, 11.200, 11.300):
//!
//! - a key is the signer's key for an approval only if it stood in the signer's PER record in
//!   the approval commit's parent state;
//! - and it was trusted then: it stood in that record at the trust root (the commit
//!   `change_control_since` names, else the adoption commit that first added `ddf.yaml`, else
//!   the first commit) and was never removed since, or the
//!   change that put it there was approved, in a valid signed approval with the meaning
//!   `approval`, by a *different* person;
//! - the printed name and `may_sign` shown and checked are those in force when it was signed;
//! - removing a key ends its validity from that commit on; past approvals keep theirs;
//! - a key standing on two persons identifies no one and never counts.
//!
//! Approvals are judged oldest first, so a key's trust can only rest on approvals made before
//! the signature that uses it.

use super::signature::{self, is_ssh_type, normalise_key, Status};
use super::trailers::Pinned;
use super::{History, HistoryError};
use crate::corpus::Corpus;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::rc::Rc;

/// One approval commit.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// Commit id.
    pub commit: String,
    /// Position in the history (0 = tip).
    #[serde(skip)]
    pub position: usize,
    /// When it was signed, as the commit records it (committer time, UTC). This is the signer's
    /// claim, not a trusted timestamp.
    pub time: i64,
    /// `Signer:` (a PER id).
    pub signer: Option<String>,
    /// The signer's printed name as it stood in the PER record when the approval was signed.
    pub printed_name: Option<String>,
    /// `Signature-Meaning:`.
    pub meaning: Option<String>,
    /// Git's verdict on the signature.
    pub status: Status,
    /// The signing key's fingerprint as Git reports it (`SHA256:...` for SSH).
    pub fingerprint: String,
    /// Why the key was the signer's trusted key (empty when it was not).
    pub key_trust: String,
    /// Change requests approved.
    pub approve: Vec<String>,
    /// Records approved, optionally pinned to blobs.
    pub approves: Vec<Pinned>,
    /// Why the approval does not count, beyond the signature (empty when it counts).
    pub problems: Vec<String>,
}

impl Approval {
    /// Whether the approval counts: a good signature by a key that was the named signer's trusted
    /// key when it was made, with a meaning the signer could then sign with.
    pub fn is_valid(&self) -> bool {
        self.status.is_valid() && self.problems.is_empty()
    }

    /// The manifestation every rendering shows (21 CFR 11.50): printed name, date and time,
    /// meaning, and the signature status.
    pub fn manifestation(&self) -> String {
        format!(
            "{} ({}), {}, {}: {}",
            self.printed_name.as_deref().unwrap_or("unknown signer"),
            self.signer.as_deref().unwrap_or("no Signer trailer"),
            format_time(self.time),
            self.meaning.as_deref().unwrap_or("no meaning stated"),
            self.status.label()
        )
    }

    /// Whether the approval carries meaning `m`.
    pub fn means(&self, m: &str) -> bool {
        self.meaning.as_deref() == Some(m)
    }
}

/// `2026-01-01 09:30:00 UTC`.
pub fn format_time(secs: i64) -> String {
    let day = crate::date::Date::from_unix(secs);
    let s = secs.rem_euclid(86_400);
    format!(
        "{day} {:02}:{:02}:{:02} UTC",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// What a PER record said at one point in history.
#[derive(Debug, Clone, Default)]
pub struct SignerState {
    /// `printed_name`.
    pub printed_name: Option<String>,
    /// `may_sign`.
    pub may_sign: Vec<String>,
    /// `keys`, normalised ([`normalise_key`]).
    pub keys: Vec<String>,
}

impl SignerState {
    fn of(r: &crate::record::Record) -> SignerState {
        SignerState {
            printed_name: r.text("printed_name"),
            may_sign: r.list("may_sign"),
            keys: r
                .list("keys")
                .iter()
                .filter_map(|k| normalise_key(k))
                .collect(),
        }
    }
}

/// One version of a PER record: where it starts in history, its blob, and what it said
/// (`None`: removed, or not readable as a person record).
#[derive(Debug, Clone)]
struct Version {
    position: usize,
    blob: Option<String>,
    state: Option<Rc<SignerState>>,
}

/// Every version of every PER record in history, newest first per person.
#[derive(Debug, Default)]
pub struct Persons {
    by_id: FxHashMap<String, Vec<Version>>,
    /// For each key, the persons any version of whose record held it, so that finding who held
    /// a key at some point looks at those persons only, not at every person for every approval.
    by_key: FxHashMap<String, Vec<String>>,
}

impl Persons {
    /// Reads every version of every record whose id has the person prefix, from the blobs in
    /// `repo`. A blob history names but the repository lacks is an error: approvals cannot be
    /// judged on a partial signer registry.
    pub fn read(
        history: &History,
        repo: &git2::Repository,
        prefix: &str,
    ) -> Result<Persons, HistoryError> {
        let mut by_id: FxHashMap<String, Vec<Version>> = FxHashMap::default();
        let mut parsed: FxHashMap<String, Option<Rc<SignerState>>> = FxHashMap::default();
        let want = format!("{prefix}-");
        for id in history.record_ids().filter(|id| id.starts_with(&want)) {
            let mut versions = Vec::new();
            for (c, ch) in history.of_record(id) {
                let Some(position) = history.position(&c.id) else {
                    continue;
                };
                let state = match &ch.new_blob {
                    None => None,
                    Some(b) => match parsed.get(b) {
                        Some(s) => s.clone(),
                        None => {
                            let s = read_person(repo, b)?;
                            parsed.insert(b.clone(), s.clone());
                            s
                        }
                    },
                };
                versions.push(Version {
                    position,
                    blob: ch.new_blob.clone(),
                    state,
                });
            }
            by_id.insert(id.to_string(), versions);
        }
        let mut by_key: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for (id, versions) in &by_id {
            for k in versions
                .iter()
                .filter_map(|v| v.state.as_deref())
                .flat_map(|s| s.keys.iter())
            {
                let ids = by_key.entry(k.clone()).or_default();
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        Ok(Persons { by_id, by_key })
    }

    /// The versions of `id` (newest first) and the index of the one in force at position `at`.
    fn at(&self, id: &str, at: usize) -> Option<(&[Version], usize)> {
        let v = self.by_id.get(id)?;
        let i = v.iter().position(|x| x.position >= at)?;
        Some((v, i))
    }

    /// What PER record `id` said at history position `at` (its newest change at or before it).
    pub fn state_at(&self, id: &str, at: usize) -> Option<&SignerState> {
        self.at(id, at).and_then(|(v, i)| v[i].state.as_deref())
    }

    /// The persons whose record held `key` at position `at`, sorted.
    fn holders(&self, key: &str, at: usize) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter(|id| {
                self.state_at(id, at)
                    .is_some_and(|s| s.keys.iter().any(|k| k == key))
            })
            .map(String::as_str)
            .collect();
        out.sort_unstable();
        out
    }

    /// Every SSH key that ever stood in a PER record, sorted and without repeats.
    fn ssh_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .by_id
            .values()
            .flatten()
            .filter_map(|v| v.state.as_deref())
            .flat_map(|s| s.keys.iter())
            .filter(|k| k.split(' ').next().is_some_and(is_ssh_type))
            .cloned()
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn read_person(
    repo: &git2::Repository,
    blob: &str,
) -> Result<Option<Rc<SignerState>>, HistoryError> {
    let oid = git2::Oid::from_str(blob)?;
    let b = repo.find_blob(oid).map_err(|e| HistoryError::Missing {
        object: blob.to_string(),
        role: "a version of a person (PER) record, needed to know who could sign".into(),
        source: e,
    })?;
    if b.size() as u64 > crate::source::MAX_FILE {
        return Ok(None);
    }
    Ok(crate::record::parse("blob", b.content())
        .record
        .filter(|r| r.type_name == "person")
        .map(|r| Rc::new(SignerState::of(&r))))
}

/// The root of trust: the commit at which the keys standing in PER records are trusted without
/// an approval (`change_control_since`, else the adoption commit that first added `ddf.yaml`,
/// else the first commit), and those keys. It is where change control starts, so the keys
/// enrolled when ddf was adopted need no approval no one could have signed yet.
#[derive(Debug, Clone, Serialize)]
pub struct TrustRoot {
    /// The commit.
    pub commit: String,
    /// Its committer time.
    pub time: i64,
    /// Whether it comes from `change_control_since`.
    pub from_config: bool,
    /// Whether it is the adoption commit, the first that added `ddf.yaml` (when
    /// `change_control_since` is not set). Neither this nor `from_config`: the first commit.
    pub from_adoption: bool,
    /// The keys standing at it: (PER id, printed name, key fingerprint), sorted.
    pub keys: Vec<RootKey>,
}

/// One key of the trust root.
#[derive(Debug, Clone, Serialize)]
pub struct RootKey {
    /// The PER id.
    pub person: String,
    /// The printed name then.
    pub printed_name: Option<String>,
    /// The key's fingerprint (`SHA256:...` for SSH; the GPG fingerprint as written).
    pub fingerprint: String,
}

/// The fingerprint of a normalised key as Git prints it (`%GF`): `SHA256:` and the unpadded
/// base64 of the SHA-256 of the key blob for SSH, the fingerprint itself for GPG.
pub fn fingerprint(key: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    match key.split_once(' ') {
        Some((t, material)) if is_ssh_type(t) => {
            match base64::engine::general_purpose::STANDARD.decode(material) {
                Ok(blob) => format!(
                    "SHA256:{}",
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .encode(sha2::Sha256::digest(&blob))
                ),
                // Not valid base64: no key Git could verify with; shown as written.
                Err(_) => key.to_string(),
            }
        }
        _ => key.to_string(),
    }
}

/// Approvals and the trust root they were judged from.
#[derive(Debug, Default)]
pub struct Judged {
    /// Every approval, newest first.
    pub approvals: Vec<Approval>,
    /// The root of trust (`None` for a history without commits).
    pub root: Option<TrustRoot>,
}

/// Every approval in `history`, newest first, with signatures verified by Git and signers
/// resolved as of history. `since` is where change control starts: the resolved
/// `change_control_since` commit (`from_config`), else the adoption commit
/// ([`History::adoption`]); without either, the first commit is the trust root.
pub fn approvals(
    history: &History,
    corpus: &Corpus,
    repo: &git2::Repository,
    since: Option<&str>,
    from_config: bool,
) -> Result<Judged, HistoryError> {
    let prefix = corpus
        .config
        .schema
        .get("person")
        .map_or("PER", |t| t.prefix.as_str());
    let persons = Persons::read(history, repo, prefix)?;
    let Some(oldest) = history.commits.len().checked_sub(1) else {
        return Ok(Judged::default());
    };
    let since_pos = since.and_then(|s| history.position(s));
    let root_pos = since_pos.unwrap_or(oldest);
    let from = match since_pos {
        Some(_) if from_config => RootFrom::Config,
        Some(_) => RootFrom::Adoption,
        None => RootFrom::FirstCommit,
    };
    let root = trust_root(history, &persons, root_pos, from);

    let idx: Vec<usize> = history
        .commits
        .iter()
        .enumerate()
        .filter(|(_, c)| c.control().is_approval())
        .map(|(i, _)| i)
        .collect();
    let ids: Vec<String> = idx.iter().map(|&i| history.commits[i].id.clone()).collect();
    let ssh_keys = persons.ssh_keys();
    let verified = signature::verify_cached(repo.path(), &history.workdir, &ssh_keys, &ids);

    // Oldest first: a key's trust rests only on approvals made before the signature using it.
    let mut judged: Vec<Option<Approval>> = vec![None; idx.len()];
    // For each person, the indices (into `judged`) of the valid approvals that approve them.
    let mut person_approvals: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for k in (0..idx.len()).rev() {
        let i = idx[k];
        let c = &history.commits[i];
        let ctl = c.control();
        let v = &verified[k];
        // The state the signer signed against: the approval's parent (the commit itself for a
        // root commit or at a shallow boundary).
        let as_of = c
            .parents
            .first()
            .and_then(|p| history.position(p))
            .unwrap_or(i);
        let state = ctl
            .signer
            .as_deref()
            .and_then(|s| persons.state_at(s, as_of));
        let mut problems = Vec::new();
        let mut key_trust = String::new();
        match (&ctl.signer, state) {
            (None, _) => problems.push("no `Signer:` trailer".to_string()),
            (Some(s), None) => problems.push(format!(
                "`Signer: {s}` names no person record as of {}",
                short(history, as_of)
            )),
            (Some(s), Some(p)) => {
                let meaning = ctl.meaning.clone().unwrap_or_default();
                if meaning.is_empty() {
                    problems.push("no `Signature-Meaning:` trailer".into());
                } else if !p.may_sign.contains(&meaning) {
                    problems.push(format!(
                        "{s} could not sign with the meaning `{meaning}` then (may_sign)"
                    ));
                }
                if v.status.is_valid() {
                    match signing_key(v, &ssh_keys, p) {
                        None => {
                            problems.push(not_the_signers_key(&persons, v, &ssh_keys, s, as_of))
                        }
                        Some(key) => {
                            let holders = persons.holders(&key, as_of);
                            if holders.len() > 1 {
                                problems.push(format!(
                                    "its key stood on {} at once, so it identifies no one",
                                    holders.join(" and ")
                                ));
                            }
                            match trust(
                                history,
                                &persons,
                                &judged,
                                &person_approvals,
                                s,
                                &key,
                                as_of,
                                root_pos,
                            ) {
                                Ok(why) => key_trust = why,
                                Err(why) => problems.push(why),
                            }
                        }
                    }
                }
            }
        }
        let a = Approval {
            commit: c.id.clone(),
            position: i,
            time: c.committer_time,
            signer: ctl.signer.clone(),
            printed_name: state.and_then(|p| p.printed_name.clone()),
            meaning: ctl.meaning.clone(),
            status: v.status,
            fingerprint: v.fingerprint.clone(),
            key_trust,
            approve: ctl.approve.clone(),
            approves: ctl.approves.clone(),
            problems,
        };
        if a.is_valid() && a.means("approval") {
            for p in &a.approves {
                if p.id.starts_with(&format!("{prefix}-")) {
                    let id: &str = persons
                        .by_id
                        .get_key_value(p.id.as_str())
                        .map_or("", |(k, _)| k.as_str());
                    if !id.is_empty() {
                        person_approvals.entry(id).or_default().push(k);
                    }
                }
            }
        }
        judged[k] = Some(a);
    }
    Ok(Judged {
        approvals: judged.into_iter().flatten().collect(),
        root: Some(root),
    })
}

fn short(history: &History, pos: usize) -> String {
    history
        .commits
        .get(pos)
        .map_or_else(|| "the start of history".into(), |c| c.short().to_string())
}

/// The key (normalised) that made a good signature, if it is one of `state`'s keys.
fn signing_key(
    v: &signature::Verified,
    ssh_keys: &[String],
    state: &SignerState,
) -> Option<String> {
    if let Some(k) = v.ssh_key.and_then(|i| ssh_keys.get(i)) {
        return state.keys.iter().find(|x| *x == k).cloned();
    }
    // GPG: the signing (sub)key's or the primary key's fingerprint.
    [&v.fingerprint, &v.primary]
        .into_iter()
        .filter(|f| !f.is_empty())
        .find_map(|f| {
            let f = f.to_ascii_uppercase();
            state.keys.iter().find(|k| **k == f).cloned()
        })
}

/// Why a good signature is not the signer's: whose key it was then, if anyone's.
fn not_the_signers_key(
    persons: &Persons,
    v: &signature::Verified,
    ssh_keys: &[String],
    signer: &str,
    as_of: usize,
) -> String {
    let key = v
        .ssh_key
        .and_then(|i| ssh_keys.get(i).cloned())
        .or_else(|| (!v.fingerprint.is_empty()).then(|| v.fingerprint.to_ascii_uppercase()));
    let holders = key.map(|k| persons.holders(&k, as_of)).unwrap_or_default();
    if holders.is_empty() {
        format!(
            "signed with a key that stood in no person record at the time, not one of {signer}'s"
        )
    } else {
        format!(
            "signed with a key of {}, not of {signer}",
            holders.join(", ")
        )
    }
}

/// Why `key` was `signer`'s trusted key at position `as_of`, or why it was not.
#[allow(clippy::too_many_arguments)]
fn trust(
    history: &History,
    persons: &Persons,
    judged: &[Option<Approval>],
    person_approvals: &FxHashMap<&str, Vec<usize>>,
    signer: &str,
    key: &str,
    as_of: usize,
    root_pos: usize,
) -> Result<String, String> {
    let Some((versions, mut j)) = persons.at(signer, as_of) else {
        return Err(format!("{signer} had no record then"));
    };
    let holds = |v: &Version| {
        v.state
            .as_ref()
            .is_some_and(|s| s.keys.iter().any(|k| k == key))
    };
    // An approval at or before the trust root is judged by the records as they stood.
    if as_of >= root_pos {
        return Ok(format!("trust root ({})", short(history, root_pos)));
    }
    // Walk back through the versions that held the key without a break.
    loop {
        if versions[j].position >= root_pos {
            return Ok(format!("trust root ({})", short(history, root_pos)));
        }
        match versions.get(j + 1) {
            Some(older) if holds(older) => j += 1,
            _ => break,
        }
    }
    let added = versions[j].position;
    // A valid `approval` by someone else, made at or after the change that added the key and
    // before this signature, of a version of the signer's record that holds the key.
    let by = person_approvals
        .get(signer)
        .into_iter()
        .flatten()
        .find_map(|&k| {
            let e = judged.get(k)?.as_ref()?;
            // Every approval judged so far is older than this one; it must not predate the change
            // that added the key.
            if e.position > added || e.signer.as_deref() == Some(signer) {
                return None;
            }
            let pin = e.approves.iter().find(|p| p.id == signer)?;
            let version = match &pin.blob {
                Some(b) => versions.iter().find(|v| {
                    v.blob
                        .as_deref()
                        .is_some_and(|x| b.len() >= 7 && x.starts_with(b.as_str()))
                })?,
                None => versions.iter().find(|v| v.position >= e.position)?,
            };
            holds(version).then(|| {
                format!(
                    "enrolled in {} and approved by {} in {}",
                    short(history, added),
                    e.signer.as_deref().unwrap_or("?"),
                    &e.commit[..e.commit.len().min(10)]
                )
            })
        });
    by.ok_or_else(|| {
        format!(
            "its key was added to {signer}'s record in {} and no other person's valid signed approval of that change precedes this signature",
            short(history, added)
        )
    })
}

/// The trust root: the keys standing in PER records at `root_pos`.
/// Where the trust root comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootFrom {
    /// `change_control_since`.
    Config,
    /// The adoption commit, the first that added `ddf.yaml`.
    Adoption,
    /// The first commit of the history.
    FirstCommit,
}

fn trust_root(history: &History, persons: &Persons, root_pos: usize, from: RootFrom) -> TrustRoot {
    let c = &history.commits[root_pos];
    let mut keys = Vec::new();
    for id in persons.by_id.keys() {
        if let Some(s) = persons.state_at(id, root_pos) {
            for k in &s.keys {
                keys.push(RootKey {
                    person: id.clone(),
                    printed_name: s.printed_name.clone(),
                    fingerprint: fingerprint(k),
                });
            }
        }
    }
    keys.sort_by(|a, b| (&a.person, &a.fingerprint).cmp(&(&b.person, &b.fingerprint)));
    TrustRoot {
        commit: c.id.clone(),
        time: c.committer_time,
        from_config: from == RootFrom::Config,
        from_adoption: from == RootFrom::Adoption,
        keys,
    }
}

/// The blob of record `id` as of history position `at` (the newest change at or before it),
/// `None` if it did not exist then.
pub fn blob_at(history: &History, id: &str, at: usize) -> Option<String> {
    history
        .of_record(id)
        .into_iter()
        .find(|(c, _)| history.position(&c.id).is_some_and(|p| p >= at))
        .and_then(|(_, ch)| ch.new_blob.clone())
}

/// Whether `approval` approves record `id` with content `blob`.
pub fn covers(history: &History, approval: &Approval, id: &str, blob: &str) -> bool {
    approval.approves.iter().any(|p| {
        p.id == id
            && match &p.blob {
                Some(pin) => pin.len() >= 7 && blob.starts_with(pin.as_str()),
                None => blob_at(history, id, approval.position).as_deref() == Some(blob),
            }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_format() {
        assert_eq!(super::format_time(1_767_259_800), "2026-01-01 09:30:00 UTC");
    }

    #[test]
    fn ssh_fingerprints_are_gits() {
        // `ssh-keygen -lf` of this key prints SHA256:GDeNY+gHusWTZd/46d23lxJilIQqxrXd7PLYQKpu+Qo.
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGjbQFQa1yh6n++GwAF+MSKtAZXzWgrvOMRJUcqja8eC";
        assert_eq!(
            super::fingerprint(key),
            "SHA256:GDeNY+gHusWTZd/46d23lxJilIQqxrXd7PLYQKpu+Qo"
        );
        assert_eq!(super::fingerprint("AB12"), "AB12");
    }
}
