"""The screening domain's use cases: which checks run, queueing and running a file's
screening, the policy that acts on the enabled checks' combined verdict, staff reviews,
states and backfills."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from warden.accounts.models import User
from warden.accounts.tasks import notice_queue
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.checks.base import Classification, Hook, State
from warden.checks.models import (
    Backfill,
    CheckConfig,
    CheckResult,
    Review,
    Screening,
    ScreeningState,
)
from warden.checks.registry import installed
from warden.checks.runner import Outcome, combine
from warden.checks.sandbox import Sandbox
from warden.lib.tasks import enqueue_on_commit
from warden.packaging.models import File, Project, Release
from warden.packaging.quarantine import file_unhold, project_quarantine, release_quarantine
from warden.packaging.services import ManageError

log = logging.getLogger("warden.checks")

SCREENING_ORIGIN = Origin.system("screening")


def check_states() -> dict[str, State]:
    """Every installed check's state: staff's choice, else the check's default."""
    chosen = dict(CheckConfig.objects.values_list("name", "state"))
    return {name: State(chosen.get(name, cls.default_state)) for name, cls in installed().items()}


def _staff_require(origin: Origin) -> User:
    actor = origin.actor
    if actor is None or not (actor.is_active and actor.is_staff):
        raise PermissionDenied("Only staff can do this.")
    return actor


def check_state_set(*, name: str, state: State, origin: Origin) -> None:
    """Staff (or an operator's command) set a check's state."""
    if origin.actor is not None:
        _staff_require(origin)
    if name not in installed():
        raise KeyError(name)
    with transaction.atomic():
        CheckConfig.objects.update_or_create(name=name, defaults={"state": state.value})
        record_event(tag=Tag.STAFF_CHECK_STATE_CHANGED, origin=origin,
                     details={"check": name, "state": state.value,
                              "version": installed()[name].version})


def _hooks_of(file: File) -> set[Hook]:
    hooks = {Hook.FILE}
    release = file.release
    if not File.objects.filter(release=release).exclude(pk=file.pk).exists():
        hooks.add(Hook.RELEASE)
        if not Release.objects.filter(project_id=release.project_id).exclude(
                pk=release.pk).exists():
            hooks.add(Hook.PROJECT)
    return hooks


def screenings_queue(*, file_ids: tuple[int, ...]) -> list[Screening]:
    """Queue a screening of each new file by every running check whose hooks match. Runs in
    the upload's transaction, so the screening exists exactly when the file does; with
    WARDEN_SCREEN_HOLD the file stays out of every listing until it is screened."""
    states = check_states()
    queued = []
    for file in File.objects.filter(pk__in=file_ids).select_related("release__project"):
        hooks = _hooks_of(file)
        names = [name for name, cls in installed().items()
                 if states[name] is not State.DISABLED and cls.hooks & hooks]
        if not names:
            continue
        if settings.WARDEN_SCREEN_HOLD and any(states[n] is State.ENABLED for n in names):
            File.objects.filter(pk=file.pk).update(held=True)
        queued.append(_screening_create(file=file, checks=names))
    return queued


def _screening_create(*, file: File, checks: list[str],
                      backfill: Backfill | None = None) -> Screening:
    from warden.checks.tasks import screen

    release = file.release
    screening = Screening.objects.create(
        file=file, normalized_name=release.project.normalized_name,
        project_name=release.project.name, version=release.version, filename=file.filename,
        sha256=file.sha256, size=file.size, uploader_id=release.uploader_id,
        token_id=file.token_id, checks=checks, backfill=backfill)
    enqueue_on_commit(screen, screening_id=screening.pk)
    return screening


def artifact_metadata(file: File) -> dict[str, Any]:
    """What the index knows beyond the archive: the release's metadata as uploaded and the
    project's age and history."""
    release, project = file.release, file.release.project
    earlier = Release.objects.filter(project=project, created__lt=release.created).count()
    return {
        "name": project.name, "version": release.version, "summary": release.summary,
        "home_page": release.home_page, "author": release.author,
        "author_email": release.author_email, "keywords": release.keywords,
        "project_url": [f"{k}, {v}" for k, v in (release.project_urls or {}).items()],
        "requires_dist": list(release.requires_dist or []),
        "project_new": earlier == 0,
        "project_age_days": (timezone.now() - project.created).days,
    }


_sandbox: Sandbox | None = None


def _sandbox_get() -> Sandbox:
    global _sandbox
    if _sandbox is None:
        _sandbox = Sandbox(memory_mb=settings.WARDEN_CHECKS_MEMORY_MB)
    return _sandbox


def sandbox_close() -> None:
    """Stop this process's checks child; the next scan starts a fresh one (which sees
    checks installed since)."""
    global _sandbox
    if _sandbox is not None:
        _sandbox.close()
        _sandbox = None


