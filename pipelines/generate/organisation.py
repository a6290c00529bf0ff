"""The board's own feeds: recipients, processor agreements, policies, council decisions, calendar."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from pipelines.generate.window import Window


def build_organisation(window: Window, schools: pd.DataFrame, systems: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    start, end = window.start, window.end
    las = {"parnassys": "ParnasSys", "magister": "Magister", "somtoday": "Somtoday"}
    recipients = [(f"rcp-{s}", las[s], "processor", False) for s in systems] + [
        ("rcp-leermiddel", "Uitgeverij Leerlijn", "processor", True),
        ("rcp-toets", "Toetsplatform Meetlat", "processor", False),
        ("rcp-foto", "Fotostudio De Lens", "independent_controller", False),
        ("rcp-bijles", "Huiswerkinstituut Het Lampje", "independent_controller", False),
        ("rcp-school-baken", "Het Baken, school voor voortgezet onderwijs", "school", False),
        ("rcp-swv", "Samenwerkingsverband Passend Onderwijs Rivierenland", "samenwerkingsverband", False),
        ("rcp-inspectie", "Inspectie van het Onderwijs", "inspectorate", False),
        ("rcp-veilig-thuis", "Veilig Thuis Rivierenland", "child_protection", False),
        ("rcp-leerplicht", "Leerplicht gemeente Rivierstad", "other", False),
    ]
    las_categories = "general;administrative;progress;attendance;care;medical;educational_report;identifiers"
    agreements = [
        (f"vwo-{s}-2023", f"rcp-{s}", start - timedelta(days=700), start - timedelta(days=690), None,
         las_categories, True, True, "model-4.0")
        for s in systems
    ] + [
        # The content supplier's earlier agreement ended long ago; the current one runs well past
        # the renewal horizon.
        ("vwo-leermiddel-2021", "rcp-leermiddel", start - timedelta(days=1500), start - timedelta(days=1490),
         start - timedelta(days=400), "administrative;progress", True, True, "model-3.0"),
        ("vwo-leermiddel-2024", "rcp-leermiddel", start - timedelta(days=405), start - timedelta(days=399),
         end + timedelta(days=400), "administrative;progress", True, True, "model-4.0"),
        # Two agreements in force that together cover what the test platform receives.
        ("vwo-toets-basis", "rcp-toets", start - timedelta(days=500), start - timedelta(days=500), None,
         "administrative", True, True, "model-4.0"),
        ("vwo-toets-addendum", "rcp-toets", start - timedelta(days=200), start - timedelta(days=190), None,
         "progress", True, True, "model-4.0"),
    ]
    policies = [
        ("privacyreglement", "1", start - timedelta(days=800), "board"),
        ("privacyreglement", "2", start - timedelta(days=200), "board"),
        ("cameratoezicht", "1", start - timedelta(days=300), schools["school_id"].iloc[0]),
    ]
    decisions = [
        ("privacyreglement", "1", "GMR", "consent", start - timedelta(days=830)),
        ("privacyreglement", "2", "GMR", "consent", start - timedelta(days=230)),
        ("cameratoezicht", "1", "MR", "consent", start - timedelta(days=320)),
    ]
    calendar = [
        (window.holiday, window.holiday, "holiday", None),
        # A study day at one school: the staff still work, so the systems still log.
        (window.day(0, 2), window.day(0, 2), "study_day", schools["school_id"].iloc[0]),
        (end + timedelta(days=20), end + timedelta(days=34), "holiday", None),
    ]
    frame = pd.DataFrame
    return {
        "recipients": frame(recipients, columns=["recipient_id", "name", "kind", "content_chain"]).astype(
            {"content_chain": "boolean"}
        ),
        "processor_agreements": _dates(
            frame(agreements, columns=["agreement_id", "recipient_id", "signed_at", "valid_from", "valid_to",
                                       "data_categories", "breach_notification", "deletion_clause", "model"]),
            ["signed_at", "valid_from", "valid_to"],
        ).astype({"breach_notification": "boolean", "deletion_clause": "boolean"}),
        "policies": _dates(frame(policies, columns=["policy_id", "version", "effective_from", "scope"]),
                           ["effective_from"]),
        "council_decisions": _dates(
            frame(decisions, columns=["policy_id", "version", "council", "decision", "decided_at"]),
            ["decided_at"],
        ),
        "calendar": _dates(frame(calendar, columns=["date_from", "date_to", "kind", "school_id"]),
                           ["date_from", "date_to"]),
    }


def _dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for col in columns:
        frame[col] = pd.to_datetime(frame[col])
    return frame
