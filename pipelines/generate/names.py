"""Made-up Dutch-looking names. Some carry non-ASCII letters and tussenvoegsels on purpose, so that
encoding and CSV quoting are exercised by every ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST_NAMES = (
    "Daan", "Sem", "Noah", "Lucas", "Milan", "Bram", "Luuk", "Mohammed", "Finn", "Levi", "Thijs",
    "Emma", "Julia", "Sophie", "Saar", "Anouk", "Fenna", "Yara", "Zoë", "Fatima", "Ayşe", "Nina",
    "Jesse", "Ruben", "Mila", "Lotte", "Sanne", "Tess", "Hiba", "Jan", "Ilse", "Kees", "Marieke",
)
SURNAMES = (
    "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "Yılmaz", "El Amrani", "Nguyen", "Kaya", "van der Meer", "Koç", "Ouédraogo",
)


def person_names(rng: np.random.Generator, count: int, surname_first: bool = False) -> pd.Series:
    """`count` names; `surname_first` gives "de Vries, Emma" (as some HR exports do: a comma to quote)."""
    first = pd.Series(np.asarray(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), count)])
    last = pd.Series(np.asarray(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), count)])
    names = last + ", " + first if surname_first else first + " " + last
    return names.astype("str")