def screening_run(*, screening_id: int) -> Screening | None:
    """Scan the screening's file with its checks, keep every result, and apply the policy.
    Safe to run twice: a finished screening is left alone."""
    screening = Screening.objects.filter(pk=screening_id).select_related(
        "file__release__project").first()
    if screening is None or screening.state == ScreeningState.DONE:
        return screening
    file = screening.file
    states = check_states()
    # Named when queued; a check uninstalled or disabled since (a hanging one, say) is not
    # run.
    names = [n for n in screening.checks if states.get(n, State.DISABLED) is not State.DISABLED]
    if file is None or not names:
        # Deleted before its turn, or its checks were uninstalled: nothing left to scan.
        Screening.objects.filter(pk=screening.pk).update(state=ScreeningState.DONE,
                                                         finished=timezone.now())
        return screening
    with default_storage.open(f"packages/{file.path}", "rb") as stored:
        data = stored.read()
    scan = _sandbox_get().scan(filename=file.filename, data=data,
                               metadata=artifact_metadata(file), checks=names)
    # One transaction: the results, what the policy does about them and the screening's
    # DONE state commit together, so a crash in between leaves it pending and a rerun
    # acts (never a malicious verdict recorded and nobody acting on it).
    with transaction.atomic():
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if locked.state == ScreeningState.DONE:
            return locked
        _results_save(screening=locked, outcomes=scan.outcomes, states=states)
        counted = [o for o in scan.outcomes if states.get(o.check) is State.ENABLED]
        classification, confidence = combine(counted)
        locked.classification, locked.confidence = classification.value, confidence
        locked.state, locked.finished, locked.seconds = (ScreeningState.DONE, timezone.now(),
                                                         scan.seconds)
        locked.save()
        # Backfills measure a check over old files: they never act on them by themselves.
        if locked.backfill_id is None:
            _policy_apply(screening=locked, file_id=file.pk,
                          classification=classification, confidence=confidence)
            _unhold_when_screened(screening=locked, file_id=file.pk)
    return locked


def _unhold_when_screened(*, screening: Screening, file_id: int) -> None:
    # Only once no other screening of the file is pending: a scheduled check finishing
    # first must not publish a file its upload's screening has not cleared.
    others = Screening.objects.filter(file_id=file_id, state=ScreeningState.PENDING,
                                      backfill=None).exclude(pk=screening.pk)
    if not others.exists():
        file_unhold(file_id=file_id, origin=SCREENING_ORIGIN)


def _results_save(*, screening: Screening, outcomes: list[Outcome],
                  states: dict[str, State]) -> None:
    CheckResult.objects.bulk_create([
        CheckResult(screening=screening, check_name=o.check, check_version=o.version,
                    state=states.get(o.check, State.DISABLED).value,
                    classification=o.verdict.classification.value if o.verdict else "",
                    confidence=o.verdict.confidence if o.verdict else 0.0,
                    message=o.verdict.message[:300] if o.verdict else "",
                    evidence=o.verdict.as_dict()["evidence"] if o.verdict else [],
                    error=o.error[:4000], seconds=o.seconds)
        for o in outcomes])


def _established(project: Project, release: Release) -> bool:
    # Only the new release is stopped when the project has a history its users rely on:
    # an earlier release, and an age beyond WARDEN_SCREEN_ESTABLISHED_DAYS.
    age = timezone.now() - project.created
    return (age >= timedelta(days=settings.WARDEN_SCREEN_ESTABLISHED_DAYS)
            and Release.objects.filter(project=project, created__lt=release.created).exists())


def _policy_apply(*, screening: Screening, file_id: int, classification: Classification,
                  confidence: float) -> None:
    """Clean or suspicious: nothing (suspicious results wait in the review queue). Malicious
    with high confidence: quarantine the project, or only the release of an established
    project. Malicious at any confidence: tell staff."""
    if classification is not Classification.MALICIOUS:
        return
    if confidence < settings.WARDEN_SCREEN_QUARANTINE_CONFIDENCE:
        _staff_alert(screening=screening)
        return
    file = File.objects.filter(pk=file_id).select_related("release__project").first()
    if file is None:
        return
    release, project = file.release, file.release.project
    reason = f"Automatic screening found {screening.filename} malicious."
    action = ""
    try:
        if _established(project, release):
            release_quarantine(release=release, reason=reason, origin=SCREENING_ORIGIN)
            action = "quarantined-release"
        else:
            project_quarantine(project=project, reason=reason, origin=SCREENING_ORIGIN)
            action = "quarantined-project"
    except ManageError:
        pass   # already quarantined (by staff, or another file's screening)
    if action:
        Screening.objects.filter(pk=screening.pk).update(action=action)
        screening.action = action
    _staff_alert(screening=screening)


def _staff_alert(*, screening: Screening) -> None:
    with transaction.atomic():
        for user in User.objects.filter(is_staff=True, is_active=True):
            notice_queue(user=user, template="checks/email/screening_alert",
                         origin=SCREENING_ORIGIN,
                         context={"project": screening.project_name,
                                  "version": screening.version,
                                  "filename": screening.filename,
                                  "action": screening.action,
                                  "screening": screening.pk})


