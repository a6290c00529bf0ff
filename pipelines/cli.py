"""The `schoolaudit` command line (spec/outputs.md).

`run`, `ingest`, `check` and `report` execute the Dagster job of the code location in-process, so there
is one pipeline, not two. Exit status: 0 success, 1 a finding at or above --fail-on, 2 a usage error or
unusable input, with one line that says what is wrong, 3 the reports were written but the audit is
incomplete because a landing file was rejected (3 wins over 1: the findings of an incomplete audit are
not all there is).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from checks.context import SettingsError
from checks.registry import SEVERITIES, SEVERITY_RANK
from pipelines import private
from pipelines.boards import DEFAULT_BOARD, Board, BoardsError
from pipelines.generate import GenerateError
from pipelines.resources import DEFAULT_DB, DEFAULT_OUT
from pipelines.safe_text import neutralise
from pipelines.settings import ConfigError, load_settings
from pipelines.weeks import WeekError, last_complete_week, parse_week, partition_key

INCOMPLETE = 3  # exit status: reports written, a landing file rejected

REPORT_FILES = ("privacy-officer.html", "privacy-officer.pdf", "council-summary.html", "council-summary.pdf")


_PRINTING = threading.Lock()  # one board's output at a time


class UsageError(Exception):
    """A mistake of the user's: printed as one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    private.restrict_umask()  # every file this run writes is the owner's only (pipelines.private)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ConfigError, WeekError, GenerateError, SettingsError, BoardsError) as exc:
        print(f"schoolaudit: error: {neutralise(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("schoolaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`schoolaudit decisions | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolaudit",
        description="Weekly privacy compliance audit of a Dutch school board's access logs and disclosures.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, handler, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    demo = add("demo", _demo, "Generate a two-school board with planted violations, audit its last week.")
    demo.add_argument("--out", default="out/demo", help="folder for the data, warehouse and reports")
    _lang(demo)

    run = add("run", _run, "Ingest, check and report one week.")
    run.add_argument("--landing", help="the landing folder (spec/landing.md); required unless --boards is given")
    # The defaults of --db/--out/--lang are filled in by _run: with --boards they come from the boards file.
    run.add_argument("--db", help=f"the DuckDB warehouse (default {DEFAULT_DB})")
    run.add_argument("--out", help=f"reports go to OUT/<week>/ (default {DEFAULT_OUT})")
    _week(run)
    run.add_argument("--lang", choices=("en", "nl"), help="report language (default en)")
    _config(run)
    run.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a finding this severe or worse exists")
    run.add_argument("--boards", help="a boards file (TOML): audit every board in it, each in its own folders")
    run.add_argument("--board", action="append", metavar="KEY", help="with --boards: only this board (repeatable)")
    run.add_argument("--workers", type=_positive, help="with --boards: boards audited at once (default: one per core)")

    ingest = add("ingest", _ingest, "Only ingest the landing folder (idempotent).")
    ingest.add_argument("--landing", required=True)
    _db(ingest)
    _config(ingest)

    check = add("check", _check, "Only run the rules for a week (replaces that week's findings).")
    _db(check)
    _week(check)
    _config(check)

    report = add("report", _report, "Only write the reports of a week.")
    _db(report)
    _out(report)
    _week(report)
    _lang(report)
    _config(report)

    decide = add("decide", _decide, "Record the privacy officer's decision on findings (append-only).")
    decide.add_argument("finding_ids", nargs="*", metavar="FINDING_ID")
    decide.add_argument("--status", help="under_review, justified, false_positive or confirmed")
    decide.add_argument("--by", required=True, metavar="NAME", help="who decides")
    decide.add_argument("--note", help="why: what the records did not hold, what was found out")
    decide.add_argument("--until", help="YYYY-MM-DD: after it, a standing finding is open again")
    decide.add_argument("--incident", metavar="REF", help="the entry in the register of data breaches")
    decide.add_argument("--grant-until", metavar="DATE", help="grant the account access to the student until DATE")
    decide.add_argument("--grant-from", metavar="DATE", help="the grant's first day (default: today)")
    decide.add_argument("--grant-categories", metavar="LIST", help="only these data categories (a;b)")
    decide.add_argument("--from-csv", metavar="FILE", help="decisions from a CSV file (all or nothing)")
    _db(decide)
    _config(decide)

    decisions = add("decisions", _decisions, "List the decision log.")
    decisions.add_argument("--week", help="only decisions on findings of this week")
    decisions.add_argument("--finding", metavar="ID", help="only decisions on this finding")
    decisions.add_argument("--status", help="only decisions that set this status")
    decisions.add_argument("--format", choices=("table", "csv"), default="table")
    _db(decisions)

    serve = add("serve", _serve, "Serve the review app (privacy officer and council) on this machine.")
    _db(serve)
    _out(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0: any free port)")
    serve.add_argument("--https-only", action="store_true",
                       help="behind a TLS reverse proxy: cookies only over HTTPS (Secure), and HSTS")
    serve.add_argument("--lang", choices=("en", "nl"), default="en", help="the app's language")
    _config(serve)

    users = add("users", None, "Manage the review app's users (roles privacy_officer and council).")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    user_add = actions.add_parser("add", help="add a user (the password is asked twice, or read from stdin)")
    user_add.set_defaults(handler=_users_add)
    user_add.add_argument("name", metavar="NAME")
    user_add.add_argument("--role", required=True, choices=("privacy_officer", "council"))
    user_add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    user_list = actions.add_parser("list", help="list the users")
    user_list.set_defaults(handler=_users_list)
    user_passwd = actions.add_parser("passwd", help="set a new password (also releases a lock, ends their sessions)")
    user_passwd.set_defaults(handler=_users_passwd)
    user_passwd.add_argument("name", metavar="NAME")
    user_passwd.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    user_remove = actions.add_parser("remove", help="remove a user (their events and decisions stay; the name is never reused)")
    user_remove.set_defaults(handler=_users_remove)
    user_remove.add_argument("name", metavar="NAME")
    for sub in (user_add, user_list, user_passwd, user_remove):
        _db(sub)

    generate = add("generate", _generate, "Write synthetic landing data with planted violations.")
    generate.add_argument("--out", required=True, help="folder: landing data goes to OUT/landing")
    generate.add_argument("--schools", type=_positive, default=2)
    generate.add_argument("--students", type=_positive, default=600)
    generate.add_argument("--weeks", type=_positive, default=4)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--until", type=_date, help="generate the weeks before this date (default: today)")
    # Sizes for the benchmarks; by default they follow from --students.
    generate.add_argument("--staff", type=_positive, help="about this many staff (default: one per 12 students)")
    generate.add_argument("--events-per-week", type=_positive, help="access events a week (default: 40 per student)")
    generate.add_argument("--disclosures-per-week", type=_positive, help="disclosures a week (default: about 10 per 100 students)")
    _statement_commands(add)
    _map_parser(add)
    return parser


def _db(sub):
    sub.add_argument("--db", default=DEFAULT_DB, help=f"the DuckDB warehouse (default {DEFAULT_DB})")


def _out(sub):
    sub.add_argument("--out", default=DEFAULT_OUT, help=f"reports go to OUT/<week>/ (default {DEFAULT_OUT})")


def _week(sub):
    sub.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)")


def _lang(sub):
    sub.add_argument("--lang", choices=("en", "nl"), default="en", help="report language")


def _config(sub):
    sub.add_argument("--config", help="TOML file with rule parameters (defaults in spec/rules.md)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535")
    return value


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


# --- commands -------------------------------------------------------------------------------------


def _run(args) -> int:
    if getattr(args, "boards", None):
        return _run_boards(args)
    if getattr(args, "board", None) or getattr(args, "workers", None):
        raise UsageError("--board and --workers need --boards (a boards file)")
    if not args.landing:
        raise UsageError("the following arguments are required: --landing (or --boards)")
    args.db, args.out, args.lang = args.db or DEFAULT_DB, args.out or DEFAULT_OUT, args.lang or "en"
    settings = load_settings(args.config)
    landing = _landing(args.landing)
    week = _resolve_week(args.week, settings.timezone)
    _say(f"auditing week {week}: ingest {landing}, warehouse {args.db}")
    _execute(args, landing=landing, week=week, stages="all")
    counts, rejected = _summary(args.db, week, settings.timezone)
    _print_reports(Path(args.out) / week)
    return INCOMPLETE if rejected else _fail_on(args.fail_on, counts)


def _ingest(args) -> int:
    settings = load_settings(args.config)
    landing = _landing(args.landing)
    _say(f"ingesting {landing} into {args.db}")
    _execute(args, landing=landing, week=None, stages="ingest")
    from pipelines.ingest.checks import rejected_message
    from pipelines.ingest.files import landing_files
    from pipelines.warehouse import open_warehouse

    with open_warehouse(args.db, settings.timezone, read_only=True) as con:
        files, rows, quarantined = con.execute(
            "SELECT count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) FROM landing_files"
        ).fetchone()
        rejected = rejected_message(con, landing_files(landing))
    _say(f"warehouse holds {files} delivered files: {rows} rows loaded, {quarantined} rows quarantined")
    if rejected:
        _say(rejected)
    return 0


def _check(args) -> int:
    settings = load_settings(args.config)
    week = _resolve_week(args.week, settings.timezone)
    _require_db(args.db)
    _say(f"checking week {week} in {args.db}")
    _execute(args, landing=None, week=week, stages="check")
    _summary(args.db, week, settings.timezone)
    return 0


def _report(args) -> int:
    settings = load_settings(args.config)
    week = _resolve_week(args.week, settings.timezone)
    _require_db(args.db)
    _say(f"writing the reports of week {week}")
    _execute(args, landing=None, week=week, stages="report")
    _print_reports(Path(args.out) / week)
    return INCOMPLETE if _rejected_in_week(args.db, week, settings.timezone) else 0


def _decide(args) -> int:
    from decisions.decide import DecisionError, decide, decisions_from_csv, parse_categories, parse_date
    from decisions.store import Decision, StoreError

    settings = load_settings(args.config)
    try:
        if args.from_csv:
            given = [name for name in ("status", "note", "until", "incident", "grant_until", "grant_from",
                                       "grant_categories") if getattr(args, name) is not None]  # fmt: skip
            if args.finding_ids or given:
                raise UsageError("--from-csv takes the decisions from the file: give no finding ids or "
                                 f"{', '.join('--' + g.replace('_', '-') for g in given) or 'other options'}")  # fmt: skip
            decisions = decisions_from_csv(args.from_csv)
        else:
            if not args.finding_ids or not args.status:
                raise UsageError("name one or more FINDING_IDs and --status (or give --from-csv FILE)")
            decisions = [
                Decision(
                    finding_id=finding_id, status=args.status, note=args.note,
                    until=parse_date(args.until, "--until"), incident=args.incident,
                    grant_from=parse_date(args.grant_from, "--grant-from"),
                    grant_until=parse_date(args.grant_until, "--grant-until"),
                    grant_categories=parse_categories(args.grant_categories),
                )
                for finding_id in args.finding_ids
            ]  # fmt: skip
        ids = decide(args.db, decisions, args.by, settings.timezone)
    except (DecisionError, StoreError) as exc:
        raise UsageError(str(exc)) from None
    _say(f"recorded {len(ids)} decision{'s' if len(ids) != 1 else ''} ({', '.join(map(str, ids))}); "
         "the next report shows them")  # fmt: skip
    return 0


def _decisions(args) -> int:
    import csv

    from decisions.store import DECISION_COLUMNS, StoreError, decision_log, open_store, store_path

    if not store_path(args.db).exists():
        _say("no decisions yet")
        return 0
    try:
        with open_store(args.db, create=False) as con:
            rows = [
                row for row in decision_log(con)
                if (not args.week or row["week"] == args.week) and (not args.finding or row["finding_id"] == args.finding)
                and (not args.status or row["status"] == args.status)
            ]  # fmt: skip
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "csv":
        from pipelines.safe_text import csv_cell

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(DECISION_COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(row[c]) for c in DECISION_COLUMNS])
        return 0
    shown = ("decision_id", "decided_at", "decided_by", "finding_id", "rule_id", "status_before", "status", "note")
    table = [[str(row[c] if row[c] is not None else "") for c in shown] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(shown)]
    _say("  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=True)))
    for r in table:
        _say("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    _say(f"{len(rows)} decision{'s' if len(rows) != 1 else ''}")
    return 0


def _serve(args) -> int:
    from decisions.store import StoreError
    from review.app import AppConfig
    from review.secret import SecretError
    from review.server import ServeError, serve

    settings = load_settings(args.config)
    config = AppConfig(db=Path(args.db), out=Path(args.out), lang=args.lang, timezone=settings.timezone,
                       https_only=args.https_only, leap_day_birthday=settings.leap_day_birthday)  # fmt: skip
    try:
        serve(config, args.host, args.port, _say)
    except (ServeError, StoreError, SecretError) as exc:
        raise UsageError(str(exc)) from None
    return 0


def _read_password(args) -> str:
    """The password from the first line of stdin (--password-stdin), or asked twice on a terminal."""
    import getpass

    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask the password on: give it on stdin with --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("the same password again: ") != first:
        raise UsageError("the two passwords differ: nothing was changed")
    return first


def _users(action):
    """Run a users action, its mistakes as UsageError (one line, exit 2)."""
    from argon2 import PasswordHasher

    from decisions.store import StoreError
    from review.users import UserError

    try:
        return action(PasswordHasher())
    except (UserError, StoreError) as exc:
        raise UsageError(str(exc)) from None


def _users_add(args) -> int:
    from review.users import add_user, check_name

    _users(lambda _: check_name(args.name))  # before the password is asked
    password = _read_password(args)
    _users(lambda hasher: add_user(args.db, args.name, args.role, password, hasher))
    _say(f"added {args.role} {args.name}; start the app with `schoolaudit serve`")
    return 0


def _users_list(args) -> int:
    from review.users import list_users

    rows = _users(lambda _: list_users(args.db))
    if not rows:
        _say("no users yet: add one with `schoolaudit users add NAME --role privacy_officer`")
        return 0
    shown = ("name", "role", "created_at", "last_login", "locked_until")
    table = [[str(row[c] or "") for c in shown] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(shown)]
    _say("  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=True)).rstrip())
    for r in table:
        _say("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _users_passwd(args) -> int:
    from review.users import change_password

    password = _read_password(args)
    _users(lambda hasher: change_password(args.db, args.name, password, hasher))
    _say(f"changed the password of {args.name}; their sessions have ended")
    return 0


def _users_remove(args) -> int:
    from review.users import remove_user

    _users(lambda _: remove_user(args.db, args.name))
    _say(f"removed {args.name}: they can no longer sign in; their decisions and events keep the name, "
         "which is never given to another user")  # fmt: skip
    return 0


def _generate(args) -> int:
    from pipelines.generate import generate

    result = generate(
        Path(args.out), schools=args.schools, students=args.students, weeks=args.weeks, seed=args.seed, until=args.until,
        staff=args.staff, events_per_week=args.events_per_week, disclosures_per_week=args.disclosures_per_week,
    )
    total = sum(result.counts.values())
    _say(f"wrote {total} rows in {len(result.counts)} feeds to {result.landing}")
    _say(f"weeks {result.weeks[0]} to {result.weeks[-1]}; expected findings: {result.expected}")
    return 0


def _demo(args) -> int:
    from pipelines.generate import generate

    out = Path(args.out)
    result = generate(out)
    _say(f"generated a two-school board in {result.landing} (expected findings: {result.expected})")
    run_args = argparse.Namespace(
        landing=str(result.landing),
        db=str(out / "warehouse.duckdb"),
        out=str(out / "reports"),
        week=result.weeks[-1],
        lang=args.lang,
        config=None,
        fail_on=None,
        boards=None,
    )
    # The earlier generated weeks are checked first, so the report has a trend and knows what recurs.
    _execute(run_args, landing=result.landing, week=None, stages="ingest")
    for week in result.weeks[:-1]:
        _say(f"checking the earlier week {week}")
        _execute(run_args, landing=None, week=week, stages="check")
    return _run(run_args)


def _run_boards(args) -> int:
    """`run --boards FILE`: every board (or those named with --board) audited in its own folders; several
    boards at once, each in its own process, so that their runs go in parallel and never share memory."""
    from pipelines.boards import load_boards, select

    given = [f"--{name}" for name in ("landing", "db", "out", "lang", "config") if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be combined with --boards: the boards file names each board's folders")
    if args.week:
        parse_week(args.week)
    boards = select(load_boards(args.boards), args.board)
    if len(boards) == 1:
        return _run_board(args, boards[0])
    workers = min(args.workers or os.cpu_count() or 1, len(boards))
    _say(f"auditing {len(boards)} boards, {workers} at a time: {', '.join(b.key for b in boards)}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(lambda board: _board_process(args, board), boards))
    for board, status in zip(boards, statuses, strict=True):
        _say(f"board {board.key}: " + ("done" if status == 0 else f"exit status {status}"))
    return max(statuses)


def _run_board(args, board: Board) -> int:
    board_args = argparse.Namespace(
        landing=board.landing, db=board.warehouse, out=board.out, week=args.week, lang=board.lang,
        config=board.config, fail_on=args.fail_on, board_key=board.key,
    )  # fmt: skip
    _say(f"board {board.key}")
    return _run(board_args)


def _board_process(args, board: Board) -> int:
    """One board's run as a child process; its output is printed when it ends, each line marked."""
    command = [sys.executable, "-m", "pipelines.cli", "run", "--boards", str(Path(args.boards).resolve()),
               "--board", board.key]  # fmt: skip
    command += ["--week", args.week] if args.week else []
    command += ["--fail-on", args.fail_on] if args.fail_on else []
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    lines = (result.stdout + result.stderr).splitlines()
    with _PRINTING:
        for line in lines:
            _say(f"[{board.key}] {line}")
    return result.returncode


# --- helpers --------------------------------------------------------------------------------------


def _say(text: str) -> None:
    """One line of output. Landing file names, ids and reasons in it may come from the inputs: a control
    or bidirectional character in them is printed as a marker, so it cannot rewrite or forge a line."""
    print(neutralise(text), flush=True)


def _landing(path: str) -> Path:
    landing = Path(path)
    if not landing.exists():
        raise UsageError(f"landing folder {landing} does not exist")
    if not landing.is_dir():
        raise UsageError(f"landing folder {landing} is not a folder")
    _check_profiles(landing)
    return landing


def _require_db(path: str) -> None:
    if not Path(path).is_file():
        raise UsageError(f"warehouse {path} does not exist: run 'schoolaudit ingest' or 'schoolaudit run' first")
    _usable_db(path)


def _usable_db(path: str) -> None:
    """A warehouse file that exists must be a DuckDB database; a new one must be creatable."""
    import duckdb

    db = Path(path)
    if db.exists():
        if not db.is_file():
            raise UsageError(f"warehouse {path} is not a file")
        from pipelines.warehouse import try_shared_lock

        try:
            with try_shared_lock(db) as free:
                if not free:
                    return  # another run is writing it: the job waits for it
                duckdb.connect(str(db), read_only=True).close()
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                return  # in use by another run: the job waits for it
            raise UsageError(f"warehouse {path} is not a DuckDB database ({_first_line(exc)})") from None
        except duckdb.Error as exc:
            raise UsageError(f"warehouse {path} cannot be opened ({_first_line(exc)})") from None
    else:
        _creatable(db.parent, "warehouse folder")


def _creatable(folder: Path, what: str) -> None:
    try:
        private.make_dirs(folder)  # the folders it creates 0700; an existing one is left as it is
    except OSError as exc:
        raise UsageError(f"{what} {folder} cannot be created: {exc.strerror}") from None
    if not folder.is_dir():
        raise UsageError(f"{what} {folder} is not a folder")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _resolve_week(text: str | None, timezone: str) -> str:
    week = text or last_complete_week(timezone)
    _, sunday = parse_week(week)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if sunday >= datetime.now(ZoneInfo(timezone)).date():
        raise UsageError(f"week {week} has not ended yet; the last complete week is {last_complete_week(timezone)}")
    return week  # any week that has ended: the data decides what there is to check


def _execute(args, landing: Path | None, week: str | None, stages: str) -> None:
    """Run the code location's job in-process with this invocation's paths."""
    import dagster as dg

    from pipelines.assets import DEFAULT_FIRST_WEEK, board_week_key, weekly_findings, weekly_reports
    from pipelines.definitions import build_definitions

    _usable_db(str(args.db))
    if stages in ("all", "report"):
        _creatable(Path(args.out), "report folder")
    config_file = str(Path(args.config).resolve()) if getattr(args, "config", None) else None
    settings = load_settings(config_file)
    # Only this run's board: the process never holds another board's folders.
    board = Board(
        key=getattr(args, "board_key", DEFAULT_BOARD),
        landing=str(landing or ""),
        warehouse=str(args.db),
        out=str(getattr(args, "out", DEFAULT_OUT)),
        lang=getattr(args, "lang", "en"),
        config=config_file,
    )
    # Ingest alone has no week of its own: it is done for the audit of the last complete week.
    week = week or last_complete_week(settings.timezone)
    # The partitions reach back to the week asked for, however far back its data lies.
    first_week = min(week, DEFAULT_FIRST_WEEK, key=partition_key)
    defs = build_definitions([board], first_week=first_week)
    partition = board_week_key(board.key, week)
    selection = {
        "all": None,
        "ingest": None,
        "check": [weekly_findings.key],
        "report": [weekly_reports.key],
    }[stages]
    job = defs.resolve_job_def("ingest_landing" if stages == "ingest" else "weekly_audit")
    # CRITICAL: what a run has to say is said in its summary lines, not in Dagster's event log.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    result = job.execute_in_process(
        partition_key=partition,
        asset_selection=selection,
        run_config=quiet,
        instance=dg.DagsterInstance.ephemeral(),  # nothing written outside the paths given
        raise_on_error=True,
    )
    if not result.success:  # raise_on_error normally raises first; this is a guard
        raise RuntimeError("the audit job failed")


def _rejected_in_week(db: str, week: str, timezone: str) -> list[tuple[str, str]]:
    """(path, why) of the rejected landing files the week was checked without."""
    from pipelines.warehouse import open_warehouse

    with open_warehouse(db, timezone, read_only=True) as con:
        return con.execute(
            """SELECT r.path, (SELECT string_agg(DISTINCT q.reason || coalesce(' (' || q."column" || ')', ''), '; ')
                               FROM quarantine q WHERE q.file_hash = r.file_hash)
               FROM week_rejected_files r WHERE r.week = ? ORDER BY r.path""",
            [week],
        ).fetchall()


def _summary(db: str, week: str, timezone: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Print the week's findings, the rules not (fully) evaluated and the rejected files it was checked
    without; return the findings per severity and those files."""
    from pipelines.ingest.checks import WHAT_TO_DO
    from pipelines.warehouse import open_warehouse

    with open_warehouse(db, timezone, read_only=True) as con:
        counts = dict(con.execute("SELECT severity, count(*) FROM findings WHERE week = ? GROUP BY 1", [week]).fetchall())
        by_status = dict(
            con.execute(
                "SELECT status, list(rule_id ORDER BY rule_id) FROM coverage WHERE week = ? AND status <> 'evaluated'"
                " GROUP BY status",
                [week],
            ).fetchall()
        )
    rejected = _rejected_in_week(db, week, timezone)
    parts = [f"{counts.get(s, 0)} {s}" for s in SEVERITIES if counts.get(s)]
    _say(f"week {week}: {sum(counts.values())} findings" + (f" ({', '.join(parts)})" if parts else ""))
    if rejected:
        listed = "; ".join(f"{path} ({why})" for path, why in rejected)
        _say(f"audit incomplete: {len(rejected)} landing file{'s' if len(rejected) > 1 else ''} rejected as a"
             f" whole and left out: {listed}. To complete it, {WHAT_TO_DO}.")  # fmt: skip
    if by_status.get("incomplete"):
        _say(f"incomplete (judged without a rejected file): {', '.join(by_status['incomplete'])}")
    if by_status.get("not_evaluated"):
        _say(f"not evaluated (feeds missing or a file rejected): {', '.join(by_status['not_evaluated'])}")
    return counts, rejected


def _print_reports(folder: Path) -> None:
    _say(f"reports in {folder.resolve()}:")
    for name in REPORT_FILES + ("findings.csv", "coverage.csv", "quarantine.csv"):
        _say(f"  {folder.resolve() / name}")


def _fail_on(threshold: str | None, counts: dict[str, int]) -> int:
    if threshold is None:
        return 0
    worst_allowed = SEVERITY_RANK[threshold]
    return 1 if any(count and SEVERITY_RANK[s] <= worst_allowed for s, count in counts.items()) else 0


# --- access requests: the student's statement (spec/statement.md) ---------------------------------


def _statement_commands(add) -> None:
    statement = add("statement", _statement, "Write a student's statement of access (HTML and PDF).")
    statement.add_argument("--student", required=True, metavar="ID", help="the student's id (student_id)")
    statement.add_argument("--from", dest="period_from", type=_date, metavar="DATE", help="first day (default: the first the warehouse holds)")
    statement.add_argument("--to", dest="period_to", type=_date, metavar="DATE", help="last day (default: the last the warehouse holds)")
    statement.add_argument("--lang", choices=("en", "nl"), default="en", help="the statement's language")
    statement.add_argument("--out", default=DEFAULT_OUT, help=f"written to OUT/statements/ (default {DEFAULT_OUT})")
    statement.add_argument("--received", type=_date, metavar="DATE", help="the request's date: registers it (due a month later) as answered today; without it the statement is a draft")
    statement.add_argument("--requester", choices=("student", "guardian"), help="who asked (default: the student from 16, else a guardian)")
    statement.add_argument("--staff-names", action="store_true", help="name the staff who looked (only when the student needs it to exercise their rights)")
    _db(statement)
    _config(statement)

    requests = add("requests", _requests, "List the register of access requests and their due dates.")
    requests.add_argument("--format", choices=("table", "csv"), default="table")
    _db(requests)
    _config(requests)


def _statement(args) -> int:
    import getpass

    from decisions import requests as register
    from decisions.requests import local_today
    from decisions.store import StoreError, open_store, store_path
    from pipelines.warehouse import open_warehouse
    from statements import data, document
    from statements.sources import warehouse_views

    settings = load_settings(args.config)
    if args.period_from and args.period_to and args.period_to < args.period_from:
        raise UsageError(f"the period ends ({args.period_to}) before it starts ({args.period_from})")
    if args.requester and not args.received:
        raise UsageError("--requester goes with --received (the day the request came in)")
    _require_db(args.db)
    today = local_today(settings.timezone)
    if args.received and args.received > today:
        raise UsageError(f"--received {args.received} is after today ({today})")
    request = data.Request(args.student, args.period_from, args.period_to, today, args.staff_names,
                           settings.leap_day_birthday)  # fmt: skip
    try:
        with open_warehouse(args.db, settings.timezone, read_only=True) as con:
            warehouse_views(con)
            if store_path(args.db).exists():
                with open_store(args.db, create=False) as store:
                    data.register_decisions(con, store)
            else:
                data.register_decisions(con, None)
            contents = data.gather(con, request)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    if contents is None:
        raise UsageError(f"unknown student {args.student!r}: no such student_id in the warehouse")
    _creatable(Path(args.out), "statement folder")
    written = document.write(args.out, contents, args.lang, draft=args.received is None)
    _say(f"statement of {args.student} ({contents['period_from']} to {contents['period_to']}), "
         f"addressed to {'the student' if contents['addressed_to'] == 'student' else 'the parents'}:")  # fmt: skip
    _say(f"  {written.html.resolve()}")
    _say(f"  {written.pdf.resolve()}")
    if args.received is None:
        _say("a draft: no request registered (give --received DATE to register the request it answers)")
        return 0
    requester = args.requester or ("student" if contents["addressed_to"] == "student" else "guardian")
    try:
        with open_store(args.db) as store:
            request_id = register.register(store, args.student, requester, args.received, getpass.getuser(), today,
                                           issued_statement=written.pdf.name)  # fmt: skip
    except (StoreError, register.RequestError) as exc:
        raise UsageError(str(exc)) from None
    from decisions.requests import due_date

    _say(f"registered access request {request_id}: received {args.received}, due {due_date(args.received)}, "
         f"issued {today}")  # fmt: skip
    return 0


def _requests(args) -> int:
    import csv

    from decisions.requests import local_today, requests
    from decisions.store import StoreError, open_store, store_path

    settings = load_settings(args.config)
    columns = ("request_id", "student_id", "requester", "received", "due", "issued", "status")
    rows = []
    if store_path(args.db).exists():
        try:
            with open_store(args.db, create=False) as store:
                rows = [[str(row[c] if row[c] is not None else "") for c in columns]
                        for row in requests(store, local_today(settings.timezone))]  # fmt: skip
        except StoreError as exc:
            raise UsageError(str(exc)) from None
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        from pipelines.safe_text import csv_cell

        writer.writerows([[csv_cell(v) for v in row] for row in rows])
        return 0
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    _say("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        _say("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    _say(f"{len(rows)} access request{'s' if len(rows) != 1 else ''}")
    return 0

# --- end of access requests -----------------------------------------------------------------------



# --- map: a vendor export tried through its mapping profile (spec/mapping.md) --------------------------
# Exit status: 0 every row maps and would load, 1 a problem was found (listed with its line), 2 the
# profile cannot be used or the export is not there.


def _map_parser(add) -> None:
    mapping = add("map", _map, "Try a mapping profile on one vendor export: the first rows as the feed would "
                  "receive them, and every problem with its line. No warehouse is touched.")  # fmt: skip
    mapping.add_argument("--profile", required=True, metavar="FILE", help="the profile.toml to try")
    mapping.add_argument("export", metavar="EXPORT", help="an export of the school system")
    mapping.add_argument("--rows", type=_positive, default=10, metavar="N", help="rows to show (default 10)")
    _config(mapping)


def _check_profiles(landing: Path) -> None:
    """A bad mapping profile in the landing folder stops the run before anything is read (exit status 2)."""
    from pipelines.mapping.profile import ProfileError, check_profiles

    try:
        check_profiles(landing)
    except ProfileError as error:
        raise UsageError(str(error)) from None


def _map(args) -> int:
    import csv

    from pipelines.mapping.dry_run import dry_run
    from pipelines.mapping.profile import ProfileError

    settings = load_settings(args.config)
    export = Path(args.export)
    if not export.is_file():
        raise UsageError(f"export {export} does not exist or is not a file")
    try:
        result = dry_run(Path(args.profile), export, args.rows, settings.timezone)
    except ProfileError as error:
        raise UsageError(str(error)) from None
    feed = result.profile.feed.name
    if result.rejected:
        _say(f"{export}: not usable as {feed} through {args.profile}; the ingest would reject it:")
    else:
        _say(f"{export} read as {feed}: {result.rows_read} rows, {result.rows_good} would load, "
             f"{result.rows_quarantined} would be quarantined")  # fmt: skip
        _say(f"first {len(result.rows)} rows as the feed receives them (line = the export's line):")
        lines = _CsvLines()
        writer = csv.writer(lines, lineterminator="")
        writer.writerow(("line", *result.columns))
        for row in result.rows:
            writer.writerow(["" if v is None else v for v in row])
        for line in lines.lines:
            _say(f"  {line}")
    if result.problems:
        _say(f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}:")
    for line, column, value, reason, code in result.problems:
        where = f"line {line}" if line is not None else "file"
        if column is not None:
            where += f", column {column}"
        shown = f" = {value!r}" if value is not None else ""
        _say(f"  {where}{shown}: {reason} [{code}]")
    return 1 if result.problems else 0


class _CsvLines:
    """A file-like sink that keeps each row csv.writer writes (every row one `write` call)."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)


if __name__ == "__main__":
    sys.exit(main())
