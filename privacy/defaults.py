"""Default privacy notice (GDPR art. 13), in French and English. Installed for an institution by
`seed_defaults` and shown until its office saves its own; everything here is editable in the admin."""

from typing import Any

PURPOSES_FR = """\
Vos données sont traitées pour :
- créer et gérer votre compte candidat ;
- instruire votre candidature à un Mastère Spécialisé : vérification de la complétude et de l'éligibilité, \
avis du responsable pédagogique, entretien éventuel, décision du jury d'admission ;
- encaisser les frais de candidature ;
- vous informer par courriel de l'avancement de votre dossier ;
- inscrire les candidats admis ;
- garder la trace des décisions et des actions effectuées sur votre dossier (journal d'audit)."""
PURPOSES_EN = """\
Your data are processed to:
- create and manage your candidate account;
- examine your application to a Mastère Spécialisé: completeness and eligibility checks, the program \
director's opinion, an interview if any, the admission jury's decision;
- collect the application fee;
- tell you by email how your application is progressing;
- register admitted candidates;
- keep a record of the decisions and of the actions taken on your dossier (audit trail)."""

LEGAL_BASIS_FR = """\
L'examen des candidatures relève de la mission de service public d'enseignement supérieur de \
l'établissement (article 6.1.e du RGPD). L'encaissement des frais et la conservation des pièces \
comptables répondent à une obligation légale (article 6.1.c). Les pièces que vous déposez sont \
nécessaires à l'examen de votre candidature : sans elles, votre dossier ne peut pas être étudié."""
LEGAL_BASIS_EN = """\
Examining applications is part of the institution's public-interest task of higher education \
(GDPR article 6.1.e). Collecting fees and keeping accounting records are legal obligations \
(article 6.1.c). The documents you upload are needed to examine your application: without them, \
your dossier cannot be studied."""

RECIPIENTS_FR = """\
Seules les personnes qui en ont besoin accèdent à vos données : le service des mastères spécialisés, \
le responsable pédagogique du programme demandé, les membres du jury d'admission de la session qui \
examine votre dossier et, pour vos paiements uniquement, l'agence comptable. Vos données ne sont ni \
vendues ni cédées, et ne sont pas transférées hors de l'Union européenne."""
RECIPIENTS_EN = """\
Only the people who need your data can reach them: the Mastères Spécialisés office, the director of \
the program you apply to, the members of the admission jury that examines your dossier and, for your \
payments only, the accounts office. Your data are neither sold nor passed on, and are not transferred \
outside the European Union."""

RETENTION_FR = """\
- Candidats non admis (refusés, sur liste d'attente non appelée, désistés, dossiers non déposés) : \
les pièces et les données personnelles sont effacées trois mois après la fin de la campagne \
(date limite de candidature, ou date du dernier jury si elle est postérieure). Seule une trace \
anonyme de la décision est conservée (numéro de dossier, programme, session, décision, dates).
- Candidats admis : le dossier est conservé pour la scolarité, puis archivé selon les règles \
applicables aux dossiers d'étudiants.
- Paiements : conservés le temps exigé par les règles de la comptabilité publique.
- Journal d'audit : conservé pour une durée limitée, puis effacé.
- Vous pouvez demander l'effacement de votre compte à tout moment depuis « Mes données »."""
RETENTION_EN = """\
- Candidates not admitted (refused, not called from the waiting list, withdrawn, never submitted): \
their documents and personal data are erased three months after the end of the campaign (the \
application deadline, or the last jury sitting if later). Only an anonymous record of the decision \
is kept (dossier number, program, session, decision, dates).
- Admitted candidates: the dossier is kept for their studies, then archived under the rules that \
apply to student records.
- Payments: kept for as long as public accounting rules require.
- Audit trail: kept for a limited period, then erased.
- You may ask for your account to be erased at any time from "My data"."""

RIGHTS_FR = """\
Vous disposez d'un droit d'accès, de rectification, d'effacement, de limitation du traitement, \
d'opposition et, pour les données que vous avez fournies, d'un droit à la portabilité. \
Depuis « Mes données », vous pouvez télécharger l'ensemble de vos données et de vos pièces \
(droit d'accès et portabilité) et demander l'effacement de votre compte. Pour tout autre droit, \
écrivez au délégué à la protection des données. Si vous estimez que vos droits ne sont pas \
respectés, vous pouvez adresser une réclamation à la CNIL."""
RIGHTS_EN = """\
You have the right of access, rectification, erasure, restriction of processing, objection and, for \
the data you provided, portability. From "My data" you can download all your data and documents \
(access and portability) and ask for your account to be erased. For any other right, write to the \
data protection officer. If you think your rights are not respected, you may lodge a complaint with \
the CNIL (the French data protection authority)."""


def notice_defaults(*, name: str, address: str, email: str) -> dict[str, Any]:
    """The default notice for an institution; the DPO's address starts as the institution's contact
    (an editable placeholder: the office enters its data protection officer's)."""
    return {
        "controller": f"{name}\n{address}".strip(),
        "dpo_name": "Délégué à la protection des données / Data protection officer",
        "dpo_email": email,
        "dpo_address": address,
        "purposes_fr": PURPOSES_FR,
        "purposes_en": PURPOSES_EN,
        "legal_basis_fr": LEGAL_BASIS_FR,
        "legal_basis_en": LEGAL_BASIS_EN,
        "recipients_fr": RECIPIENTS_FR,
        "recipients_en": RECIPIENTS_EN,
        "retention_fr": RETENTION_FR,
        "retention_en": RETENTION_EN,
        "rights_fr": RIGHTS_FR,
        "rights_en": RIGHTS_EN,
    }


# — Accessibility statement (RGAA 4.1) —

GAPS_FR = """\
Aucun audit de conformité au RGAA n'a encore été réalisé. Les pages sont contrôlées automatiquement \
(axe-core) sur téléphone et sur ordinateur, en français et en anglais, mais ces contrôles ne couvrent \
qu'une partie des critères. Limites connues :
- les pièces justificatives déposées par les candidats (PDF, images) ne sont pas rendues accessibles ;
- les lettres de décision et les procès-verbaux en PDF ne sont pas balisés ;
- l'interface d'administration (back-office) n'a pas été vérifiée."""
GAPS_EN = """\
No RGAA conformance audit has been carried out yet. Pages are checked automatically (axe-core) on \
phones and computers, in French and English, but these checks cover only part of the criteria. \
Known limits:
- documents uploaded by candidates (PDF, images) are not made accessible;
- decision letters and minutes in PDF are not tagged;
- the administration interface (back office) has not been checked."""
ENVIRONMENT_FR = "HTML, CSS, JavaScript (facultatif). Vérifié avec Chromium et axe-core."
ENVIRONMENT_EN = "HTML, CSS, JavaScript (optional). Checked with Chromium and axe-core."


def statement_defaults(*, address: str, email: str) -> dict[str, Any]:
    """The default accessibility statement: not compliant until an audit says otherwise (RGAA: a
    service never audited declares itself "non conforme"); the contact starts as the institution's."""
    return {
        "conformance": "none",
        "contact_email": email,
        "contact_address": address,
        "gaps_fr": GAPS_FR,
        "gaps_en": GAPS_EN,
        "environment_fr": ENVIRONMENT_FR,
        "environment_en": ENVIRONMENT_EN,
    }
