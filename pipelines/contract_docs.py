"""What each feed and column of the landing contract (pipelines.contract) means, for docs/landing.md.

pipelines.documentation writes the docs from this and the contract; tests/test_docs.py fails when a
contract column has no meaning here, or when the docs on disk are not what the code would write.
"""

from __future__ import annotations

FEED_DOCS: dict[str, str] = {
    "schools": "The schools of the board.",
    "students": "Every student, with the birth date that drives the age rules.",
    "guardians": "Parents and guardians, one row per guardian–student link.",
    "staff": "Staff accounts and their roles; a staff member with several roles has several rows.",
    "involvements": "Who is involved with which student, and when. Teacher involvement is also derived "
    "from OneRoster and School Data Sync bundles (relation `roster`).",
    "documents": "The documents of a student's file that the access log can name.",
    "access_log": "The register of who viewed which data and when: the events the access rules judge.",
    "disclosures": "Data that left the school: the events the sharing rules judge.",
    "consents": "Consents given by students or guardians.",
    "recipients": "Everyone data is disclosed to: schools, the Inspectorate, processors, ...",
    "processor_agreements": "Processor agreements (verwerkersovereenkomsten) with suppliers.",
    "policies": "The privacy policy versions and when they take effect.",
    "council_decisions": "The participation councils' decisions on policy versions.",
    "calendar": "Optional: school holidays, study days and outages (the log-gap rule skips them).",
}

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "schools": {
        "school_id": "BRIN/RIO code or any stable id",
        "name": "",
        "sector": "`PO` primary, `VO` secondary, `SO` special primary, `VSO` special secondary, `MBO`",
        "board_id": "the school board (bevoegd gezag) = the data controller",
    },
    "students": {
        "student_id": "the school's own student number",
        "school_id": "",
        "birth_date": "drives every age rule",
        "eck_id": "chain pseudonym, when the student has one",
        "enrolled_from": "",
        "enrolled_to": "empty = open-ended",
        "display_name": "shown only in the privacy officer's report, never in the council summary",
    },
    "guardians": {
        "guardian_id": "the portal account / person id used as `actor_id` in the access log",
        "student_id": "one row per guardian–student link",
        "relation": "`guardian` is a voogd",
        "parental_authority": "holds parental authority (ouderlijk gezag) and so is a legal representative",
        "valid_from": "",
        "valid_to": "empty = open-ended",
        "display_name": "",
    },
    "staff": {
        "staff_id": "the account id used as `actor_id` in the access log",
        "school_id": "",
        "role": "",
        "valid_from": "the role is held from",
        "valid_to": "the role is held until; empty = open-ended",
        "account_type": "default `personal`",
        "display_name": "",
    },
    "involvements": {
        "staff_id": "",
        "student_id": "",
        "relation": "`grant`: access the privacy officer allowed (the review app and `schoolaudit decide` "
        "record grants in the decision store instead)",
        "valid_from": "",
        "valid_to": "empty = open-ended",
        "case_id": "for `assessment`: the psychological/assessment case this staff member takes part in",
        "reason": "for `grant`: why the privacy officer granted access (required for `grant`)",
    },
    "documents": {
        "document_id": "",
        "student_id": "",
        "category": "a data category",
        "case_id": "for `psychological_report`: the assessment case it belongs to",
        "created_at": "",
    },
    "access_log": {
        "event_id": "unique per source_system",
        "occurred_at": "",
        "actor_id": "a `staff_id` or `guardian_id` (or the student's own id)",
        "actor_type": "",
        "student_id": "whose data was touched",
        "action": "",
        "source_system": "e.g. `magister`, `somtoday`, `parnassys`",
        "document_id": "when a specific document was opened",
        "category": "data category touched; when empty, the document's category; when both are empty: `general`",
        "break_glass": "the emergency override was used",
        "justification": "text given with a break-glass access (never shown in a report)",
    },
    "disclosures": {
        "disclosure_id": "unique per row: a disclosure about several students has one row, and one id, per student",
        "occurred_at": "",
        "student_id": "one row per student disclosed",
        "recipient_id": "",
        "purpose": "free text or a code; compared case-insensitively after trimming",
        "data_categories": "",
        "legal_basis": "",
        "consent_id": "the consent relied on (for `consent`)",
        "evidence_ref": "reference to the request, report or decision that supports a no-consent basis",
        "identifiers": "the identifiers sent",
    },
    "consents": {
        "consent_id": "",
        "student_id": "",
        "given_by_id": "a `guardian_id`, or the `student_id` itself",
        "given_by_role": "",
        "purpose": "`parent_access` means: the student (16+) allows a guardian to see the full file",
        "form": "`written` and `digital_signature` are active and provable",
        "given_at": "",
        "recipient_id": "whom the consent allows to receive the data (for `parent_access`: the guardian_id; "
        "empty = all guardians)",
        "data_categories": "empty = the categories named in the consent text are unknown, so nothing is covered",
        "valid_until": "empty = open-ended",
        "withdrawn_at": "empty = not withdrawn",
        "evidence_ref": "where the signed form is kept",
    },
    "recipients": {
        "recipient_id": "",
        "name": "",
        "kind": "`child_protection` is Veilig Thuis",
        "content_chain": "supplier of digital learning material (the educational content chain), where the "
        "chain pseudonym (ECK iD) must replace direct identifiers",
    },
    "processor_agreements": {
        "agreement_id": "",
        "recipient_id": "the processor",
        "signed_at": "empty = not signed (the column must be there)",
        "valid_from": "",
        "valid_to": "empty = open-ended",
        "data_categories": "what the agreement covers; empty = not stated",
        "breach_notification": "has a data-breach notification clause",
        "deletion_clause": "has a delete-or-return-at-end clause",
        "model": "e.g. `model-4.0`",
    },
    "policies": {
        "policy_id": "e.g. `privacy-regulation`",
        "version": "",
        "effective_from": "",
        "scope": "`board` or a school_id (default `board`)",
    },
    "council_decisions": {
        "policy_id": "",
        "version": "",
        "council": "`MR` (school, for a policy whose scope is a school) or `GMR` (board, for scope `board`)",
        "decision": "",
        "decided_at": "",
    },
    "calendar": {
        "date_from": "inclusive",
        "date_to": "inclusive",
        "kind": "",
        "school_id": "empty = every school",
    },
}

CATEGORY_DOCS: dict[str, str] = {
    "general": "whatever is not specified",
    "administrative": "name, address, contact, enrolment",
    "progress": "grades, reports, test results",
    "attendance": "absence and lateness",
    "care": "support plans, care notes, development perspective plan",
    "psychological_report": "psychological or assessment report",
    "medical": "health data",
    "educational_report": "onderwijskundig rapport",
    "images": "photos and video",
    "identifiers": "BSN/PGN and similar numbers",
}
