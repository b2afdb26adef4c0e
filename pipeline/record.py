"""The typed record that flows through every stage.

One :class:`Record` per input document. Stages read and fill its fields;
all character offsets (``start``/``end``) refer to ``Record.text``, the
cleaned text. ``Record.to_json()`` is what lands in ``records.jsonl`` and
what ``pipeline/schema/record.schema.json`` describes.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.3.0"
# Earlier versions whose records are valid records of this version as they are
# (1.1.0 only added optional metadata fields, 1.2.0 the optional sentence spans, 1.3.0 the
# optional metadata field project_name); read as this version.
COMPATIBLE_VERSIONS = ("1.0.0", "1.1.0", "1.2.0")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(_Model):
    """Fields the document states. A key is present only when stated."""

    project_number: Optional[str] = None
    project_name: Optional[str] = Field(
        default=None,
        description="The project's name: a project page's name field or heading, else the name the prose gives "
        "it ('projektet Ung Arena 9.0'); a news item's or report's title is its headline, not this",
    )
    owner: Optional[str] = None
    contact_person: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    programme_area: Optional[str] = None
    specific_objective: Optional[str] = None
    phase: Optional[str] = None
    esf_support_sek: Optional[int] = None
    total_budget_sek: Optional[int] = None
    period_start: Optional[date] = None
    period_end: Optional[date] = None
    region: Optional[str] = None
    planned_participants: Optional[int] = None
    cofinancing_rate: Optional[float] = Field(default=None, description="Share 0-1, e.g. 0.5 for '50%'")
    intervention_type: Optional[str] = None
    municipalities: Optional[list[str]] = None
    participating_organisations: Optional[list[str]] = None
    postcode: Optional[str] = None
    organisation_number: Optional[str] = Field(default=None, description="Owner's organisationsnummer, NNNNNN-NNNN")
    fund: Optional[str] = Field(default=None, description="ESF or ESF+ (the page's 'Berörd fond')")
    nuts2: Optional[str] = Field(default=None, description="NUTS-2 code as stated, e.g. SE11")
    cci: Optional[str] = Field(default=None, description="Programme CCI, e.g. 2021SE05SFPR")
    secondary_themes: Optional[list[str]] = Field(
        default=None, description="The page's 'Sekundärtema' lines answered Ja ([] when all are Nej)"
    )


class Span(_Model):
    """A stretch of ``Record.text``: ``text[start:end]``."""

    start: int
    end: int


class Section(_Model):
    key: str = Field(description="Canonical key, e.g. summary, background, purpose, goals")
    heading: str = Field(description="The heading as written in the document")
    start: int
    end: int


class Entity(_Model):
    text: str
    label: str = Field(description="ORG, PER or LOC")
    start: int
    end: int
    source: str = Field(default="model", description="model, gazetteer or metadata")


class EntitySummary(_Model):
    text: str
    label: str
    count: int


class Evidence(_Model):
    text: str
    start: int
    end: int
    section: Optional[str] = None


class Theme(_Model):
    id: str
    label: str
    score: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)


class Record(_Model):
    schema_version: str = SCHEMA_VERSION
    id: str
    source: str
    sha256: str
    format: str = Field(description="txt, html, pdf, docx, odt or rtf")
    title: Optional[str] = None
    text: str
    sentences: list[Span] = Field(
        default_factory=list, description="Sentence spans of text, in order (the segment stage; empty without it)"
    )
    metadata: Metadata = Field(default_factory=Metadata)
    sections: list[Section] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    entity_counts: list[EntitySummary] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    theme_candidates: list[Theme] = Field(default_factory=list, description="Unassigned themes, for review")
    summary: Optional[str] = None
    pipeline_version: Optional[str] = None

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Records of an earlier, compatible schema version are read as this version."""
        if isinstance(data, dict) and data.get("schema_version") in COMPATIBLE_VERSIONS:
            data = {**data, "schema_version": SCHEMA_VERSION}
        return data

    def section_text(self, key: str) -> str:
        """Concatenated text of all sections with this canonical key."""
        return "\n\n".join(self.text[s.start : s.end] for s in self.sections if s.key == key)

    def sentence_texts(self) -> list[str]:
        """The text of each sentence span, in order."""
        return [self.text[s.start : s.end] for s in self.sentences]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; metadata keeps only stated (non-null) fields."""
        data = self.model_dump(mode="json")
        data["metadata"] = {k: v for k, v in data["metadata"].items() if v is not None}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls.model_validate(data)
