"""The 2025-2026 notice of IMT Nord Europe as data (I16, I17). Loaded by `seed_defaults`;
everything here is editable in the admin afterwards and nothing else in the code depends on it."""

import datetime as dt
from decimal import Decimal
from typing import Any

INSTITUTION = {
    "name": "IMT Nord Europe",
    "short_name": "IMT Nord Europe",
    "address": "941 rue Charles Bourseul, BP838, 59508 Douai cedex, France",
    "phone": "+33 3 27 71 22 22",
    "email": "masteres.specialises@imt-nord-europe.fr",
    "website": "https://imt-nord-europe.fr/",
    "programs_url": "https://imt-nord-europe.fr/formations/masteres-specialises/",
    "housing_url": "https://imt-nord-europe.fr/experience-etudiante/logements/",
    "meals_url": "https://imt-nord-europe.fr/experience-etudiante/restauration/",
    "studies_in_france_url": "https://pastel.diplomatie.gouv.fr/etudesenfrance/",
    "flywire_url": "https://imt-nord-europe-exed.flywire.com",
    "bank_rib": "Code banque 10071 - Code Guichet 59000 - n° Compte 00001024334 – Clé 44",
    "bank_iban": "FR76 1007 1590 0000 0010 2433 444",
    "bank_bic": "TRPUFRP1",
    "bank_beneficiary": "IMT NORD EUROPE– AGENCE COMPTABLE",
    "bank_beneficiary_address": "941 rue Charles Bourseul, BP838, 59508 Douai cedex, France",
    "bank_phone": "+33 3 27 71 22 22",
    "bank_name": "TRESOR PUBLIC LILLE",
    "bank_address": "82 Av. Du Président John F. Kennedy, 59800 LILLE, FRANCE",
}

CAMPUSES = {
    "lahure": ("IMT Nord Europe - Campus de Lahure", "Boulevard Lahure\n59500 Douai"),
    "vda": (
        "IMT Nord Europe – Campus de Villeneuve D'Ascq",
        "Cité scientifique\nRue Guglielmo Marconi\nBP 20145\n59653 Villeneuve d'Ascq Cedex",
    ),
    "bourseul": ("IMT Nord Europe – Campus de Bourseul", "941 rue Charles Bourseul\n59500 Douai"),
}

# code -> campus key, personal/job-seeker tuition, company tuition (R3.1, R3.5)
PROGRAMS = {
    "BE+": ("lahure", Decimal("7500.00"), Decimal("12500.00")),
    "PPIB": ("lahure", Decimal("7500.00"), Decimal("12500.00")),
    "InECAM": ("lahure", Decimal("7500.00"), Decimal("12500.00")),
    "CSE": ("vda", Decimal("9000.00"), Decimal("14000.00")),
    "MRPT": ("bourseul", Decimal("7500.00"), Decimal("12500.00")),
}
DEFAULT_CAPACITY = 25  # not in the notice: a placeholder (I16)

CVEC = ("2024-2025", Decimal("103.00"))

SESSION: dict[str, Any] = {
    "name": "2025-2026",
    "opens_on": dt.date(2024, 9, 25),
    "closes_on": dt.date(2025, 6, 4),
    "international_closes_on": dt.date(2025, 3, 12),
    "application_fee": Decimal("60.00"),
    "fee_grace_days": 10,
}

# code, French label, English label, requirement (I16, R2.9)
DOCUMENTS = [
    ("cv", "Curriculum vitae", "Curriculum vitae", "always"),
    ("cover_letter", "Lettre de motivation", "Cover letter", "always"),
    (
        "diploma",
        "Diplôme le plus élevé",
        "Highest diploma",
        "always",
    ),
    ("transcripts", "Relevés de notes", "Transcripts", "always"),
    ("identity", "Pièce d'identité", "Identity document", "always"),
    (
        "experience",
        "Justificatifs d'expérience professionnelle (voie d)",
        "Proof of professional experience (path d)",
        "path_d",
    ),
    (
        "enrolment",
        "Certificat de scolarité en dernière année de BAC+5",
        "Proof of enrolment in the final year of BAC+5",
        "bac5_in_progress",
    ),
    (
        "other",
        "Autre pièce demandée par le service des admissions",
        "Other document asked for by the admissions office",
        "on_request",
    ),
]
DOCUMENT_HELP = {
    "other": (
        "Seulement si le service des admissions vous l'a demandée : voyez ce qu'il a écrit.",
        "Only if the admissions office asked you for it: see what it wrote.",
    ),
    "diploma": (
        "Ou, si votre BAC+5 est en cours, le diplôme précédent.",
        "Or, if your BAC+5 is in progress, the previous diploma.",
    ),
}
