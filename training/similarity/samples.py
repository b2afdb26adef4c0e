"""Load the labelled sample projects in ``data/similarity/`` (and the seeds).

Format of ``data/similarity/samples_*.txt``: blocks that start with a header
line ``### id=... | group=... | title=... | region=... | period=YYYY-YYYY``
followed by the document text. Lines starting with ``#`` before the first
block are comments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.paths import ROOT
from pipeline.record import Metadata, Record

SAMPLES_DIR = ROOT / "data" / "similarity"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"


@dataclass
class Sample:
    id: str
    group: str
    title: str
    region: str
    period: str
    text: str

    def to_record(self) -> Record:
        start, _, end = self.period.partition("-")
        md = Metadata(
            region=self.region or None,
            period_start=date(int(start), 1, 1) if start else None,
            period_end=date(int(end), 12, 31) if end else None,
        )
        return Record(
            id=self.id,
            source=f"data/similarity/{self.id}",
            sha256=hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
            format="txt",
            title=self.title,
            text=self.text,
            metadata=md,
        )


def load_samples(directory: Path = SAMPLES_DIR) -> list[Sample]:
    out: list[Sample] = []
    for path in sorted(Path(directory).glob("samples_*.txt")):
        header: dict[str, str] | None = None
        body: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("### "):
                if header is not None:
                    out.append(_make(header, body))
                header = {k.strip(): v.strip() for k, _, v in (part.partition("=") for part in line[4:].split("|"))}
                body = []
            elif header is not None:
                body.append(line)
            # comment lines before the first block are ignored
        if header is not None:
            out.append(_make(header, body))
    return out


def _make(header: dict[str, str], body: list[str]) -> Sample:
    return Sample(
        id=header["id"],
        group=header.get("group", ""),
        title=header.get("title", ""),
        region=header.get("region", ""),
        period=header.get("period", ""),
        text="\n".join(body).strip() + "\n",
    )


def load_seed_texts(directory: Path = SEEDS_DIR) -> dict[str, str]:
    """The real example documents in ../shared/seeds (not copied into the repo)."""
    d = Path(directory)
    if not d.is_dir():
        return {}
    return {p.stem: p.read_text(encoding="utf-8", errors="replace") for p in sorted(d.glob("*.txt"))}
