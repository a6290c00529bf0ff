"""Great Expectations in a process of its own (GxProcess), judging the frames pipelines.ingest.validation
hands it.

GX's import takes about two seconds of pure Python. In the ingesting process it would hold the GIL
that every DuckDB statement needs to start and to return, and so slow the staging it was meant to run
beside; in a process of its own it runs on the other core. That process runs this file as a script,
not as part of the `pipelines` package: it imports GX and pandas, not the warehouse code.

A request is a pickle on the script's stdin: (feed name, the feed's checks as Spec tuples, the frame); the
answer a pickle on its stdout: ("failed", [(kind, frame column, the unexpected values), ...]) or ("error",
text). Both ends are this file; nothing here may import from the rest of the project.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from typing import NamedTuple


class Spec(NamedTuple):
    """One check as GX runs it (pipelines.ingest.validation.Check, in plain values)."""

    kind: str  # 'not_null', 'in_set' or 'regex'
    column: str  # the contract column, for the expectation's meta
    frame_column: str
    reason: str
    values: tuple[str, ...]
    pattern: str


class GxProcess:
    """The GX process: started at once (it imports GX, then waits for frames); failed() sends one frame
    and waits for GX's verdict. One request at a time; close() ends the process."""

    def __init__(self) -> None:
        # -P: the script's folder is not put on the path, where its modules could shadow others
        self._process = subprocess.Popen(
            [sys.executable, "-P", __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._lock = threading.Lock()

    def failed(self, feed: str, specs: list[Spec], frame) -> list[tuple[str, str, list]]:
        """(kind, frame column, the unexpected values) of each check the frame fails."""
        with self._lock:
            try:
                # plain tuples: the script knows this file as __main__, not by its module name
                request = (feed, [tuple(spec) for spec in specs], frame)
                pickle.dump(request, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self._process.stdin.flush()
                status, answer = pickle.load(self._process.stdout)
            except (BrokenPipeError, EOFError, pickle.UnpicklingError) as error:
                code = self._process.poll()
                raise RuntimeError(
                    f"Great Expectations' process ended (exit status {code}), see its messages"
                ) from error
        if status != "failed":
            raise RuntimeError(answer)
        return answer

    def close(self) -> None:
        for stream in (self._process.stdin, self._process.stdout):
            if stream and not stream.closed:
                try:
                    stream.close()
                except BrokenPipeError:
                    pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class _Judge:
    """GX's state in the script: one ephemeral context, one suite per feed."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_pandas("landing").add_dataframe_asset("staged_batch")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
        self._suites: dict[str, object] = {}

    def failed(self, feed: str, specs: list[Spec], frame) -> list[tuple[str, str, list]]:
        """GX lists at most MAX_RESULT_RECORDS unexpected values per expectation, so it judges the frame
        that many rows at a time (one run for nearly every file: its frame is its distinct values)."""
        from great_expectations.constants import MAX_RESULT_RECORDS

        failed: dict[tuple[str, str], list] = {}
        for start in range(0, len(frame), MAX_RESULT_RECORDS):
            part = frame.iloc[start : start + MAX_RESULT_RECORDS]
            batch = self._batch_definition.get_batch(batch_parameters={"dataframe": part})
            # BASIC lists the unexpected values as COMPLETE does, without the row indexes GX would
            # also gather; at most the part's rows are unexpected.
            result = batch.validate(
                self._suite(feed, specs),
                result_format={"result_format": "BASIC", "partial_unexpected_count": len(part)},
            )
            for outcome in result.results:
                if _raised(outcome.exception_info):
                    raise RuntimeError(f"Great Expectations failed on {feed}: {outcome.exception_info}")
                if outcome.success:
                    continue
                key = (outcome.expectation_config.meta["kind"], outcome.expectation_config.kwargs["column"])
                failed.setdefault(key, []).extend(outcome.result.get("partial_unexpected_list") or [])
        return [(kind, column, values) for (kind, column), values in failed.items()]

    def _suite(self, feed: str, specs: list[Spec]):
        key = f"{feed} {hash(tuple(specs))}"  # a feed's checks are fixed; the key keeps them honest
        if key not in self._suites:
            suite = self._gx.ExpectationSuite(name=f"landing_{feed}")
            for spec in specs:
                suite.add_expectation(_expectation(self._gx, spec))
            self._suites[key] = suite
        return self._suites[key]


def _expectation(gx, spec: Spec):
    meta = {"column": spec.column, "reason": spec.reason, "kind": spec.kind}
    if spec.kind == "not_null":
        return gx.expectations.ExpectColumnValuesToNotBeNull(column=spec.frame_column, meta=meta)
    if spec.kind == "in_set":
        return gx.expectations.ExpectColumnValuesToBeInSet(
            column=spec.frame_column, value_set=list(spec.values), meta=meta
        )
    return gx.expectations.ExpectColumnValuesToMatchRegex(
        column=spec.frame_column, regex=f"^(?:{spec.pattern})$", meta=meta
    )


def _raised(info) -> bool:
    if not info:
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _serve() -> int:
    """The script: frames on stdin, verdicts on stdout, until stdin ends (the ingesting process ended)."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever GX prints goes to stderr, not into the answers
    judge = _Judge()  # imported before the first frame arrives: that is the point of starting early
    requests = sys.stdin.buffer
    while True:
        try:
            feed, specs, frame = pickle.load(requests)
        except EOFError:
            return 0
        try:
            answer = ("failed", judge.failed(feed, [Spec(*spec) for spec in specs], frame))
        except Exception as error:  # noqa: BLE001 (sent back and raised there: the ingest fails as it would in-process)
            answer = ("error", f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    sys.exit(_serve())