def result_review(*, result: CheckResult, review: Review, note: str,
                  origin: Origin) -> CheckResult:
    """Staff record whether a result was right (a true positive) or wrong."""
    reviewer = _staff_require(origin)
    with transaction.atomic():
        result = CheckResult.objects.select_for_update().select_related("screening").get(
            pk=result.pk)
        result.review, result.review_note = review.value, note.strip()
        result.reviewer, result.reviewed = reviewer, timezone.now()
        result.save(update_fields=["review", "review_note", "reviewer", "reviewed"])
        record_event(tag=Tag.STAFF_CHECK_RESULT_REVIEWED, origin=origin,
                     project_name=result.screening.normalized_name,
                     version=result.screening.version, filename=result.screening.filename,
                     details={"check": result.check_name, "verdict": review.value,
                              "result": result.pk})
    return result


def check_backfill(*, name: str, origin: Origin) -> Backfill:
    """Re-run check `name` over every stored file, to evaluate a (new) version. The
    screenings are queued by a task (`backfill_fill`), not in the request: an index may hold
    a million files. Results go to the review queue; a backfill never quarantines."""
    from warden.checks.tasks import backfill_fill

    if origin.actor is not None:
        _staff_require(origin)
    cls = installed()[name]
    with transaction.atomic():
        backfill = Backfill.objects.create(check_name=name, check_version=cls.version,
                                           started_by=origin.actor, total=File.objects.count())
        record_event(tag=Tag.STAFF_CHECK_BACKFILL_STARTED, origin=origin,
                     details={"check": name, "version": cls.version, "files": backfill.total})
        enqueue_on_commit(backfill_fill, backfill_id=backfill.pk)
    return backfill


BACKFILL_CHUNK = 500


def backfill_queue(*, backfill_id: int) -> int:
    """Queue a screening per stored file for the backfill, a chunk per transaction, after
    the last file already queued (so a rerun after a crash carries on). Returns how many
    files are queued in all; files uploaded since the backfill started are left out (their
    upload screened them)."""
    backfill = Backfill.objects.get(pk=backfill_id)
    files = File.objects.filter(upload_time__lte=backfill.created).select_related(
        "release__project").order_by("pk")
    while True:
        last = backfill.screenings.exclude(file=None).order_by("-file_id").values_list(
            "file_id", flat=True).first() or 0
        with transaction.atomic():
            chunk = list(files.filter(pk__gt=last)[:BACKFILL_CHUNK])
            for file in chunk:
                _screening_create(file=file, checks=[backfill.check_name], backfill=backfill)
        if len(chunk) < BACKFILL_CHUNK:
            break
    queued = backfill.screenings.count()
    Backfill.objects.filter(pk=backfill.pk).update(total=queued)
    return queued


def scheduled_run(*, since: timedelta) -> list[Screening]:
    """Screen the files uploaded within `since` with every running check that has the
    `schedule` hook. The policy acts on what they find, as on an upload's screening."""
    states = check_states()
    names = [name for name, cls in installed().items()
             if Hook.SCHEDULE in cls.hooks and states[name] is not State.DISABLED]
    if not names:
        return []
    recent = File.objects.filter(upload_time__gte=timezone.now() - since).select_related(
        "release__project").order_by("pk")
    with transaction.atomic():
        return [_screening_create(file=file, checks=names) for file in recent]


def screenings_requeue(*, older_than: timedelta) -> int:
    """Queue again the screenings still pending after `older_than` (their task failed: the
    stored file was unreadable, the sandbox could not start, the worker was killed).
    Running one twice is harmless. Returns how many were queued."""
    from warden.checks.tasks import screen

    stale = list(Screening.objects.filter(state=ScreeningState.PENDING,
                                          created__lt=timezone.now() - older_than)
                 .values_list("pk", flat=True))
    with transaction.atomic():
        for pk in stale:
            enqueue_on_commit(screen, screening_id=pk)
    return len(stale)


def backfill_progress(backfill: Backfill) -> tuple[int, int]:
    """(screenings finished, total)."""
    done = backfill.screenings.filter(state=ScreeningState.DONE).count()
    return done, backfill.total


def check_statistics(*, name: str, version: int) -> dict[str, Any]:
    """What a check (at `version`) said and how reviewers judged it. Precision is true
    positives over reviewed positives; None until something was reviewed."""
    results = CheckResult.objects.filter(check_name=name, check_version=version)
    flagged = Q(classification__in=[Classification.SUSPICIOUS, Classification.MALICIOUS])
    counts = results.aggregate(
        total=Count("pk"), errors=Count("pk", filter=Q(classification="")),
        flagged=Count("pk", filter=flagged),
        true_positives=Count("pk", filter=flagged & Q(review=Review.TRUE_POSITIVE)),
        false_positives=Count("pk", filter=flagged & Q(review=Review.FALSE_POSITIVE)))
    reviewed = counts["true_positives"] + counts["false_positives"]
    counts["precision"] = counts["true_positives"] / reviewed if reviewed else None
    return counts
