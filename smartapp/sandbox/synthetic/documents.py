"""Note bodies: plain text, HTML (some of it hostile), and PDF."""

import html
import random

from .pdf import pdf_document
from .terminology import NOTE_TYPES, SPECIALTIES

CONTENT_TYPES = {
    "text": "text/plain",
    "html": "text/html",
    "hostile-html": "text/html",
    "pdf": "application/pdf",
}
# Markup a viewer must never run or fetch: a script, an event handler, a javascript: link, a remote image.
HOSTILE_MARKUP = (
    "<script>alert('sandbox-xss-script')</script>\n"
    '<img src="x" onerror="alert(\'sandbox-xss-onerror\')" alt="">\n'
    "<p><a href=\"javascript:alert('sandbox-xss-link')\">Open the full chart</a></p>\n"
    '<img src="https://tracker.example.com/pixel.gif?note=1" width="1" height="1" alt="">\n'
)
FINDINGS = {
    "general-practice": ("annual review", "Blood pressure slightly above goal.", "Recheck in 3 months."),
    "internal-medicine": ("follow-up of chronic conditions", "Stable on current regimen.", "Continue."),
    "cardiology": (
        "exertional chest tightness",
        "Echocardiogram: preserved ejection fraction.",
        "Continue beta blocker; repeat lipid panel in 3 months.",
    ),
    "endocrinology": (
        "rising HbA1c",
        "HbA1c 8.1 percent; no hypoglycaemia reported.",
        "Titrate metformin; dietitian referral; HbA1c in 3 months.",
    ),
    "nephrology": (
        "declining eGFR",
        "eGFR 48, stable over 6 months; mild albuminuria.",
        "Avoid NSAIDs; continue ACE inhibitor; labs in 6 months.",
    ),
    "pulmonology": (
        "chronic cough and dyspnea",
        "Spirometry: mild obstruction, reversible.",
        "Start inhaled bronchodilator as needed; review in 8 weeks.",
    ),
    "gastroenterology": (
        "iron deficiency anaemia",
        "Colonoscopy: two small polyps removed.",
        "Iron supplementation; surveillance colonoscopy in 5 years.",
    ),
    "hospital-medicine": (
        "community-acquired pneumonia",
        "Treated with antibiotics; afebrile for 48 hours.",
        "Discharged home; PCP follow-up within 7 days.",
    ),
    "emergency-medicine": (
        "acute shortness of breath",
        "Chest X-ray clear; troponin negative.",
        "Discharged with return precautions.",
    ),
}


def note_lines(specialty_key: str, note_type_key: str, day: str, rng: random.Random) -> list[str]:
    """The lines of a short, synthetic clinical note (ASCII only, so that the PDF can show it)."""
    reason, assessment, plan = FINDINGS[specialty_key]
    return [
        f"{SPECIALTIES[specialty_key].name} - {NOTE_TYPES[note_type_key][1]}",
        f"Date of service: {day}",
        f"Reason for visit: {reason}.",
        f"Assessment: {assessment}",
        f"Plan: {plan}",
        f"Time spent: {rng.choice((15, 20, 30, 45))} minutes.",
        "Synthetic test data - not a real patient.",
    ]


def render(kind: str, lines: list[str]) -> tuple[str, bytes]:
    """The content type and bytes of a note of this kind (a key of CONTENT_TYPES)."""
    if kind == "pdf":
        return CONTENT_TYPES[kind], pdf_document(lines)
    if kind in ("html", "hostile-html"):
        return CONTENT_TYPES[kind], _html(lines, hostile=kind == "hostile-html").encode("utf-8")
    return CONTENT_TYPES[kind], ("\n".join(lines) + "\n").encode("utf-8")


def _html(lines: list[str], hostile: bool) -> str:
    title, *body = (html.escape(line) for line in lines)
    paragraphs = "".join(f"<p>{line}</p>\n" for line in body)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>'
        f"{title}</title></head>\n<body>\n<h1>{title}</h1>\n{paragraphs}"
        f"{HOSTILE_MARKUP if hostile else ''}</body>\n</html>\n"
    )
