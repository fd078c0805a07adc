"""The one run loop: a session runs an API's checks against a target, fingerprint first.

Every way of running checks goes through :class:`ApiSession`: ``optout-conformance run``
(:func:`run`, :func:`run_api`), the pytest plugin (one item per check, :meth:`ApiSession.run_check`),
``detect`` (the fault catalog's time to detect) and ``record`` (one cassette per check). What
differs between them is said with :class:`SessionHooks`, a small interface whose defaults are the
plain run:

- ``order(checks)``: the order checks start in (``detect`` puts a fault's named checks first);
- ``around_fingerprint(ctx)`` / ``around_check(ctx, spec)``: context managers entered around the
  probes and around each check (``record`` opens the check's cassette there);
- ``after_fingerprint(ctx, error)``: the probes' ERROR/inconclusive result, or None;
- ``before_check(ctx, spec)``: a reason to stop the session before the check starts (a budget),
  or None;
- ``after_check(ctx, result)``: True stops the session after this check (``detect`` stops at the
  first failure of a fault's named check).

A session always runs the fingerprint probes before its first check (a crash of the probes is an
ERROR result ``<api>.fingerprint``, see :func:`~optout_conformance.runner.execute.probe_fingerprint`).
``in_order=False`` (the run) starts the checks on ``limits.workers`` threads, the checks that
change the target's data one at a time after the others; ``in_order=True`` (``detect``,
``record``) runs them one at a time in the hooks' order. Checks not started because the session
stopped have no result.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from optout_conformance.checks.coverage import error_code_coverage
from optout_conformance.config import Settings
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import RateLimiter
from optout_conformance.core.results import ApiResult, CheckResult, RunResult
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.execute import (
    RunLimits,
    changes_data,
    fingerprint_points,
    make_context,
    probe_fingerprint,
    run_check,
    select_checks,
    validate_check_ids,
    without_userinfo,
)
from optout_conformance.runner.targets import ServerFactory, embedded_server, open_targets


class SessionHooks:
    """What a caller changes about the loop; every method's default is the plain run's behaviour."""

    def order(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        return list(checks)

    def around_fingerprint(self, ctx: RunContext) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def around_check(self, ctx: RunContext, spec: CheckSpec) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def before_check(self, ctx: RunContext, spec: CheckSpec) -> str | None:
        return None

    def after_fingerprint(self, ctx: RunContext, error: CheckResult | None) -> None:
        return None

    def after_check(self, ctx: RunContext, result: CheckResult) -> bool:
        return False


class Progress(SessionHooks):
    """Calls ``progress`` with each finished check's result (the CLI's progress marks)."""

    def __init__(self, progress: Callable[[CheckResult], None]) -> None:
        self.progress = progress

    def after_check(self, ctx: RunContext, result: CheckResult) -> bool:
        self.progress(result)
        return False

    def after_fingerprint(self, ctx: RunContext, error: CheckResult | None) -> None:
        if error is not None:
            self.progress(error)


class ApiSession:
    """One API's target, its run context (HTTP client, fingerprint, observations) and the loop.

    Use as a context manager (the HTTP client is closed on exit). :meth:`run` does the whole
    loop; :meth:`run_check` runs one check (fingerprinting first if not done yet), for callers
    that drive the order themselves (the pytest plugin).
    """

    def __init__(
        self,
        target: Target,
        credentials: Credentials,
        profile: str,
        limits: RunLimits,
        *,
        rate: RateLimiter | None = None,
        hooks: Sequence[SessionHooks] = (),
        run_prefix: str | None = None,
    ) -> None:
        self.target, self.profile, self.limits = target, profile, limits
        self.hooks = list(hooks)
        self.ctx = make_context(target, credentials, profile, limits, rate)
        if run_prefix is not None:
            self.ctx.run_prefix = run_prefix
        self.probe_error: CheckResult | None = None
        self.stopped: str | None = None  # why the session stopped early (None: it did not)
        self._probed = False
        self._probe_observations = 0
        self._lock = threading.Lock()
        self._started = time.perf_counter()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.ctx.http.close()

    def fingerprint(self) -> CheckResult | None:
        """Run the fingerprint probes once; the ERROR/inconclusive result when they did not run
        cleanly, else None. Later calls return the first call's answer."""
        with self._lock:
            if not self._probed:
                with contextlib.ExitStack() as stack:
                    for hook in self.hooks:
                        stack.enter_context(hook.around_fingerprint(self.ctx))
                    self.probe_error = probe_fingerprint(self.ctx)
                self._probe_observations = len(self.ctx.observations)
                self._probed = True
                for hook in self.hooks:
                    hook.after_fingerprint(self.ctx, self.probe_error)
        return self.probe_error

    def run_check(self, spec: CheckSpec) -> CheckResult | None:
        """Run one check through the hooks (probing first if needed); None when the session has
        stopped (a hook's ``before_check`` said why, or an ``after_check`` asked to stop)."""
        self.fingerprint()
        if self.stopped is not None:
            return None
        for hook in self.hooks:
            reason = hook.before_check(self.ctx, spec)
            if reason is not None:
                self.stopped = reason
                return None
        with contextlib.ExitStack() as stack:
            for hook in self.hooks:
                stack.enter_context(hook.around_check(self.ctx, spec))
            result = run_check(self.ctx, spec)
        stop = False
        for hook in self.hooks:
            stop = hook.after_check(self.ctx, result) or stop
        if stop and self.stopped is None:
            self.stopped = f"stopped after {spec.id}"
        return result

    def ordered(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        ordered = list(checks)
        for hook in self.hooks:
            ordered = hook.order(ordered)
        return ordered

    def run(self, checks: Sequence[CheckSpec], *, in_order: bool = False) -> ApiResult:
        """Fingerprint, then run ``checks`` (see the module's docstring for ``in_order``)."""
        probe_error = self.fingerprint()
        ordered = self.ordered(checks)
        outcomes: dict[str, CheckResult] = {}
        if in_order:
            for spec in ordered:
                result = self.run_check(spec)
                if result is None:
                    break
                outcomes[spec.id] = result
        else:
            # Checks that change the target's data run one at a time after the others, so that no
            # check sees another's writes mid-way (totals, page walks, Hypothesis replays).
            shared = [spec for spec in ordered if not changes_data(spec)]
            alone = [spec for spec in ordered if changes_data(spec)]
            with ThreadPoolExecutor(max_workers=max(1, self.limits.workers)) as pool:
                for spec, result in zip(shared, pool.map(self.run_check, shared), strict=True):
                    if result is not None:
                        outcomes[spec.id] = result
            for spec in alone:
                result = self.run_check(spec)
                if result is not None:
                    outcomes[spec.id] = result
        results = [outcomes[spec.id] for spec in ordered if spec.id in outcomes]
        if probe_error is not None:
            results.insert(0, probe_error)
        return self.api_result(results)

    def api_result(self, results: list[CheckResult]) -> ApiResult:
        """The API's result from ``results`` and what the context gathered so far."""
        ctx = self.ctx
        result = ApiResult(
            api=self.target.api,
            base_url=self.target.base_url,
            embedded=self.target.embedded,
            profile=self.profile,
            effective_profile=ctx.effective_profile,
            writes_allowed=ctx.writes_allowed,
            checks=results,
            fingerprint=fingerprint_points(ctx, ctx.observations[: self._probe_observations]),
            observations=list(ctx.observations),
            exchanges=list(ctx.http.exchanges),
            notes=list(ctx.notes),  # what checks noted about the run itself
            duration=time.perf_counter() - self._started,
        )
        result.error_codes = error_code_coverage(result)  # the reports only render these rows
        return result


def run_api(
    target: Target,
    credentials: Credentials,
    profile: str,
    checks: Sequence[CheckSpec],
    limits: RunLimits,
    *,
    rate: RateLimiter | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> ApiResult:
    """Fingerprint one API's target, then run its checks on ``limits.workers`` threads."""
    hooks = [Progress(progress)] if progress is not None else []
    with ApiSession(target, credentials, profile, limits, rate=rate, hooks=hooks) as session:
        return session.run(checks)


def run(
    settings: Settings,
    limits: RunLimits | None = None,
    *,
    server_factory: ServerFactory = embedded_server,
    progress: Callable[[CheckResult], None] | None = None,
) -> RunResult:
    """Run every selected API's checks against its target and return the results.

    Raises :class:`~optout_conformance.runner.execute.UnknownCheck` (before any target is
    contacted) when ``limits.check_ids`` names a check that does not exist or belongs to an API
    ``settings`` does not select.
    """
    limits = limits or RunLimits()
    validate_check_ids(settings.apis, limits.check_ids)
    started = time.perf_counter()
    result = RunResult(
        strict=limits.strict,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        options={
            "apis": list(settings.apis),
            "profile": settings.profile,
            "targets": {api: without_userinfo(url) for api, url in settings.targets.items()},
            "workers": limits.workers,
            "fast": limits.fast,
            "max_examples": limits.max_examples,
            "seed": limits.seed,
            "rate": limits.rate,
            "timeout": limits.timeout,
            "allow_writes": limits.allow_writes,
            "strict": limits.strict,
            "checks": list(limits.check_ids),
        },
    )
    rate = RateLimiter(limits.rate)
    with open_targets(settings, server_factory=server_factory) as (targets, credentials):
        if limits.check_ids:  # only the APIs the named checks belong to
            targets = [t for t in targets if select_checks(t.api, limits)]
        selections = [select_checks(target.api, limits) for target in targets]

        def one(index: int) -> ApiResult:
            return run_api(targets[index], credentials, settings.profile, selections[index], limits,
                           rate=rate, progress=progress)

        # The APIs are independent (own context, client, data), so they run side by side; most of
        # a run is spent waiting for replies. --rate still bounds the requests of all of them.
        with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
            result.apis.extend(pool.map(one, range(len(targets))))
    result.duration = time.perf_counter() - started
    return result

