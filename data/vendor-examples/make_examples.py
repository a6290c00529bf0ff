"""Writes the made-up sample exports beside the example profiles (run from anywhere):

    python data/vendor-examples/make_examples.py

Every name, number and event in them is invented; they only show the shapes school systems export.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

MAGISTER = [
    # Regel-ID, Datum/tijd, Gebruiker, Soort gebruiker, Leerlingnummer, Handeling, Onderdeel, Document,
    # Noodtoegang, Toelichting, IP-adres (not a contract column: never stored)
    (
        "100201",
        "23-11-2026 08:12",
        "mvdberg",
        "Medewerker",
        "LL4101",
        "Inzien",
        "Cijfers",
        "",
        "Nee",
        "",
        "10.0.0.12",
    ),
    (
        "100202",
        "23-11-2026 08:15",
        "mvdberg",
        "Medewerker",
        "LL4102",
        "Afdrukken",
        "Cijfers",
        "",
        "Nee",
        "",
        "10.0.0.12",
    ),
    (
        "100203",
        "24-11-2026 13:40",
        "jdekker",
        "Medewerker",
        "LL4101",
        "Inzien",
        "Zorg",
        "",
        "Ja",
        "Zorgoverleg – dringend, leerling niet bereikbaar",
        "10.0.0.31",
    ),
    (
        "100204",
        "24-11-2026 15:50",
        "ouder.7781",
        "Ouder",
        "LL4103",
        "Inzien",
        "Verzuim",
        "",
        "Nee",
        "",
        "84.12.9.1",
    ),
    (
        "100205",
        "25-11-2026 09:05",
        "llbakker",
        "Medewerker",
        "LL4104",
        "Exporteren",
        "Cijfers",
        "",
        "Nee",
        "",
        "10.0.0.40",
    ),
    (
        "100206",
        "26-11-2026 11:30",
        "jdekker",
        "Medewerker",
        "LL4102",
        "Inzien",
        "Rooster",
        "",
        "Nee",
        "",
        "10.0.0.31",
    ),
    (
        "100207",
        "27-11-2026 10:00",
        "mvdberg",
        "Medewerker",
        "LL4105",
        "Bewerken",
        "Cijfers",
        "",
        "Nee",
        "",
        "10.0.0.12",
    ),
]

SOMTODAY = [
    # ID, Tijdstip (a real Excel date and time), Account, Leerling, Actie, Gegevens, Reden noodtoegang
    ("st-5001", dt.datetime(2026, 11, 23, 9, 0), "a.jansen", "4101", "Bekeken", "Cijfers", None),
    ("st-5002", dt.datetime(2026, 11, 23, 9, 2), "a.jansen", "4101", "Gedownload", "Cijfers", None),
    ("st-5003", dt.datetime(2026, 11, 24, 14, 20), "zorg.coord", "4102", "Bekeken", "Zorgdossier", None),
    ("st-5004", "25-11-2026 16:45", "a.jansen", "4103", "Gezocht", "Leerlingkaart", None),
    ("st-5005", dt.datetime(2026, 11, 26, 8, 30), "b.visser", "4104", "Geprint", "Afwezigheid", None),
]

STAFF = [
    # Medewerker, Vestiging, Functie, Ingangsdatum, Einddatum, Soort account, Naam
    ("mvdberg", "BRIN01AA", "Docent", "01-08-2025", "", "Persoonlijk", "M. van den Berg"),
    ("mvdberg", "BRIN01AA", "Mentor", "01-08-2026", "", "Persoonlijk", "M. van den Berg"),
    ("jdekker", "BRIN01AA", "Zorgcoördinator", "01-08-2024", "", "Persoonlijk", "J. Dekker"),
    ("llbakker", "BRIN01AA", "Docent", "01-08-2026", "31-07-2027", "Persoonlijk", "L. Bakker"),
    ("balie", "BRIN01AA", "Administratie", "01-01-2026", "", "Gedeeld", "Balie (gedeeld account)"),
]


def magister() -> None:
    header = (
        "Regel-ID;Datum/tijd;Gebruiker;Soort gebruiker;Leerlingnummer;Handeling;Onderdeel;Document;"
        "Noodtoegang;Toelichting;IP-adres"
    )
    lines = ["Logboek leerlingdossier — VERZONNEN VOORBEELD (made-up sample, no real data);;;;;;;;;;", header]
    lines += [";".join(row) for row in MAGISTER]
    # Windows-1252, as a spreadsheet saves "CSV (puntkomma-gescheiden)": the dash and ö are not Latin-1-only.
    (HERE / "magister" / "logboek-voorbeeld.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def somtoday() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Logboek"
    sheet.append(["Inzagelogboek — VERZONNEN VOORBEELD (made-up sample, no real data)"])
    sheet.append([])
    sheet.append(["ID", "Tijdstip", "Account", "Leerling", "Actie", "Gegevens", "Reden noodtoegang"])
    for row in SOMTODAY:
        sheet.append(list(row))
    for cell in sheet["B"][3:]:
        cell.number_format = "dd-mm-yyyy hh:mm"
    book.properties.creator = "schoolaudit example"
    book.properties.created = book.properties.modified = dt.datetime(2026, 11, 30)
    book.save(HERE / "somtoday" / "logboek-voorbeeld.xlsx")


def staff() -> None:
    lines = ["Medewerker\tVestiging\tFunctie\tIngangsdatum\tEinddatum\tSoort account\tNaam"]
    lines += ["\t".join(row) for row in STAFF]
    # UTF-16 with a byte order mark, as Excel saves "Unicode-tekst".
    (HERE / "medewerkers" / "medewerkers-voorbeeld.txt").write_bytes(
        ("\r\n".join(lines) + "\r\n").encode("utf-16")
    )


if __name__ == "__main__":
    magister()
    somtoday()
    staff()
