"""A batch, end to end: documents -> records -> store -> index.

:func:`process_batch` is what ``esf-pipeline process`` runs, for library users
too: the runner (:func:`pipeline.runner.run`: parallel, journaled, idempotent,
one writer per output folder) turns the documents into ``records.jsonl`` and
``errors.jsonl``, then :func:`store_and_index` brings the store and the
similar-projects index in line with the records::

    from pipeline.batch import process_batch
    from pipeline.config import load_config

    summary = process_batch(["corpus"], "out", load_config(), jobs=2)

Records are :class:`pipeline.record.Record` objects throughout; JSON is only how
they are written to disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Optional

from .record import Record
from .runner import RunSummary, canonical_source, run

AfterBatch = Callable[..., None]


def _store_state(st) -> dict[str, tuple[str, str]]:
    """``{id: (sha256, source)}`` of every project row in the store."""
    from sqlalchemy import select

    from .store import schema as S

    p = S.projects.c
    with st.engine.connect() as conn:
        return {r.id: (r.sha256, r.source) for r in conn.execute(select(p.id, p.sha256, p.source))}


def store_and_index(config: dict[str, Any], store_url: Optional[str], with_index: bool = True) -> AfterBatch:
    """The batch steps after all documents: index update and store sync, as the runner's
    ``after_batch(records, pending, out_dir, removed=[...])`` (all :class:`Record`).

    Both are reconciled against the records (written before them), not only fed
    what this run processed, so a run killed while writing them is repaired by the
    next one: the index drops ids that are no longer records and re-embeds what
    changed; the store upserts the records it lacks, those whose sha256 or source
    differ from its row, and those still pending from a killed run, and deletes
    rows of this output's sources whose id is no longer a record (a changed
    document that got a new id, a pruned one). Rows of other sources (another
    output folder sharing the store) are left alone."""

    def after(records: list[Record], pending: list[Record], out_dir: Path, removed: Iterable[Record] = ()) -> None:
        if with_index:
            from .similarity.index import update_index

            # prune: documents no longer among the records leave the index
            update_index(Path(out_dir) / "index", records, config.get("similarity") or {}, prune=True)
        if store_url is None:
            return
        from .store import open_store

        st = open_store(store_url)
        try:
            have = _store_state(st)
            fresh = {r.id for r in pending} | {r.id for r in records if have.get(r.id) != (r.sha256, r.source)}
            st.upsert_many(r for r in records if r.id in fresh)
            wanted = {r.id for r in records}
            ours = {r.source for r in records} | {r.source for r in removed}
            for rid, (_, src) in have.items():
                if rid not in wanted and canonical_source(src) in ours:
                    st.delete(rid)
        finally:
            st.close()

    return after


def default_store_url(out_dir: str | Path) -> str:
    return str(Path(out_dir) / "store.sqlite")


def process_batch(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    config: dict[str, Any],
    *,
    jobs: int = 1,
    store: Optional[str] = "",
    index: bool = True,
    quiet: bool = True,
    force: bool = False,
    prune: bool = False,
    executor: Optional[Any] = None,
) -> RunSummary:
    """Process ``inputs`` into ``out_dir``: records and errors, then the store and the index.

    ``store``: a store URL or path; ``""`` (default) ``OUT/store.sqlite``; ``None`` no store.
    ``index``: update ``OUT/index``. Raises what :func:`pipeline.runner.run` raises."""
    store_url = default_store_url(out_dir) if store == "" else store
    after = store_and_index(config, store_url, index) if (store_url is not None or index) else None
    return run(
        inputs, out_dir, config, jobs=jobs, quiet=quiet, force=force, after_batch=after, prune=prune, executor=executor
    )
